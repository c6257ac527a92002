// Audit log (admin, seed 004): every request the receivers answered,
// accepted or refused, newest first, from GET /api/audit/webhooks with
// its filters (source, outcome, HTTP status, error code) and cursor paging.

import { api, el, list, text, table, filters, when, link, refusal,
    cursorLinks, listQuery } from '../lib.js';

const PAGE_ROWS = 100;
const OUTCOMES = ['accepted', 'queued', 'rejected', 'duplicate', 'replayed'];
// The query keys the API takes (limit kept from page to page).
const KEYS = ['source', 'outcome', 'status', 'code', 'limit'];

export default async function (root, ctx) {
	root.append(el('h2', 'Audit log'));
	const q = ctx.query;
	const bar = filters([
		{ label: 'Source', name: 'source', value: q.get('source') || '',
		    hint: 'a source name or trigger ref' },
		{ label: 'Outcome', name: 'outcome', kind: 'select',
		    value: q.get('outcome') || '',
		    options: [['', 'any']].concat(OUTCOMES.map((o) => [o, o])) },
		{ label: 'HTTP status', name: 'status', type: 'number',
		    value: q.get('status') || '', placeholder: '401' },
		{ label: 'Error code', name: 'code', value: q.get('code') || '',
		    placeholder: 'invalid_signature' },
	], async (params) => {
		ctx.go('#/audit' + (params.toString() ? '?' + params : ''));
	});
	bar.setAttribute('aria-label', 'Filter the audit log');
	root.append(bar);

	const { apiq, base } = listQuery(q, KEYS, PAGE_ROWS);
	const res = await api('GET', '/api/audit/webhooks?' + apiq);
	if (!ctx.current())
		return;
	const items = list(res);
	if (!items) {
		root.append(refusal('the audit log', res));
		return;
	}
	const t = table(['Time', 'Kind', 'Source', 'Status', 'Outcome',
	    'Error code', 'Address', 'User agent', 'ms', 'Bytes',
	    'Body SHA-256', 'Incident'], items.map((a) => {
		const row = [when(a.received_at), a.kind,
		    a.source == null ? '(unknown)' : a.source, a.http_status,
		    a.outcome, a.error_code, a.remote_addr, a.user_agent,
		    a.processing_ms == null ? '' : Number(a.processing_ms).toFixed(1),
		    a.body_size, a.body_sha256 ? text(a.body_sha256).slice(0, 12) +
		    '…' : '', a.incident_id ? link('open', '#/incidents/' +
		    encodeURIComponent(text(a.incident_id))) : ''];
		row.attrs = { id: a.id };
		return row;
	}), 'Receiver requests, newest first', 'audit');
	t.tBodies[0].id = 'audit-rows';
	// The full hash on hover and for screen readers.
	for (const [n, a] of items.entries())
		if (a.body_sha256)
			t.tBodies[0].rows[n].cells[10].title = text(a.body_sha256);
	root.append(t);
	if (items.length === 0)
		root.append(el('p', base ? 'No request matches these filters.' :
		    'No requests received yet.', 'empty'));
	root.append(cursorLinks('#/audit', base, q.get('cursor'),
	    res.data.next_cursor));
}
