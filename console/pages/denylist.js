// Deny list (seed 000, admin): hosts no subscription or integration may
// target (GET/POST /admin/webhooks/deny-list, DELETE .../:id).  An entry
// is a glob or a POSIX extended regex (case-insensitive) matched against
// the URL's host (lib/urlguard.c), and the reason it is there.

import { api, el, add, errmsg, text, section, table, tr, field, form,
    button, confirmDialog, when } from '../lib.js';

const PAGE_ROWS = 1000;		// a page of the list, unless the hash's ?limit=
const LIST_MAX = 1000;		// the API's ?limit= ceiling

export default async function (root, ctx) {
	root.append(el('h2', 'Deny list'));
	if (ctx.session.role !== 'admin') {
		root.append(el('p', 'The deny list is managed by an admin.'));
		return;
	}
	const n = Number(ctx.query.get('limit'));
	const limit = Number.isInteger(n) && n >= 1 && n <= LIST_MAX ? n :
	    PAGE_ROWS;
	const list = el('div');
	const again = (notice) => render(ctx, list, limit, notice);
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
		await again();
	}, 'panel deny-form');
	root.append(el('p', 'Webhook URLs whose host matches an entry are ' +
	    'refused when written and at each delivery.', 'meta'), f, list);
	await again();
}

// The list, a page at a time (the API's Link rel="next"); notice: what
// the last action did, said above the list with the focus on it (the
// control pressed is gone with the old render).
async function render(ctx, list, limit, notice) {
	const res = await api('GET', '/admin/webhooks/deny-list?limit=' + limit);
	const rows = res.status === 200 && Array.isArray(res.data) ? res.data : null;
	if (!rows) {
		list.replaceChildren(el('p', 'Could not list the deny list: ' +
		    errmsg(res), 'error'));
		return;
	}
	const sec = section('Entries', 'h3');
	const said = el('p', notice ? notice.text : null,
	    notice && notice.bad ? 'error' : 'notice');
	said.setAttribute('role', 'status');
	said.tabIndex = -1;
	said.hidden = !notice;
	const cells = (d) => {
		const del = button('Delete', async () => {
			if (!await confirmDialog('Delete the deny-list entry ' +
			    text(d.pattern) + '? Hosts it matches are accepted ' +
			    'again.', 'Delete entry'))
				return;
			const res = await api('DELETE', '/admin/webhooks/deny-list/' +
			    encodeURIComponent(d.id));
			await render(ctx, list, limit, res.status === 204 ?
			    { text: 'Deleted ' + text(d.pattern) + '.' } :
			    { bad: true, text: 'Could not delete ' +
			    text(d.pattern) + ': ' + errmsg(res) });
		}, 'danger delete');
		del.setAttribute('aria-label', 'Delete ' + text(d.pattern));
		const r = [el('code', d.pattern), d.pattern_type, d.description,
		    when(d.created_at), add(el('span', null, 'actions'), del)];
		r.attrs = { id: d.id };
		return r;
	};
	const t = table(['Pattern', 'Type', 'Reason', 'Added', 'Actions'],
	    rows.map(cells));
	t.id = 'deny-rows';
	const empty = el('p', 'The deny list is empty.', 'empty');
	empty.hidden = rows.length > 0;
	sec.append(said, t, empty, pager(ctx, t.tBodies[0], res.next, cells,
	    ['entry', 'entries']));
	list.replaceChildren(sec);
	if (notice && ctx.current())
		said.focus();
}

// Show more: follows the answer's Link rel="next" (api() gives its path
// as next), appends that page's rows to tbody, and is gone on the last
// page; the count says how many rows are shown.
function pager(ctx, tbody, next, cells, [one, many]) {
	const p = el('p', null, 'more');
	const count = el('span', null, 'count');
	count.setAttribute('role', 'status');
	const why = el('span');
	const shown = () => tbody.rows.length + ' ' +
	    (tbody.rows.length === 1 ? one : many) + ' shown';
	const b = button('Show more', async () => {
		const res = await api('GET', next);
		if (!ctx.current())
			return;
		const items = res.status === 200 && Array.isArray(res.data) ?
		    res.data : null;
		if (!items) {
			why.textContent = 'Could not list more ' + many + ': ' +
			    errmsg(res);
			why.className = 'error';
			return;
		}
		why.textContent = '';
		why.removeAttribute('class');
		const added = items.map((i) => tr(cells(i)));
		tbody.append(...added);
		next = res.next;
		b.hidden = !next;
		count.textContent = next ? shown() : 'All ' + shown();
		// The button is gone: the reader goes on at the first new row.
		if (!next && added.length > 0)
			added[0].querySelector('button').focus();
	}, 'secondary show-more');
	count.textContent = shown();
	p.append(count, b, why);
	p.hidden = !next;
	return p;
}
