// Tokens (issue 11): an admin lists the API tokens (never their secret,
// which is not kept), creates one (shown once), revokes one, and lists
// and revokes console sessions.  /api/tokens and /api/sessions are the
// admin's: anyone else sees its own session (GET /api/session).

import { api, el, add, errmsg, list, text, section, table, tr, dl, field,
    form, button, confirmDialog, secretBox, when, pageRows, refusal,
    statusLine, refocus } from '../lib.js';

const PAGE_ROWS = 200;		// a page of each list, unless the hash's ?limit=
const LIST_MAX = 200;		// the API's ?limit= ceiling

export default async function (root, ctx) {
	root.append(el('h2', 'Tokens'));
	const mine = await api('GET', '/api/session');
	if (!ctx.current())
		return;
	const me = mine.status === 200 && mine.data ? mine.data : null;
	if (ctx.session.role !== 'admin') {
		root.append(el('p', 'API tokens and console sessions are managed ' +
		    'by an admin. This is your own session.', 'note'));
		const sec = section('Your session', 'h3', 'my-session');
		sec.append(me ? sessionInfo(me) : refusal('your session', mine));
		root.append(sec);
		return;
	}
	const limit = pageRows(ctx.query, PAGE_ROWS, LIST_MAX);
	const tokens = section('API tokens', 'h3', 'tokens');
	const sessions = section('Console sessions', 'h3', 'sessions');
	// Not a live region: a screen reader would read the new token out;
	// the form's status line says it, the focus goes to Copy.
	const created = el('div', null, 'token-created');
	const f = createForm(ctx, created, () => renderList(ctx, tokens,
	    tokenList(limit)));
	root.append(f, created, tokens, sessions);
	await Promise.all([renderList(ctx, tokens, tokenList(limit)),
	    renderList(ctx, sessions, sessionList(limit, me ? me.id : null))]);
}

// Show more: the next page of an {data, next_cursor} list (first: the
// first page's path with its ?limit=), appended to tbody; gone on the
// last page; the count says how many rows are shown.  lib.js's pager
// reads bare arrays paged by Link rel="next" only: /api/tokens and
// /api/sessions page by next_cursor.
function pager(ctx, tbody, first, cursor, cells, [one, many]) {
	const p = el('p', null, 'more');
	const count = el('span', null, 'count');
	count.setAttribute('role', 'status');
	const why = el('span');
	const shown = () => tbody.rows.length + ' ' +
	    (tbody.rows.length === 1 ? one : many) + ' shown';
	const b = button('Show more', async () => {
		const res = await api('GET', first + '&cursor=' +
		    encodeURIComponent(cursor));
		if (!ctx.current())
			return;
		const items = list(res);
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
		cursor = res.data.next_cursor;
		b.hidden = !cursor;
		count.textContent = cursor ? shown() : 'All ' + shown();
		// The button is gone: the reader goes on at the first new row
		// (its Revoke, or the row's first cell made focusable).
		if (!cursor && added.length > 0)
			refocus(added[0], 'button', 'td');
	}, 'secondary show-more');
	count.textContent = shown();
	p.append(count, b, why);
	p.hidden = !cursor;
	return p;
}

function sessionInfo(s) {
	const d = dl([['Role', s.role], ['Owner', s.owner_id],
	    ['Permissions', (s.permissions || []).join(', ')],
	    ['Signed in', when(s.created_at)], ['Expires', when(s.expires_at)],
	    ['Last seen', when(s.last_seen_at)], ['Browser', s.user_agent],
	    ['Address', s.client_addr]]);
	d.id = 'my-session-info';
	return d;
}

function createForm(ctx, created, after) {
	const name = field('Name', { name: 'name',
	    hint: 'What the token is for (up to 128 characters).' });
	const role = field('Role', { kind: 'select', name: 'role',
	    options: [['user', 'user: its owner\'s objects'],
	    ['service', 'service: publishes events'],
	    ['admin', 'admin: everything']] });
	const owner = field('Owner id', { name: 'owner_id',
	    hint: 'Required for a user token; its objects are this owner\'s.' });
	const perm = field('May manage integrations (manage_settings)',
	    { kind: 'checkbox', name: 'manage_settings' });
	const f = form('Create a token', [name, role, owner, perm], 'Create token',
	    async () => {
		const body = { role: role.input.value };
		if (name.input.value !== '')
			body.name = name.input.value;
		if (owner.input.value.trim() !== '')
			body.owner_id = owner.input.value.trim();
		if (perm.input.checked)
			body.permissions = ['manage_settings'];
		const res = await api('POST', '/api/tokens', body);
		if (!ctx.current())
			return;
		if (res.status !== 201 || !res.data) {
			f.say('Could not create the token: ' + errmsg(res));
			return;
		}
		const t = res.data;
		const warn = el('p', 'Copy this token now: it is shown only ' +
		    'once and cannot be read again.', 'warning');
		created.replaceChildren(add(el('div', null, 'panel'),
		    el('h3', 'New token ' + (t.name ? text(t.name) : text(t.id))),
		    warn, secretBox('API token', text(t.token), true),
		    dl([['Id', t.id], ['Role', t.role], ['Owner', t.owner_id]])));
		created.dataset.id = text(t.id);
		f.say('Created.');
		name.input.value = '';
		owner.input.value = '';
		perm.input.checked = false;
		await after();
		if (ctx.current())
			refocus(created, 'button.copy');
	}, 'panel token-form');
	return f;
}

