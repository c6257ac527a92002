// Deny list (seed 000, admin): hosts no subscription or integration may
// target (GET/POST /admin/webhooks/deny-list, DELETE .../:id).  An entry
// is a glob or a POSIX extended regex (case-insensitive) matched against
// the URL's host (lib/urlguard.c), and the reason it is there.

import { api, el, add, errmsg, text, section, table, field, form,
    button, confirmDialog, when, rows, pageRows, pager, refusal, statusLine,
    refocus } from '../lib.js';

const PAGE_ROWS = 1000;		// a page of the list, unless the hash's ?limit=
const LIST_MAX = 1000;		// the API's ?limit= ceiling

export default async function (root, ctx) {
	root.append(el('h2', 'Deny list'));
	if (ctx.session.role !== 'admin') {
		root.append(el('p', 'The deny list is managed by an admin.'));
		return;
	}
	const limit = pageRows(ctx.query, PAGE_ROWS, LIST_MAX);
	// What Delete did, said above the list with the focus on it (the
	// button pressed is gone with the old render).
	const said = statusLine('notice action-status', ctx);
	const list = el('div');
	const again = async (msg, bad) => {
		await render(ctx, list, limit, again);
		said.say(msg, bad);
		if (msg && ctx.current())
			refocus(root, 'p.notice');
	};
	const pattern = field('Pattern', { name: 'pattern', required: true,
	    hint: 'Matched against the URL\'s host: a glob such as ' +
	    '*.internal.example or 10.* (an address range), or a regex.' });
	const type = field('Pattern type', { kind: 'select',
	    name: 'pattern_type', options: [['glob', 'Glob'],
	    ['regex', 'Regular expression (POSIX extended)']] });
	const reason = field('Reason', { name: 'description',
	    hint: 'Why it is denied (shown here only).' });
	const f = form('Add an entry', [pattern, type, reason], 'Add to the deny list',
	    async () => {
		const res = await api('POST', '/admin/webhooks/deny-list', {
			pattern: pattern.input.value,
			pattern_type: type.input.value,
			description: reason.input.value,
		});
		if (!ctx.current())
			return;
		if (res.status !== 201) {
			f.say('Could not add: ' + errmsg(res));
			return;
		}
		f.say('Added ' + text(res.data.pattern) + '.');
		pattern.input.value = '';
		reason.input.value = '';
		await again();
	}, 'panel deny-form');
	root.append(el('p', 'Webhook URLs whose host matches an entry are ' +
	    'refused when written and at each delivery.', 'meta'), f, said,
	    list);
	await again();
}

// The list, a page at a time (lib.js's pager); again(msg, bad) renders
// it anew and says what Delete did.
async function render(ctx, list, limit, again) {
	const res = await api('GET', '/admin/webhooks/deny-list?limit=' + limit);
	if (!ctx.current())
		return;
	const items = rows(res);
	if (!items) {
		list.replaceChildren(refusal('the deny list', res));
		return;
	}
	const sec = section('Entries', 'h3');
	const cells = (d) => {
		const del = button('Delete', async () => {
			if (!await confirmDialog('Delete the deny-list entry ' +
			    text(d.pattern) + '? Hosts it matches are accepted ' +
			    'again.', 'Delete entry'))
				return;
			const res = await api('DELETE', '/admin/webhooks/deny-list/' +
			    encodeURIComponent(d.id));
			if (res.status === 204)
				await again('Deleted ' + text(d.pattern) + '.');
			else
				await again('Could not delete ' + text(d.pattern) +
				    ': ' + errmsg(res), true);
		}, 'danger delete');
		del.setAttribute('aria-label', 'Delete ' + text(d.pattern));
		const r = [el('code', d.pattern), d.pattern_type, d.description,
		    when(d.created_at), add(el('span', null, 'actions'), del)];
		r.attrs = { id: d.id };
		return r;
	};
	const t = table(['Pattern', 'Type', 'Reason', 'Added', 'Actions'],
	    items.map(cells));
	t.id = 'deny-rows';
	const more = pager(ctx, t.tBodies[0], res.next, cells,
	    ['entry', 'entries']);
	// The pager's last page puts the focus on the first new row's link;
	// these rows have a Delete button instead.
	new MutationObserver(([m]) => {
		if (more.querySelector('button').hidden && m.addedNodes.length)
			refocus(m.addedNodes[0], 'button');
	}).observe(t.tBodies[0], { childList: true });
	add(sec, t, items.length > 0 ? null : el('p', 'The deny list is ' +
	    'empty.', 'empty'), more);
	list.replaceChildren(sec);
}
