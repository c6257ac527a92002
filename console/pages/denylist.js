// Deny list (seed 000, admin): hosts no subscription or integration may
// target (GET/POST /admin/webhooks/deny-list, DELETE .../:id).  An entry
// is a glob or a POSIX extended regex (case-insensitive) matched against
// the URL's host (lib/urlguard.c), and the reason it is there.

import { api, el, add, errmsg, text, section, table, field, form, button,
    confirmDialog, when } from '../lib.js';

const MAX_ROWS = 1000;

export default async function (root, ctx) {
	root.append(el('h2', 'Deny list'));
	if (ctx.session.role !== 'admin') {
		root.append(el('p', 'The deny list is managed by an admin.'));
		return;
	}
	const list = el('div');
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
		if (res.status !== 201) {
			f.say('Could not add: ' + errmsg(res));
			return;
		}
		f.say('Added ' + text(res.data.pattern) + '.');
		pattern.input.value = '';
		reason.input.value = '';
		await render(list, f);
	}, 'panel deny-form');
	root.append(el('p', 'Webhook URLs whose host matches an entry are ' +
	    'refused when written and at each delivery.', 'meta'), f, list);
	await render(list, f);
}

async function render(list, f) {
	const res = await api('GET', '/admin/webhooks/deny-list?limit=' + MAX_ROWS);
	const rows = res.status === 200 && Array.isArray(res.data) ? res.data : null;
	if (!rows) {
		list.replaceChildren(el('p', 'Could not list the deny list: ' +
		    errmsg(res), 'error'));
		return;
	}
	const sec = section('Entries', 'h3');
	const t = table(['Pattern', 'Type', 'Reason', 'Added', 'Actions'],
	    rows.map((d) => {
		const r = [el('code', d.pattern), d.pattern_type, d.description,
		    when(d.created_at), add(el('span', null, 'actions'),
		    button('Delete', async () => {
			if (!await confirmDialog('Delete the deny-list entry ' +
			    text(d.pattern) + '? Hosts it matches are accepted ' +
			    'again.', 'Delete entry'))
				return;
			const del = await api('DELETE', '/admin/webhooks/deny-list/' +
			    encodeURIComponent(d.id));
			if (del.status !== 204) {
				f.say('Could not delete: ' + errmsg(del));
				return;
			}
			f.say('Deleted ' + text(d.pattern) + '.');
			await render(list, f);
		}, 'danger delete'))];
		r.attrs = { id: d.id };
		return r;
	}));
	t.id = 'deny-rows';
	const empty = el('p', 'The deny list is empty.', 'empty');
	empty.hidden = rows.length > 0;
	sec.append(t, empty);
	list.replaceChildren(sec);
}
