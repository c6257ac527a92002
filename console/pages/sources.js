// Sources (seed 004): the inbound alert sources, registering one (its
// generated secret shown once), and per source #/sources/<name> its
// settings, enable/disable, rotate secret (shown once), delete, and
// "Send a test event": signed server-side by POST /api/webhooks/:source/
// sign (the secret never reaches the page), posted to the receiver, the
// answer shown with a link to the incident it made.

import { api, url, el, add, list, errmsg, text, section, table, dl, field,
    form, button, confirmDialog, secretBox, when, link, refusal, cursorLinks,
    statusLine, refocus } from '../lib.js';

const PAGE_ROWS = 50;
const FORMATS = ['auto', 'generic', 'defender', 'crowdstrike', 'splunk'];
const MODES = [['sync', 'sync: incident at once (200)'],
    ['queue', 'queue: stored, incident by hookpost-ingest (202)']];

export default async function (root, ctx) {
	root.append(el('h2', 'Sources'));
	if (ctx.args.length > 0)
		await detail(root, ctx, ctx.args[0]);
	else
		await overview(root, ctx);
}

async function overview(root, ctx) {
	// ?limit= (a page size other than the default) is kept from page to
	// page; ?cursor= comes from the last page.
	const cursor = ctx.query.get('cursor');
	const limit = ctx.query.get('limit');
	const q = new URLSearchParams();
	if (limit)
		q.set('limit', limit);
	const base = q.toString();
	const listPath = () => {
		const aq = new URLSearchParams(q);
		if (!limit)
			aq.set('limit', String(PAGE_ROWS));
		if (cursor)
			aq.set('cursor', cursor);
		return '/api/webhooks?' + aq;
	};
	const res = await api('GET', listPath());
	if (!ctx.current())
		return;
	const items = list(res);
	if (!items) {
		// A user token: sources are an admin's (said plainly).
		root.append(refusal('sources', res));
		return;
	}
	// The registered source's panel holds its secret: not a live region
	// (a screen reader would read the secret out); the short message
	// goes to its own status line.
	const said = statusLine('created-status', ctx);
	const created = el('div', null, 'source-created');
	const listPart = el('div');
	root.append(said, created, listPart);
	const show = (rows, next) => {
		listPart.replaceChildren(sourceTable(rows, !!cursor),
		    cursorLinks('#/sources', base, cursor, next));
	};
	show(items, res.data.next_cursor);
	const reg = await registerForm(async (src, secret) => {
		if (!ctx.current())
			return;
		const p = section('Source ' + text(src.source) + ' registered', 'h3',
		    'panel');
		if (secret) {
			p.append(el('p', 'Copy this secret now and give it to the ' +
			    'sender: it is shown this once and cannot be read ' +
			    'again (rotate it to get a new one).', 'warning'),
			    secretBox('Signing secret', secret, true));
		} else {
			p.append(el('p', 'It verifies with the secret you gave.'));
		}
		p.append(add(el('p', null, 'actions'), link('Open ' +
		    text(src.source) + ' (send a test event)', '#/sources/' +
		    encodeURIComponent(text(src.source)))));
		created.replaceChildren(p);
		said.say('Source ' + text(src.source) + ' registered' + (secret ?
		    ': its secret is shown once, below.' : '.'));
		const again = await api('GET', listPath());
		if (!ctx.current())
			return;
		const rows = list(again);
		if (rows)
			show(rows, again.data.next_cursor);
		refocus(p, 'h3');
	});
	if (ctx.current())
		root.append(reg);
}

function sourceTable(items, later) {
	const t = table(['Name', 'Format', 'Mode', 'Playbook', 'Auto-triage',
	    'Enabled', 'Secret rotated', 'Created'], items.map((s) => {
		const row = [link(text(s.source), '#/sources/' +
		    encodeURIComponent(text(s.source))), s.format, s.mode,
		    s.playbook == null ? '—' : s.playbook,
		    s.auto_triage ? 'yes' : 'no', s.enabled ? 'yes' : 'no',
		    s.secret_rotated_at ? when(s.secret_rotated_at) : 'never',
		    when(s.created_at)];
		row.attrs = { source: s.source };
		return row;
	}), 'Sources', 'sources');
	t.tBodies[0].id = 'source-rows';
	const wrap = el('div');
	wrap.append(t);
	if (items.length === 0)
		wrap.append(el('p', later ? 'No more sources.' :
		    'No sources registered yet.', 'empty'));
	return wrap;
}

