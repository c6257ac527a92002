// Integrations (seed 003): the list, and per integration its delivery
// log and Test connection.  /admin/integrations redirects here.

import { api, el, list, errmsg, text, section, table, tr, dl, button, when }
    from '../lib.js';

// How much one page asks for: integrations listed, log rows each, and
// delivery logs fetched at once (the outbound pool is small).
const MAX_INTEGRATIONS = 100;
const LOG_ROWS = 20;
const LOG_PARALLEL = 4;

export default async function (root) {
	root.append(el('h2', 'Integrations'));
	const res = await api('GET', '/api/integrations?limit=' + MAX_INTEGRATIONS);
	const items = list(res);
	if (!items) {
		root.append(el('p', 'Could not list integrations: ' + errmsg(res), 'error'));
		return;
	}
	const t = table(['Name', 'Type', 'Status'],
	    items.map((it) => [it.name, it.type, it.status]));
	t.tBodies[0].id = 'integrations-rows';
	const empty = el('p', 'No integrations yet.');
	empty.hidden = items.length > 0;
	const parts = items.map(integrationPart);
	const details = el('div');
	details.append(...parts.map((p) => p.root));
	root.append(t, empty, details);
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
	const root = section(text(it.name), 'h3', 'integration');
	root.dataset.id = id;
	const meta = el('p', text(it.type) + ', ' + text(it.status) +
	    (it.enabled === false ? ', disabled' : ''), 'meta');
	const result = el('div', null, 'test-result');
	result.setAttribute('role', 'status');
	result.setAttribute('aria-live', 'polite');
	result.hidden = true;
	const log = table(['Time', 'Event', 'Status', 'Status code', 'Attempts',
	    'Last error'], [], 'Delivery log', 'log');
	const empty = el('p', 'No deliveries yet.', 'log-empty');
	empty.hidden = true;
	const part = { id, root, result, tbody: log.tBodies[0], empty };
	part.btn = button('Test connection', () => testConnection(part), 'test');
	root.append(meta, part.btn, result, log, empty);
	return part;
}

async function loadLog(part) {
	const res = await api('GET', '/api/integrations/' +
	    encodeURIComponent(part.id) + '/deliveries?limit=' + LOG_ROWS);
	const rows = list(res);
	if (!rows) {
		part.empty.textContent = 'Could not load the delivery log: ' + errmsg(res);
		part.empty.hidden = false;
		return;
	}
	part.tbody.replaceChildren(...rows.map((d) => tr([when(d.created_at),
	    d.event_type, d.status, d.last_status_code, d.attempt_count,
	    d.last_error])));
	part.empty.textContent = 'No deliveries yet.';
	part.empty.hidden = rows.length > 0;
}

function showResult(part, pairs) {
	part.result.replaceChildren(dl(pairs, 'kv'));
	part.result.hidden = false;
}

async function testConnection(part) {
	showResult(part, [['Test', 'sending…']]);
	try {
		const res = await api('POST', '/api/integrations/' +
		    encodeURIComponent(part.id) + '/test');
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
		if (part.root.isConnected)
			setTimeout(() => part.btn.focus(), 0);
	}
}
