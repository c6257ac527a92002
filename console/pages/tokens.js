// Tokens (issue 11): an admin lists the API tokens (never their secret,
// which is not kept), creates one (shown once), revokes one, and lists
// and revokes console sessions.  /api/tokens and /api/sessions are the
// admin's: anyone else sees its own session (GET /api/session).

import { api, el, add, errmsg, list, text, section, table, dl, field, form,
    button, confirmDialog, secretBox, when } from '../lib.js';

const MAX_ROWS = 200;

export default async function (root, ctx) {
	root.append(el('h2', 'Tokens'));
	const mine = await api('GET', '/api/session');
	const me = mine.status === 200 && mine.data ? mine.data : null;
	if (ctx.session.role !== 'admin') {
		root.append(el('p', 'API tokens and console sessions are managed ' +
		    'by an admin. This is your own session.', 'note'));
		const sec = section('Your session', 'h3', 'my-session');
		sec.append(me ? sessionInfo(me) :
		    el('p', 'Could not read your session: ' + errmsg(mine), 'error'));
		root.append(sec);
		return;
	}
	const tokens = section('API tokens', 'h3', 'tokens');
	const sessions = section('Console sessions', 'h3', 'sessions');
	const created = el('div', null, 'token-created');
	created.setAttribute('role', 'status');
	const f = createForm(created, () => renderTokens(tokens, f));
	root.append(f, created, tokens, sessions);
	await Promise.all([renderTokens(tokens, f),
	    renderSessions(sessions, f, me ? me.id : null)]);
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

function createForm(created, after) {
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
		created.querySelector('button.copy').focus();
	}, 'panel token-form');
	return f;
}

async function renderTokens(sec, f) {
	const res = await api('GET', '/api/tokens?limit=' + MAX_ROWS);
	const rows = list(res);
	const body = el('div');
	if (!rows) {
		body.append(el('p', 'Could not list tokens: ' + errmsg(res), 'error'));
	} else {
		const t = table(['Name', 'Role', 'Owner', 'Permissions', 'Created',
		    'Last used', 'Status', 'Actions'], rows.map((k) => {
			const r = [k.name, k.role, k.owner_id,
			    (k.permissions || []).join(', '), when(k.created_at),
			    when(k.last_used_at), k.revoked_at ?
			    'revoked ' + when(k.revoked_at) : 'active',
			    k.revoked_at ? '' : button('Revoke', async () => {
				if (!await confirmDialog('Revoke the token ' +
				    text(k.name || k.id) + '? Everything using it, ' +
				    'and its console sessions, stop working.',
				    'Revoke token'))
					return;
				const d = await api('DELETE', '/api/tokens/' +
				    encodeURIComponent(k.id));
				if (d.status !== 204) {
					f.say('Could not revoke: ' + errmsg(d));
					return;
				}
				f.say('Revoked ' + text(k.name || k.id) + '.');
				await renderTokens(sec, f);
			}, 'danger revoke')];
			r.attrs = { id: k.id };
			return r;
		}));
		t.id = 'token-rows';
		body.append(t);
		if (res.data.next_cursor)
			body.append(el('p', 'Only the newest ' + MAX_ROWS +
			    ' tokens are shown.', 'meta'));
	}
	sec.replaceChildren(sec.firstChild, body);
}

async function renderSessions(sec, f, myId) {
	const res = await api('GET', '/api/sessions?limit=' + MAX_ROWS);
	const rows = list(res);
	const body = el('div');
	if (!rows) {
		body.append(el('p', 'Could not list sessions: ' + errmsg(res), 'error'));
	} else {
		const t = table(['Role', 'Owner', 'Signed in', 'Last seen',
		    'Expires', 'Browser', 'Address', 'Status', 'Actions'],
		    rows.map((s) => {
			const status = s.active ? (s.id === myId ? 'active (you)' :
			    'active') : s.revoked_at ? 'revoked' : 'ended';
			const r = [s.role, s.owner_id, when(s.created_at),
			    when(s.last_seen_at), when(s.expires_at), s.user_agent,
			    s.client_addr, status, !s.active ? '' :
			    button('Revoke', async () => {
				if (!await confirmDialog('End this console session ' +
				    '(' + text(s.role) + (s.owner_id ? ', ' +
				    text(s.owner_id) : '') + ')? Its browser is ' +
				    'signed out.', 'Revoke session'))
					return;
				const d = await api('DELETE', '/api/sessions/' +
				    encodeURIComponent(s.id));
				if (d.status !== 204) {
					f.say('Could not revoke the session: ' + errmsg(d));
					return;
				}
				f.say('Revoked the session.');
				// One's own: this call is refused and the
				// console goes back to the sign-in form.
				await renderSessions(sec, f, myId);
			}, 'danger revoke')];
			r.attrs = { id: s.id };
			return r;
		}));
		t.id = 'session-rows';
		body.append(t);
	}
	sec.replaceChildren(sec.firstChild, body);
}