// The playbooks a source may name, for the select; none when the API
// refuses (the field then takes a name).
async function playbookNames() {
	const res = await api('GET', '/api/playbooks?limit=200');
	const rows = list(res);
	return rows ? rows.map((p) => text(p.name)) : null;
}

// "severity_mapping" as typed: empty, or a JSON object; throws with a
// message the form shows.
function mappingValue(s) {
	if (s.trim() === '')
		return undefined;
	let v;
	try { v = JSON.parse(s); } catch (e) {
		throw new Error('Severity mapping is not JSON: ' + e.message);
	}
	if (v === null || typeof v !== 'object' || Array.isArray(v))
		throw new Error('Severity mapping must be a JSON object');
	return v;
}

async function registerForm(onCreated) {
	const names = await playbookNames();
	const fName = field('Name', { name: 'source', required: true,
	    hint: 'a-z, 0-9, dot, dash, underscore; the receiver is ' +
	    'POST /api/webhooks/<name>', autocomplete: 'off' });
	const fFormat = field('Format', { name: 'format', kind: 'select',
	    options: FORMATS.map((f) => [f, f]), value: 'auto' });
	const fMode = field('Mode', { name: 'mode', kind: 'select',
	    options: MODES, value: 'sync' });
	const fPlaybook = names ?
	    field('Playbook', { name: 'playbook', kind: 'select',
		options: [['', '(none)']].concat(names.map((n) => [n, n])) }) :
	    field('Playbook', { name: 'playbook', hint: 'a playbook name, or empty' });
	const fTriage = field('Auto-triage (run the playbook on each incident)',
	    { name: 'auto_triage', kind: 'checkbox' });
	const fEnabled = field('Enabled', { name: 'enabled', kind: 'checkbox',
	    value: true });
	fEnabled.input.defaultChecked = true;
	const fMapping = field('Severity mapping (JSON, optional)', {
	    name: 'severity_mapping', kind: 'textarea',
	    placeholder: '{"Sev 1": "critical", "Sev 2": "high"}',
	    hint: 'the sender\'s severity names to critical, high, medium, low or info' });
	const fSecret = field('Secret (optional)', { name: 'secret',
	    type: 'password', hint: 'leave empty for a generated whsec_... ' +
	    'shown once; else 8 to 512 characters' });
	const f = form('Register a source', [fName, fFormat, fMode, fPlaybook,
	    fTriage, fEnabled, fMapping, fSecret], 'Register', async () => {
		const body = { source: fName.input.value.trim(),
		    format: fFormat.input.value, mode: fMode.input.value,
		    auto_triage: fTriage.input.checked,
		    enabled: fEnabled.input.checked };
		if (fPlaybook.input.value.trim() !== '')
			body.playbook = fPlaybook.input.value.trim();
		let mapping;
		try { mapping = mappingValue(fMapping.input.value); } catch (e) {
			f.say(e.message);
			fMapping.input.focus();
			return;
		}
		if (mapping !== undefined)
			body.severity_mapping = mapping;
		if (fSecret.input.value !== '')
			body.secret = fSecret.input.value;
		const res = await api('POST', '/api/webhooks', body);
		if (res.status !== 201 || !res.data) {
			f.say('Not registered: ' + errmsg(res));
			return;
		}
		const secret = typeof res.data.secret === 'string' ?
		    res.data.secret : null;
		f.reset();
		fFormat.input.value = 'auto';
		fMode.input.value = 'sync';
		await onCreated(res.data, secret);
	}, 'panel register');
	return f;
}

// --- one source -------------------------------------------------------