// One of the page's lists ({data, next_cursor}) into its section sec,
// a page at a time; said {text, bad}: what the last action did, above
// the list with the focus on it (the control pressed is gone with the
// old render).  l: {path (with its ?limit=), what, id, cols, nouns,
// cells(item, again)}, again(said) rendering the list anew.
async function renderList(ctx, sec, l, said) {
	const res = await api('GET', l.path);
	if (!ctx.current())
		return;
	const items = list(res);
	const body = el('div');
	const msg = statusLine('notice action-status', ctx);
	if (!items) {
		body.append(refusal(l.what, res));
	} else {
		const cells = (x) => l.cells(x, (s) => renderList(ctx, sec, l, s));
		const t = table(l.cols, items.map(cells));
		t.id = l.id;
		body.append(msg, t, pager(ctx, t.tBodies[0], l.path,
		    res.data.next_cursor, cells, l.nouns));
	}
	sec.replaceChildren(sec.firstChild, body);
	if (said) {
		msg.say(said.text, said.bad);
		refocus(body, 'p.notice');
	}
}

const tokenList = (limit) => ({
	path: '/api/tokens?limit=' + limit, what: 'tokens', id: 'token-rows',
	cols: ['Name', 'Role', 'Owner', 'Permissions', 'Created', 'Last used',
	    'Status', 'Actions'],
	nouns: ['token', 'tokens'],
	cells(k, again) {
		const name = text(k.name || k.id);
		let revoke = '';
		if (!k.revoked_at) {
			revoke = button('Revoke', async () => {
				if (!await confirmDialog('Revoke the token ' + name +
				    '? Everything using it, and its console ' +
				    'sessions, stop working.', 'Revoke token'))
					return;
				const d = await api('DELETE', '/api/tokens/' +
				    encodeURIComponent(k.id));
				await again(d.status === 204 ? { text: 'Revoked ' +
				    name + '.' } : { bad: true, text: 'Could not ' +
				    'revoke ' + name + ': ' + errmsg(d) });
			}, 'danger revoke');
			revoke.setAttribute('aria-label', 'Revoke the token ' + name);
		}
		const r = [k.name, k.role, k.owner_id,
		    (k.permissions || []).join(', '), when(k.created_at),
		    when(k.last_used_at), k.revoked_at ?
		    'revoked ' + when(k.revoked_at) : 'active', revoke];
		r.attrs = { id: k.id };
		return r;
	},
});

// myId: this browser's own session (marked "you").
const sessionList = (limit, myId) => ({
	path: '/api/sessions?limit=' + limit, what: 'console sessions',
	id: 'session-rows',
	cols: ['Role', 'Owner', 'Signed in', 'Last seen', 'Expires', 'Browser',
	    'Address', 'Status', 'Actions'],
	nouns: ['session', 'sessions'],
	cells(s, again) {
		const status = s.active ? (s.id === myId ? 'active (you)' :
		    'active') : s.revoked_at ? 'revoked' : 'ended';
		const who = text(s.role) + (s.owner_id ? ', ' + text(s.owner_id) :
		    '');
		let revoke = '';
		if (s.active) {
			revoke = button('Revoke', async () => {
				if (!await confirmDialog('End this console session (' +
				    who + ')? Its browser is signed out.',
				    'Revoke session'))
					return;
				const d = await api('DELETE', '/api/sessions/' +
				    encodeURIComponent(s.id));
				// One's own: this call is refused and the console
				// goes back to the sign-in form.
				await again(d.status === 204 ? { text: 'Revoked the ' +
				    'session (' + who + ').' } : { bad: true,
				    text: 'Could not revoke the session (' + who +
				    '): ' + errmsg(d) });
			}, 'danger revoke');
			revoke.setAttribute('aria-label', 'Revoke the session of ' +
			    who + ', signed in ' + when(s.created_at));
		}
		const r = [s.role, s.owner_id, when(s.created_at),
		    when(s.last_seen_at), when(s.expires_at), s.user_agent,
		    s.client_addr, status, revoke];
		r.attrs = { id: s.id };
		return r;
	},
});
