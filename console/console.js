// hookpost console (issue 11), first slice: sign in, who, integrations,
// sign out.  Plain ES module, no build step.  Rules: the token is only
// ever sent to POST /api/session (never stored: the session is an
// HttpOnly cookie); every value from the API is inserted with
// textContent, never as HTML; cookie writes carry X-Hookpost-Console: 1
// (the server's CSRF check, README "Console sessions").

const $ = (id) => document.getElementById(id);

async function api(method, path, body) {
	const init = { method, credentials: 'same-origin', headers: {} };
	if (method !== 'GET' && method !== 'HEAD')
		init.headers['X-Hookpost-Console'] = '1';
	if (body !== undefined) {
		init.headers['Content-Type'] = 'application/json';
		init.body = JSON.stringify(body);
	}
	const r = await fetch(path, init);
	let data = null;
	if (r.status !== 204) {
		try { data = await r.json(); } catch (e) { data = null; }
	}
	return { status: r.status, data };
}

function say(msg) { $('status').textContent = msg; }

function errmsg(res) {
	const e = res.data && res.data.error;
	return e && typeof e.message === 'string' ? e.message : 'HTTP ' + res.status;
}

function showSignin() {
	$('who').hidden = true;
	$('integrations').hidden = true;
	$('integrations-rows').replaceChildren();
	$('signin').hidden = false;
	$('token').value = '';
	$('token').focus();
}

async function showSignedIn(s) {
	$('signin').hidden = true;
	$('who-role').textContent = String(s.role ?? '');
	$('who-owner').textContent = String(s.owner_id ?? '(none)');
	$('who').hidden = false;
	await loadIntegrations();
}

async function loadIntegrations() {
	const res = await api('GET', '/api/integrations?limit=100');
	if (res.status === 401) { showSignin(); return; }
	if (res.status !== 200 || !res.data || !Array.isArray(res.data.data)) {
		say('Could not list integrations: ' + errmsg(res));
		return;
	}
	const rows = res.data.data.map((it) => {
		const tr = document.createElement('tr');
		for (const v of [it.name, it.type, it.status]) {
			const td = document.createElement('td');
			td.textContent = v == null ? '' : String(v);
			tr.append(td);
		}
		return tr;
	});
	$('integrations-rows').replaceChildren(...rows);
	$('integrations-empty').hidden = rows.length > 0;
	$('integrations').hidden = false;
}

async function signIn(ev) {
	ev.preventDefault();
	const field = $('token');
	const token = field.value.trim();
	field.value = '';
	if (!token) { say('Enter an API token.'); field.focus(); return; }
	say('');
	const res = await api('POST', '/api/session', { token });
	if (res.status !== 201 || !res.data) {
		say('Sign-in failed: ' + errmsg(res));
		field.focus();
		return;
	}
	await showSignedIn(res.data);
	$('signout').focus();
}

async function signOut() {
	const res = await api('DELETE', '/api/session');
	if (res.status !== 204 && res.status !== 401) {
		say('Sign-out failed: ' + errmsg(res));
		return;
	}
	say('Signed out.');
	showSignin();
}

async function start() {
	$('signin').addEventListener('submit', signIn);
	$('signout').addEventListener('click', signOut);
	// 401 here just means "not signed in yet".
	const res = await api('GET', '/api/session');
	if (res.status === 200 && res.data)
		await showSignedIn(res.data);
	else
		showSignin();
}

start().catch((e) => say('Error: ' + e.message));