async function detail(root, ctx, name) {
	const path = '/api/webhooks/' + encodeURIComponent(name);
	const res = await api('GET', path);
	if (!ctx.current())
		return;
	if (res.status !== 200 || !res.data) {
		root.append(add(el('p', null, 'actions'),
		    link('All sources', '#/sources')));
		root.append(res.status === 404 ?
		    el('p', 'No source named ' + name + ' (' + errmsg(res) + ').',
			'error') : refusal('this source', res));
		return;
	}
	const s = res.data;
	const part = section(text(s.source), 'h3', 'source-detail');
	part.dataset.source = text(s.source);
	// The rotated secret stays in its own box until the page is left
	// (not a live region: a screen reader would read the secret out);
	// what the actions say goes to their status line.
	const once = el('div', null, 'secret-once');
	const status = statusLine('action-status', ctx);
	const settings = el('div');
	const showSettings = (src) => {
		settings.replaceChildren(dl([
			['Receiver', 'POST /api/webhooks/' + text(src.source)],
			['Enabled', src.enabled ? 'yes' : 'no'],
			['Format', src.format],
			['Mode', src.mode],
			['Playbook', src.playbook == null ? '' : src.playbook],
			['Auto-triage', src.auto_triage ? 'yes' : 'no'],
			['Severity mapping', mappingText(src.severity_mapping)],
			['Secret rotated', src.secret_rotated_at ?
			    when(src.secret_rotated_at) : 'never'],
			['Created', when(src.created_at)],
			['Updated', when(src.updated_at)],
		], 'kv source-settings'));
	};
	showSettings(s);
	let current = s;
	const toggle = button(s.enabled ? 'Disable' : 'Enable', async () => {
		const want = !current.enabled;
		const r = await api('PUT', path, { enabled: want });
		if (r.status !== 200 || !r.data) {
			status.say((want ? 'Not enabled: ' : 'Not disabled: ') +
			    errmsg(r), true);
			return;
		}
		if (!ctx.current())
			return;
		current = r.data;
		showSettings(current);
		toggle.textContent = current.enabled ? 'Disable' : 'Enable';
		status.say('Source ' + text(current.source) +
		    (current.enabled ? ' enabled.' : ' disabled: its receiver ' +
		    'answers 403 webhook_disabled.'));
	}, 'secondary toggle-enabled');
	const rotate = button('Rotate secret', async () => {
		if (!await confirmDialog('Rotate the secret of ' + text(name) +
		    '? The old secret stops working at once: the sender must ' +
		    'get the new one.', 'Rotate secret'))
			return;
		const r = await api('PUT', path, { rotate_secret: true });
		if (r.status !== 200 || !r.data || typeof r.data.secret !== 'string') {
			status.say('Not rotated: ' + errmsg(r), true);
			return;
		}
		if (!ctx.current())
			return;
		const secret = r.data.secret;
		delete r.data.secret;
		current = r.data;
		showSettings(current);
		once.replaceChildren(el('p', 'New secret: copy it now, it is ' +
		    'shown this once. The old one no longer verifies.', 'warning'),
		    secretBox('Signing secret', secret, true));
		status.say('Secret rotated: the new one is shown once, below.');
		refocus(once, 'button.copy');
	}, 'secondary rotate');
	const del = button('Delete', async () => {
		if (!await confirmDialog('Delete the source ' + text(name) +
		    '? Its receiver then answers 404 unknown_source; its ' +
		    'incidents stay.', 'Delete source'))
			return;
		const r = await api('DELETE', path);
		if (r.status !== 204) {
			status.say('Not deleted: ' + errmsg(r), true);
			return;
		}
		ctx.go('#/sources');
	}, 'danger delete');
	part.append(add(el('p', null, 'actions'), link('All sources', '#/sources'),
	    link('Incidents from this source', '#/incidents?source=' +
		encodeURIComponent(text(s.source)))),
	    settings, add(el('div', null, 'actions'), toggle, rotate, del), status,
	    once,
	    testPanel(ctx, name, s));
	root.append(part);
}

function mappingText(m) {
	if (!m || typeof m !== 'object' || Object.keys(m).length === 0)
		return '';
	return Object.entries(m).map(([k, v]) => k + ' → ' + text(v)).join('; ');
}

