// Incidents (seed 004): the list, newest first, with the API's filters
// (status, severity, source, tag, since, until) and its cursor paging;
// #/incidents/<id or INC-number> shows one with its triage steps,
// indicators, entities, merged alerts and raw payload, all as text.

import { api, el, add, list, errmsg, text, section, table, dl, filters,
    when, link, refusal, cursorLinks, listQuery } from '../lib.js';

const PAGE_ROWS = 50;
const STATUSES = ['new', 'triaged', 'investigating', 'suppressed',
    'resolved', 'closed'];
const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'];
// The list's query keys the API takes (limit: a page size other than the
// default, kept from page to page; a cursor comes from the last page).
const KEYS = ['status', 'severity', 'source', 'tag', 'since', 'until', 'limit'];

export default async function (root, ctx) {
	root.append(el('h2', 'Incidents'));
	if (ctx.args.length > 0)
		await detail(root, ctx, ctx.args[0]);
	else
		await overview(root, ctx);
}

function choice(label, name, values, cur) {
	return { label, name, kind: 'select', value: cur || '',
	    options: [['', 'any']].concat(values.map((v) => [v, v])) };
}

async function overview(root, ctx) {
	const q = ctx.query;
	const bar = filters([
		choice('Status', 'status', STATUSES, q.get('status')),
		choice('Severity', 'severity', SEVERITIES, q.get('severity')),
		{ label: 'Source', name: 'source', value: q.get('source') || '' },
		{ label: 'Tag', name: 'tag', value: q.get('tag') || '' },
		{ label: 'Since (ISO 8601)', name: 'since',
		    value: q.get('since') || '', placeholder: '2026-01-31T00:00:00Z' },
		{ label: 'Until (ISO 8601)', name: 'until',
		    value: q.get('until') || '' },
	], async (params) => {
		ctx.go('#/incidents' + (params.toString() ? '?' + params : ''));
	});
	bar.setAttribute('aria-label', 'Filter incidents');
	root.append(bar);

	const { apiq, base } = listQuery(q, KEYS, PAGE_ROWS);
	const res = await api('GET', '/api/incidents?' + apiq);
	if (!ctx.current())
		return;
	const items = list(res);
	if (!items) {
		root.append(refusal('incidents', res));
		return;
	}
	const t = table(['Number', 'Title', 'Severity', 'Status', 'Source',
	    'Queue', 'Tags', 'Alerts', 'Created'], items.map((i) => {
		const row = [link(text(i.incident_number), '#/incidents/' +
		    encodeURIComponent(text(i.id))), i.title, i.severity, i.status,
		    i.source, i.queue == null ? '' : i.queue,
		    Array.isArray(i.tags) ? i.tags.join(', ') : '',
		    i.occurrences, when(i.created_at)];
		row.attrs = { id: i.id };
		return row;
	}), 'Incidents, newest first', 'incidents');
	t.tBodies[0].id = 'incident-rows';
	root.append(t);
	if (items.length === 0)
		root.append(el('p', base ? 'No incident matches these filters.' :
		    'No incidents yet.', 'empty'));
	root.append(cursorLinks('#/incidents', base, q.get('cursor'),
	    res.data.next_cursor));
}

// A JSON text pretty-printed when it parses, else as it came.
function pretty(raw) {
	if (typeof raw !== 'string')
		return JSON.stringify(raw, null, 2);
	try { return JSON.stringify(JSON.parse(raw), null, 2); } catch (e) {
		return raw;
	}
}

function values(v) {
	return Array.isArray(v) ? v.map(text) : [text(v)];
}

async function detail(root, ctx, id) {
	const res = await api('GET', '/api/incidents/' + encodeURIComponent(id));
	if (!ctx.current())
		return;
	root.append(add(el('p', null, 'actions'),
	    link('All incidents', '#/incidents')));
	if (res.status !== 200 || !res.data) {
		root.append(res.status === 404 ?
		    el('p', 'No incident ' + id + ' (' + errmsg(res) + ').',
			'error') : refusal('this incident', res));
		return;
	}
	const i = res.data;
	const part = section(text(i.incident_number) + ': ' + text(i.title), 'h3',
	    'incident-detail');
	part.dataset.id = text(i.id);
	part.append(dl([
		['Number', i.incident_number],
		['Title', i.title],
		['Severity', i.severity],
		['Status', i.status],
		['Source', i.source],
		['Format', i.format],
		['Queue', i.queue],
		['Tags', Array.isArray(i.tags) ? i.tags.join(', ') : ''],
		['Alerts', i.occurrences],
		['Dedupe key', i.dedupe_key],
		['Occurred', when(i.occurred_at)],
		['Created', when(i.created_at)],
		['Updated', when(i.updated_at)],
		['Last seen', when(i.last_seen_at)],
	], 'kv incident-fields'));
	if (i.source)
		part.append(add(el('p', null, 'actions'), link('Source ' +
		    text(i.source), '#/sources/' + encodeURIComponent(text(i.source))),
		    link('Incidents from ' + text(i.source), '#/incidents?source=' +
		    encodeURIComponent(text(i.source)))));

	// Triage: {playbook, steps: [{action, applied}], outcome[, reason]}.
	const tri = section('Triage', 'h4', 'triage');
	const tr0 = i.triage;
	if (!tr0 || typeof tr0 !== 'object') {
		tri.append(el('p', 'No playbook ran on this incident.', 'empty'));
	} else {
		tri.append(dl([['Playbook', tr0.playbook], ['Outcome', tr0.outcome],
		    ['Reason', tr0.reason], ['Merged alerts', tr0.merged_alerts]],
		    'kv triage-summary'));
		const steps = Array.isArray(tr0.steps) ? tr0.steps : [];
		const t = table(['#', 'Action', 'Applied'], steps.map((s, n) =>
		    [String(n + 1), s.action, s.applied ? 'yes' : 'no']),
		    'Triage steps', 'triage-steps');
		tri.append(t);
	}
	part.append(tri);

	part.append(kindTable('Indicators', 'indicators', i.indicators,
	    'No indicators extracted.'));
	part.append(kindTable('Entities', 'entities', i.entities,
	    'No entities.'));

	const merged = section('Merged alerts', 'h4', 'merged');
	const alerts = Array.isArray(i.merged_alerts) ? i.merged_alerts : [];
	if (alerts.length === 0) {
		merged.append(el('p', 'No other alert was merged into this ' +
		    'incident.', 'empty'));
	} else {
		const t = table(['Received', 'Alert'], alerts.map((a) =>
		    [when(a.received_at), el('pre', pretty(a.raw_payload))]),
		    alerts.length + ' alert' + (alerts.length === 1 ? '' : 's') +
		    ' merged into this incident after the first (whose payload ' +
		    'is the raw payload below)', 'merged-alerts');
		merged.append(t);
	}
	part.append(merged);

	const raw = section('Raw payload', 'h4', 'raw');
	raw.append(el('pre', pretty(i.raw_payload), 'raw-payload'));
	part.append(raw);
	root.append(part);
}

// {kind: value or [values]} as a table of one row per value.
function kindTable(title, cls, obj, none) {
	const s = section(title, 'h4', cls);
	const rows = [];
	if (obj && typeof obj === 'object')
		for (const [k, v] of Object.entries(obj))
			for (const x of values(v)) {
				const r = [k, x];
				r.attrs = { kind: k };
				rows.push(r);
			}
	if (rows.length === 0)
		s.append(el('p', none, 'empty'));
	else
		s.append(table(['Kind', 'Value'], rows, null, cls + '-table'));
	return s;
}
