// hookpost console (issue 11): sign in, who, the integrations page
// (#/integrations: each integration's delivery log and Test connection;
// /admin/integrations redirects here), sign out.  Plain ES module, no
// build step.  Rules: the token is only ever sent to POST /api/session
// (never stored: the session is an HttpOnly cookie); every value from the
// API is inserted with textContent, never as HTML; cookie writes carry
// X-Hookpost-Console: 1 (the server's CSRF check, README "Console
// sessions").

const $ = (id) => document.getElementById(id);

// How much one page asks for: integrations listed, log rows each, and
// delivery logs fetched at once (the outbound pool is small).
const MAX_INTEGRATIONS = 100;
const LOG_ROWS = 20;
const LOG_PARALLEL = 4;

async function api(method, path, body) {
	const init = { method, credentials: 'same-origin', headers: {} };
	if (method !== 'GET' && method !== 'HEAD') {
		init.headers['X-Hookpost-Console'] = '1';
		// An empty body still has a Content-Length (lighttpd answers
		// 411 to a POST without one).
		init.body = '';
	}
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

function text(v) { return v == null ? '' : String(v); }

// el('td', 'x') is <td>x</td>, the text set with textContent.
function el(tag, content, cls) {
	const e = document.createElement(tag);
	if (content !== undefined && content !== null)
		e.textContent = String(content);
	if (cls)
		e.className = cls;
	return e;
}

function showSignin() {
	$('who').hidden = true;
	$('nav').hidden = true;
	$('integrations').hidden = true;
	$('integrations-rows').replaceChildren();
	$('integration-details').replaceChildren();
	$('signin').hidden = false;
	$('token').value = '';
	$('token').focus();
}

let signedIn = false;

async function showSignedIn(s) {
	signedIn = true;
	$('signin').hidden = true;
	$('who-role').textContent = text(s.role);
	$('who-owner').textContent = s.owner_id == null ? '(none)' : String(s.owner_id);
	$('who').hidden = false;
	$('nav').hidden = false;
	await route();
}

// The pages, by location.hash.  Only one so far; no hash is that page.
async function route() {
	if (!signedIn)
		return;
	const h = location.hash;
	if (h === '' || h === '#' || h === '#/' || h === '#/integrations') {
		await loadIntegrations();
		return;
	}
	$('integrations').hidden = true;
	say('No such page: ' + h);
}

async function loadIntegrations() {
	const res = await api('GET', '/api/integrations?limit=' + MAX_INTEGRATIONS);
	if (res.status === 401) { signedIn = false; showSignin(); return; }
	if (res.status !== 200 || !res.data || !Array.isArray(res.data.data)) {
		say('Could not list integrations: ' + errmsg(res));
		return;
	}
	const list = res.data.data;
	const rows = list.map((it) => {
		const tr = document.createElement('tr');
		for (const v of [it.name, it.type, it.status])
			tr.append(el('td', text(v)));
		return tr;
	});
	$('integrations-rows').replaceChildren(...rows);
	$('integrations-empty').hidden = rows.length > 0;
	const parts = list.map(integrationPart);
	$('integration-details').replaceChildren(...parts.map((p) => p.root));
	$('integrations').hidden = false;
	// The delivery logs, a few at a time.
	let next = 0;
	const worker = async () => {
		while (next < parts.length)
			await loadLog(parts[next++]);
	};
	await Promise.all(Array.from({ length: LOG_PARALLEL }, worker));
}

// One integration's part of the page: its name, Test connection and the
// result, and its delivery log.
function integrationPart(it) {
	const id = text(it.id);
	const root = el('section', null, 'integration');
	root.dataset.id = id;
	const hid = 'int-' + id + '-h';
	root.setAttribute('aria-labelledby', hid);
	const h = el('h3', text(it.name));
	h.id = hid;
	const meta = el('p', text(it.type) + ', ' + text(it.status) +
	    (it.enabled === false ? ', disabled' : ''), 'meta');
	const btn = el('button', 'Test connection', 'test');
	btn.type = 'button';
	const result = el('dl', null, 'test-result');
	result.setAttribute('role', 'status');
	result.setAttribute('aria-live', 'polite');
	result.hidden = true;
	const table = el('table', null, 'log');
	const cap = el('caption', 'Delivery log');
	const head = document.createElement('tr');
	for (const c of ['Time', 'Event', 'Status', 'Status code', 'Attempts',
	    'Last error']) {
		const th = el('th', c);
		th.scope = 'col';
		head.append(th);
	}
	const thead = el('thead');
	thead.append(head);
	const tbody = el('tbody');
	table.append(cap, thead, tbody);
	const empty = el('p', 'No deliveries yet.', 'log-empty');
	empty.hidden = true;
	root.append(h, meta, btn, result, table, empty);
	const part = { id, root, btn, result, tbody, empty };
	btn.addEventListener('click', () => testConnection(part));
	return part;
}

async function loadLog(part) {
	const res = await api('GET', '/api/integrations/' +
	    encodeURIComponent(part.id) + '/deliveries?limit=' + LOG_ROWS);
	if (res.status !== 200 || !res.data || !Array.isArray(res.data.data)) {
		part.empty.textContent = 'Could not load the delivery log: ' +
		    errmsg(res);
		part.empty.hidden = false;
		return;
	}
	const rows = res.data.data.map((d) => {
		const tr = document.createElement('tr');
		for (const v of [d.created_at, d.event_type, d.status,
		    d.last_status_code, d.attempt_count, d.last_error])
			tr.append(el('td', text(v)));
		return tr;
	});
	part.tbody.replaceChildren(...rows);
	part.empty.textContent = 'No deliveries yet.';
	part.empty.hidden = rows.length > 0;
}

function showResult(part, pairs) {
	const items = [];
	for (const [k, v] of pairs) {
		const dd = el('dd', v);
		dd.dataset.k = k;
		items.push(el('dt', k), dd);
	}
	part.result.replaceChildren(...items);
	part.result.hidden = false;
}

async function testConnection(part) {
	part.btn.disabled = true;
	showResult(part, [['Test', 'sending…']]);
	try {
		const res = await api('POST', '/api/integrations/' +
		    encodeURIComponent(part.id) + '/test');
		if (res.status === 401) { signedIn = false; showSignin(); return; }
		if (res.status !== 200 || !res.data) {
			showResult(part, [['Test', 'refused: ' + errmsg(res)]]);
			return;
		}
		const r = res.data;
		showResult(part, [
			['OK', r.ok === true ? 'yes' : 'no'],
			['Outcome', text(r.outcome)],
			['Status code', r.status_code == null ? '—' : text(r.status_code)],
			['Error', r.error == null ? '—' : text(r.error)],
		]);
		await loadLog(part);
	} finally {
		part.btn.disabled = false;
		if (!part.root.isConnected)
			return;
		part.btn.focus();
	}
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
	signedIn = false;
	say('Signed out.');
	showSignin();
}

async function start() {
	$('signin').addEventListener('submit', signIn);
	$('signout').addEventListener('click', signOut);
	window.addEventListener('hashchange', () => {
		say('');
		route().catch((e) => say('Error: ' + e.message));
	});
	// 401 here just means "not signed in yet".
	const res = await api('GET', '/api/session');
	if (res.status === 200 && res.data)
		await showSignedIn(res.data);
	else
		showSignin();
}

start().catch((e) => say('Error: ' + e.message));