// A sample alert in the source's format (seed 004's examples), with an
// id of its own so that it is not taken for a duplicate of the last one.
function sample(src) {
	const n = Date.now();
	let f = src.format;
	if (f === 'auto')
		f = src.playbook === 'phishing_triage' ? 'defender' :
		    src.playbook === 'malware_triage' ? 'crowdstrike' : 'generic';
	switch (f) {
	case 'defender':
		return { eventType: 'PhishingEmail', id: 'console-' + n,
		    creationTime: new Date(n).toISOString(), severity: 'medium',
		    category: 'Phish', entityType: 'Email',
		    data: { sender: 'phisher@malicious.example',
			subject: 'Urgent Action Required',
			recipients: ['user@company.example'],
			urls: ['http://malicious.example/login'] } };
	case 'crowdstrike':
		return { metadata: { eventType: 'DetectionSummaryEvent',
		    eventCreationTime: n },
		    event: { DetectId: 'ldt:console-' + n, Severity: 4,
			HostnameField: 'WORKSTATION-01',
			DetectName: 'Malicious File Detected',
			SHA256String: 'a'.repeat(64) } };
	case 'splunk':
		return { result: { host: 'server-01',
		    source: 'WinEventLog:Security', sourcetype: 'WinEventLog',
		    EventCode: '4625', src_ip: '203.0.113.7' },
		    search_name: 'Failed Login Alert',
		    trigger_time: Math.floor(n / 1000) };
	default:
		return { event_type: 'test',
		    data: { title: 'Test alert from the console',
			severity: 'low', alert_id: 'console-' + n,
			host: 'workstation-01', ip: '203.0.113.7' } };
	}
}

// POST to the receiver as a sender would: the exact body that was signed
// (api() would re-serialize it) with the two signature headers, and no
// cookie (the receiver takes none).
async function receive(name, signed) {
	const r = await fetch(url('/api/webhooks/' + encodeURIComponent(name)), {
		method: 'POST', credentials: 'omit',
		headers: { 'Content-Type': 'application/json',
		    'X-Webhook-Timestamp': signed.timestamp,
		    'X-Webhook-Signature': signed.signature },
		body: signed.body });
	let data = null;
	try { data = await r.json(); } catch (e) { data = null; }
	return { status: r.status, data };
}

function testPanel(ctx, name, src) {
	const p = section('Send a test event', 'h3', 'panel test-event');
	const fBody = field('Alert (JSON)', { name: 'body', kind: 'textarea',
	    value: JSON.stringify(sample(src), null, 2),
	    hint: 'signed by the server with this source\'s secret, then ' +
	    'posted to its receiver' });
	fBody.input.rows = 14;
	const answer = el('div', null, 'test-answer');
	answer.setAttribute('role', 'status');
	answer.setAttribute('aria-live', 'polite');
	const send = button('Sign and send', async () => {
		let body;
		try { body = JSON.parse(fBody.input.value); } catch (e) {
			answer.replaceChildren(el('p', 'Not JSON: ' + e.message,
			    'error'));
			fBody.input.focus();
			return;
		}
		answer.replaceChildren(el('p', 'Signing…'));
		const signed = await api('POST', '/api/webhooks/' +
		    encodeURIComponent(name) + '/sign', body);
		if (!ctx.current())
			return;
		if (signed.status !== 200 || !signed.data) {
			answer.replaceChildren(el('p', 'Not signed: ' +
			    errmsg(signed), 'error'));
			return;
		}
		answer.replaceChildren(el('p', 'Sending…'));
		const r = await receive(name, signed.data);
		if (!ctx.current())
			return;
		const d = r.data || {};
		const pairs = [['Status code', String(r.status)]];
		if (r.status < 300) {
			pairs.push(['Status', text(d.status)]);
			if (d.incident_number !== undefined)
				pairs.push(['Incident', text(d.incident_number)]);
			if (d.merged)
				pairs.push(['Merged', 'yes: into an open incident']);
			if (d.queue_id !== undefined)
				pairs.push(['Queued as', text(d.queue_id)]);
		} else {
			pairs.push(['Error', errmsg(r)]);
		}
		const pre = el('pre', JSON.stringify(r.data, null, 2), 'answer-json');
		pre.setAttribute('aria-label', 'The receiver\'s answer');
		answer.replaceChildren(dl(pairs, 'kv test-result'), pre);
		if (typeof d.incident_id === 'string') {
			const a = link('Open incident ' + text(d.incident_number),
			    '#/incidents/' + encodeURIComponent(d.incident_id));
			a.className = 'incident-link';
			answer.append(add(el('p'), a));
		}
		// A fresh id for the next send, unless the user edited it.
		const again = sample(src);
		if (fBody.input.value === fBody.input.defaultValue)
			fBody.input.value = fBody.input.defaultValue =
			    JSON.stringify(again, null, 2);
	}, 'send-test');
	fBody.input.defaultValue = fBody.input.value;
	p.append(fBody, add(el('div', null, 'actions'), send), answer);
	return p;
}
