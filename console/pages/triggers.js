// Triggers (seed 002 "Web UI Integration", "Phase 4"): the list of
// triggers with their webhook state and use, a form to create one, and per
// trigger (#/triggers/<ref>) the webhook toggle, URL and key (hidden until
// asked, the seed's warning), key regeneration and rotation keys, the
// webhook_stats_detailed counts, the security settings (HMAC, rate limit,
// IP allow list, payload limit), the event log (#/triggers/<ref>/events/<id>
// shows one event's payload) and a test webhook tool.
//
// Secrets (a key just made, the HMAC secret just generated) travel only
// as the argument of the render that shows them (renderDetail's shown),
// never in module state, and nothing holding one is a live region.  After
// an action that renders the trigger again, the focus goes to the
// equivalent of the control pressed (shown.focus).
//
// The test tool posts the payload from the browser to the trigger's own
// receiver URL (same origin, no cookie), exactly as an outside sender
// would.  With signature verification on, the signing happens on the
// server (POST .../webhooks/sign answers the signature headers for that
// very body): the HMAC secret is shown once when generated and never
// fetched or kept by the page.  Sending unsigned shows the refusal.

import { api, url, el, add, list, errmsg, text, section, table, tr, dl,
    field, form, button, confirmDialog, copyText, secretBox, when, link,
    refocus } from '../lib.js';

const LIST_ROWS = 50;		// triggers a page of the list
const STATS_PARALLEL = 4;	// /stats calls at once for the list's counts
const EVENT_ROWS = 10;		// rows a page of the event log
const WARNING = 'Keep this key secret. Anyone with this key can trigger ' +
    'events. If compromised, regenerate immediately.';
const TEST_PAYLOAD = '{"test": "payload", "value": 123}';

const enc = encodeURIComponent;
const tpath = (ref) => '/api/v1/triggers/' + enc(ref);

export default async function (root, ctx) {
	root.append(el('h2', 'Triggers'));
	const [ref, sub, id] = ctx.args;
	if (ref && sub === 'events' && id)
		return eventView(root, ctx, ref, id);
	if (ref)
		return detailView(root, ctx, ref);
	return listView(root, ctx);
}

// A form's status line: a refusal (class error) or a plain message.
function status(f, msg, bad) {
	f.say(msg);
	f.querySelector('.form-status').classList.toggle('error', !!bad);
}

function yesno(v) { return v ? 'on' : 'off'; }

// --- the list ------------------------------------------------------------

async function listView(root, ctx) {
	const admin = ctx.session.role === 'admin';
	const t = table(['Ref', 'Description', 'Owner', 'Webhook',
	    'Events received', 'Last event'], [], 'Triggers', 'triggers');
	t.tBodies[0].id = 'trigger-rows';
	const empty = el('p', 'No triggers yet.');
	empty.hidden = true;
	const more = button('More triggers', () => loadPage(), 'secondary');
	more.hidden = true;
	root.append(t, empty, more, createForm(ctx, admin));
	let cursor = null;
	const loadPage = async () => {
		const q = '?limit=' + LIST_ROWS + (cursor ? '&cursor=' + enc(cursor) : '');
		const res = await api('GET', '/api/v1/triggers' + q);
		if (!ctx.current())
			return;
		const items = list(res);
		if (!items) {
			root.append(el('p', 'Could not list triggers: ' + errmsg(res), 'error'));
			return;
		}
		const cursorWas = cursor;
		cursor = res.data.next_cursor || null;
		more.hidden = !cursor;
		const rows = items.map((trg) => {
			const cells = [link(trg.ref, '#/triggers/' + enc(trg.ref)),
			    trg.description, trg.owner_id == null ? '(none)' : trg.owner_id,
			    yesno(trg.webhook_enabled), el('span', '…', 'count'),
			    el('span', '…', 'last')];
			cells.attrs = { ref: trg.ref };
			return { trg, row: tr(cells) };
		});
		t.tBodies[0].append(...rows.map((r) => r.row));
		empty.hidden = t.tBodies[0].children.length > 0;
		// More triggers gone (the last page): the reader goes on at the
		// first new row.
		if (more.hidden && cursorWas && rows.length > 0)
			rows[0].row.querySelector('a').focus();
		// Events received and the last event: each trigger's stats.
		let next = 0;
		const worker = async () => {
			while (next < rows.length) {
				const r = rows[next++];
				const s = await api('GET', tpath(r.trg.ref) + '/stats');
				if (!ctx.current())
					return;
				const d = s.status === 200 && s.data ? s.data.data : null;
				r.row.querySelector('.count').textContent = d ? text(d.total_events) : '?';
				r.row.querySelector('.last').textContent = d ?
				    (d.last_event_at ? when(d.last_event_at) : 'never') : '?';
			}
		};
		await Promise.all(Array.from({ length: STATS_PARALLEL }, worker));
	};
	await loadPage();
}

function createForm(ctx, admin) {
	const ref = field('Ref', { name: 'ref', required: true,
	    placeholder: 'github.push',
	    hint: 'Lower case, dotted: pack.name (github.push, stripe.payment_succeeded).' });
	const desc = field('Description', { name: 'description', kind: 'textarea' });
	const preset = field('Sender preset', { name: 'preset', kind: 'select',
	    options: [['', 'none (hookpost signatures)'], ['github'], ['stripe'],
		['slack'], ['standard']] });
	const owner = admin ? field('Owner', { name: 'owner_id',
	    hint: 'Empty: no owner (only admins manage it).' }) : null;
	const f = form('New trigger', [ref, desc, preset, owner], 'Create trigger',
	    async () => {
		const body = { ref: ref.input.value.trim() };
		if (desc.input.value !== '')
			body.description = desc.input.value;
		if (preset.input.value !== '')
			body.preset = preset.input.value;
		if (owner && owner.input.value.trim() !== '')
			body.owner_id = owner.input.value.trim();
		const res = await api('POST', '/api/v1/triggers', body);
		if (res.status !== 201 || !res.data) {
			status(f, 'Not created: ' + errmsg(res), true);
			return;
		}
		ctx.go('#/triggers/' + enc(res.data.data.ref));
	}, 'panel create');
	f.id = 'trigger-create';
	return f;
}

// --- one trigger ---------------------------------------------------------

async function detailView(root, ctx, ref, shown) {
	const body = el('div', null, 'trigger');
	root.append(add(el('p'), link('All triggers', '#/triggers')), body);
	await renderDetail(body, ctx, ref, shown || {});
}

// Renders (again) a trigger's part of the page.  shown: {key} a key to
// show at once (just regenerated or added), {secret} an HMAC secret just
// generated (shown this once), {focus} a selector to focus after.
async function renderDetail(body, ctx, ref, shown) {
	const [tres, wres] = await Promise.all([api('GET', tpath(ref)),
	    api('GET', tpath(ref) + '/webhook')]);
	if (!ctx.current())
		return;
	if (tres.status !== 200 || !tres.data) {
		body.replaceChildren(el('p', 'Could not load trigger ' + ref + ': ' +
		    errmsg(tres), 'error'));
		return;
	}
	const trg = tres.data.data;
	const wh = wres.status === 200 && wres.data ? wres.data.data : {};
	const again = async (s) => {
		if (ctx.current())
			await renderDetail(body, ctx, ref, s || {});
	};
	const head = el('h3', trg.ref, 'trigger-ref');
	const meta = dl([['Description', trg.description],
	    ['Owner', trg.owner_id == null ? '(none)' : trg.owner_id],
	    ['Preset', trg.preset || 'none'],
	    ['Created', when(trg.created_at)]], 'kv trigger-meta');
	const parts = [head, meta, webhookPart(trg, wh, shown, again),
	    statsPart(ctx, ref, wh), configPart(trg, shown, again),
	    testPart(ctx, trg, wh), eventsPart(ctx, ref)];
	body.replaceChildren(...parts.map((p) => p.root || p));
	if (shown.focus)
		refocus(body, ...[].concat(shown.focus), 'h3.trigger-ref');
	await Promise.all(parts.filter((p) => p.load).map((p) => p.load()));
	// Stats and the event log follow a test sent from this page.
	body.refresh = async () => {
		await Promise.all(parts.filter((p) => p.load).map((p) => p.load()));
	};
}

// Webhooks on/off, the URL, the key, regeneration and the rotation keys.
function webhookPart(trg, wh, shown, again) {
	const root = section('Webhook', 'h3', 'webhook');
	const on = !!trg.webhook_enabled;
	const out = el('p', null, 'form-status');
	out.setAttribute('role', 'status');
	const fail = (m) => { out.textContent = m; out.classList.add('error'); };
	const sw = button(on ? 'On' : 'Off', async () => {
		if (on && !await confirmDialog('Turn webhooks off for ' + trg.ref +
		    '? Every key is removed at once: their URLs stop working, and ' +
		    'turning webhooks on again makes a new key.', 'Turn off'))
			return;
		const res = await api('POST', tpath(trg.ref) + '/webhooks/' +
		    (on ? 'disable' : 'enable'));
		if (res.status !== 200) {
			fail('Not changed: ' + errmsg(res));
			return;
		}
		await again({ focus: 'button.switch' });
	}, 'switch');
	sw.setAttribute('aria-pressed', on ? 'true' : 'false');
	sw.id = 'webhook-switch';
	const lab = el('span', 'Webhooks', 'switch-label');
	lab.id = 'webhook-switch-label';
	sw.setAttribute('aria-labelledby', lab.id + ' ' + sw.id);
	sw.classList.add(on ? 'on' : 'off');
	root.append(add(el('div', null, 'switch-row'), lab, sw), out);
	if (!on || !wh.webhook_key) {
		root.append(el('p', 'Webhooks are off: no URL accepts events for ' +
		    'this trigger.', 'meta'));
		return root;
	}
	// The URL holds the key: shown whole only while the key is.
	const full = text(wh.webhook_url);
	const k = text(wh.webhook_key);
	const masked = full.endsWith(k) ? full.slice(0, full.length - k.length) +
	    k.slice(0, 9) + '…' : full;
	const url = el('code', masked, 'webhook-url');
	url.id = 'webhook-url';
	const copied = el('span', null, 'copied');
	copied.setAttribute('role', 'status');
	const copyUrl = button('Copy URL', async () => {
		const was = url.textContent;
		url.textContent = full;
		const okd = await copyText(full, url);
		if (okd)
			url.textContent = was;
		copied.textContent = okd ? 'Copied.' : 'Selected: press Ctrl+C to copy.';
	}, 'secondary copy-url');
	const regen = button('Regenerate key', async () => {
		if (!await confirmDialog('Make a new key for ' + trg.ref + '? The ' +
		    'current key, and every other key of this trigger, stops working ' +
		    'at once: senders must be given the new URL.', 'Regenerate'))
			return;
		const res = await api('POST', tpath(trg.ref) + '/webhooks/regenerate');
		if (res.status !== 200 || !res.data) {
			fail('Not regenerated: ' + errmsg(res));
			return;
		}
		await again({ key: res.data.data.webhook_key, regenerated: true,
		    focus: '.webhook .secret button.toggle' });
	}, 'danger regenerate');
	const keyShown = shown.key === wh.webhook_key;
	const key = secretBox('Webhook key', wh.webhook_key, keyShown);
	key.classList.add('webhook-key');
	const showUrl = () => {
		url.textContent = key.querySelector('code').textContent === k ?
		    full : masked;
	};
	key.querySelector('button.toggle').addEventListener('click', showUrl);
	showUrl();
	root.append(el('p', 'Webhook URL:', 'url-label'),
	    add(el('div', null, 'secret url-box'), url, copyUrl, copied),
	    key, el('p', WARNING, 'warning'),
	    add(el('div', null, 'actions'), regen));
	if (shown.regenerated)
		root.append(el('p', 'A new key was made; the previous key no longer ' +
		    'works.', 'meta regenerated'));
	root.append(keysPart(trg, wh, shown, again, fail));
	return root;
}

// Several labelled keys for rotation without downtime (at most 10).
function keysPart(trg, wh, shown, again, fail) {
	const root = section('Keys', 'h4', 'keys');
	const keys = Array.isArray(wh.keys) ? wh.keys : [];
	const rows = keys.map((k) => {
		const del = button('Delete', async () => {
			if (!await confirmDialog('Delete key ' + text(k.label) + '? Its URL ' +
			    'stops working at once.', 'Delete key'))
				return;
			const res = await api('DELETE', tpath(trg.ref) + '/webhooks/keys/' +
			    enc(k.id));
			if (res.status !== 204 && res.status !== 200) {
				fail('Not deleted: ' + errmsg(res));
				return;
			}
			await again({ focus: ['.keys .delete-key', '.keys input'] });
		}, 'secondary delete-key');
		del.setAttribute('aria-label', 'Delete key ' + text(k.label));
		const cells = [k.label, text(k.key).slice(0, 9) + '…', when(k.created_at),
		    k.last_used_at ? when(k.last_used_at) : 'never', del];
		cells.attrs = { id: k.id };
		return cells;
	});
	const t = table(['Label', 'Key', 'Created', 'Last used', ''], rows,
	    'Active keys', 'keys-table');
	root.append(t);
	const added = keys.find((k) => shown.addedKey && k.id === shown.addedKey);
	if (added) {
		const box = secretBox('New key ' + text(added.label), added.key, true);
		box.classList.add('new-key');
		root.append(box, el('p', 'Its URL: ' + text(added.url), 'meta'));
	}
	const label = field('Label', { name: 'label', required: true,
	    hint: 'Letters, digits, space . _ : - (rotation-2).' });
	const f = form('Add a key', [label], 'Add key', async () => {
		const res = await api('POST', tpath(trg.ref) + '/webhooks/keys',
		    { label: label.input.value });
		if (res.status !== 201 || !res.data) {
			status(f, 'Not added: ' + errmsg(res), true);
			return;
		}
		await again({ addedKey: res.data.data.id, focus: '.keys .new-key button.copy' });
	}, 'panel add-key');
	root.append(f);
	return root;
}

function statsPart(ctx, ref, wh) {
	const root = section('Stats', 'h3', 'stats');
	const box = el('div');
	root.append(box);
	return { root, load: async () => {
		const res = await api('GET', tpath(ref) + '/stats');
		if (!ctx.current())
			return;
		if (res.status !== 200 || !res.data) {
			box.replaceChildren(el('p', 'Could not load stats: ' + errmsg(res), 'error'));
			return;
		}
		const s = res.data.data;
		const reasons = Object.entries(s.refusals_by_reason || {})
		    .map(([k, v]) => k + ': ' + v).join(', ');
		box.replaceChildren(dl([
			['Events received', s.total_events],
			['Last event', s.last_event_at ? when(s.last_event_at) : 'never'],
			['Created', when(wh.created_at) || 'webhooks never enabled'],
			['Events (24 h)', s.events_last_24h],
			['Requests', s.total_requests],
			['Requests (24 h)', s.requests_last_24h],
			['Accepted', s.accepted],
			['Duplicates', s.duplicates],
			['Refused', s.refused],
			['Refusals by reason', reasons || 'none'],
			['Median processing', s.median_processing_ms == null ? '—' :
			    text(s.median_processing_ms) + ' ms'],
			['Last request', s.last_request_at ? when(s.last_request_at) : 'never'],
		], 'kv stats-list'));
	} };
}

// Signature verification, rate limit, IP allow list, payload limit.
function configPart(trg, shown, again) {
	const root = section('Configuration', 'h3', 'config');
	const r = tpath(trg.ref) + '/webhooks';
	const hm = trg.hmac || {};

	// HMAC: on with an algorithm (and, without a preset, a scheme); a
	// secret typed here replaces the stored one, none makes a new one
	// (shown once, below).
	const algo = field('Algorithm', { name: 'algorithm', kind: 'select',
	    options: [['sha256'], ['sha512'], ['sha1']], value: hm.algorithm || 'sha256' });
	const scheme = trg.preset ? null : field('Scheme', { name: 'scheme', kind: 'select',
	    options: [['timestamped', 'timestamped (not replayable)'],
		['body', 'body (seed 002; replayable)']], value: hm.scheme || 'timestamped' });
	// stripe and slack: a request their provider sends without an id is
	// told from a replay by its signature unless dedupe is "id".
	const dedupe = trg.preset === 'stripe' || trg.preset === 'slack' ?
	    field('Duplicates', { name: 'dedupe', kind: 'select',
		options: [['mac', 'same signature: answer the first event'],
		    ['id', 'by the sender\'s id only (a request without one is replayable)']],
		value: hm.dedupe || 'mac' }) : null;
	const secret = field('Secret', { name: 'secret', type: 'password',
	    hint: hm.secret_set ? 'A secret is set; empty keeps it.' :
		'Empty: a new secret is made and shown once.' });
	const hf = form('Signature verification (HMAC)', [
		el('p', 'Now: ' + (hm.enabled ? 'on, ' + text(hm.algorithm) +
		    (trg.preset ? ', preset ' + trg.preset : ', ' + text(hm.scheme)) : 'off'),
		    'meta hmac-now'),
		trg.preset ? null : algo, scheme, dedupe, secret],
	    hm.enabled ? 'Save HMAC' : 'Enable HMAC', async () => {
		const b = {};
		if (!trg.preset)
			b.algorithm = algo.input.value;
		if (scheme)
			b.scheme = scheme.input.value;
		if (dedupe)
			b.dedupe = dedupe.input.value;
		if (secret.input.value !== '')
			b.secret = secret.input.value;
		secret.input.value = '';
		const res = await api('POST', r + '/hmac/enable', b);
		if (res.status !== 200 || !res.data) {
			status(hf, 'Refused: ' + errmsg(res), true);
			return;
		}
		const h = res.data.data.hmac || {};
		await again({ secret: h.secret || null, focus: h.secret ?
		    '.hmac-secret button.copy' : '.hmac .form-status' });
	}, 'panel hmac');
	if (hm.enabled) {
		const off = button('Disable HMAC', async () => {
			const res = await api('POST', r + '/hmac/disable');
			if (res.status !== 200) {
				status(hf, 'Refused: ' + errmsg(res), true);
				return;
			}
			await again({ focus: '.hmac button[type=submit]' });
		}, 'secondary hmac-off');
		hf.querySelector('button[type=submit]').after(off);
	}
	if (shown.secret) {
		const box = secretBox('HMAC secret', shown.secret, true);
		box.classList.add('hmac-secret');
		hf.append(box, el('p', 'Shown this once: copy it into the sender now.',
		    'warning'));
		// The page keeps it no longer than it is on screen.
		shown.secret = null;
	}

	const rl = trg.rate_limit || {};
	const rlOn = field('Rate limit on', { kind: 'checkbox', name: 'enabled', value: rl.enabled });
	const rlReq = field('Requests', { name: 'requests', type: 'number', value: text(rl.requests) });
	const rlWin = field('Window (seconds)', { name: 'window_seconds', type: 'number',
	    value: text(rl.window_seconds) });
	const rf = form('Rate limit', [rlOn, rlReq, rlWin], 'Save rate limit', async () => {
		const res = await api('PUT', r + '/rate-limit', { enabled: rlOn.input.checked,
		    requests: Number(rlReq.input.value), window_seconds: Number(rlWin.input.value) });
		if (res.status !== 200) {
			status(rf, 'Refused: ' + errmsg(res), true);
			return;
		}
		const v = res.data.data.rate_limit || {};
		status(rf, 'Saved: ' + (v.enabled ? v.requests + ' requests per ' +
		    v.window_seconds + ' s' : 'off') + '.');
	}, 'panel rate-limit');

	const ip = trg.ip_allowlist || {};
	const ipOn = field('Allow list on', { kind: 'checkbox', name: 'enabled', value: ip.enabled });
	const ipList = field('Allowed addresses (CIDR, one a line)', { name: 'cidrs',
	    kind: 'textarea', value: (ip.cidrs || []).join('\n'),
	    hint: '192.30.252.0/22, 2001:db8::/32; requests from elsewhere are refused 403.' });
	const ipf = form('IP allow list', [ipOn, ipList], 'Save allow list', async () => {
		const cidrs = ipList.input.value.split(/[\s,]+/).filter((c) => c !== '');
		const res = await api('PUT', r + '/ip-allowlist', { enabled: ipOn.input.checked, cidrs });
		if (res.status !== 200) {
			status(ipf, 'Refused: ' + errmsg(res), true);
			return;
		}
		const v = res.data.data.ip_allowlist || {};
		status(ipf, 'Saved: ' + (v.enabled ? 'on, ' : 'off, ') +
		    (v.cidrs || []).length + ' ranges.');
	}, 'panel ip-allowlist');

	const kb = field('Payload limit (KB)', { name: 'kb', type: 'number',
	    value: text(trg.payload_limit_kb) });
	const pf = form('Payload limit', [kb], 'Save payload limit', async () => {
		const res = await api('PUT', r + '/payload-limit', { kb: Number(kb.input.value) });
		if (res.status !== 200) {
			status(pf, 'Refused: ' + errmsg(res), true);
			return;
		}
		status(pf, 'Saved: ' + text(res.data.data.payload_limit_kb) + ' KB.');
	}, 'panel payload-limit');
	root.append(add(el('div', null, 'config-grid'), hf, rf, ipf, pf));
	return root;
}

// Sends a payload to the trigger's receiver as an outside sender would,
// signed on the server when the trigger verifies signatures.
function testPart(ctx, trg, wh) {
	const root = section('Test webhook', 'h3', 'test-webhook');
	if (!trg.webhook_enabled || !wh.webhook_key) {
		root.append(el('p', 'Turn webhooks on to send a test.', 'meta'));
		return root;
	}
	const hm = trg.hmac || {};
	const payload = field('Payload (JSON)', { name: 'payload', kind: 'textarea',
	    value: TEST_PAYLOAD });
	const sign = hm.enabled ? field('Sign it with the trigger\'s secret (on the ' +
	    'server; the secret never reaches this page)', { kind: 'checkbox',
	    name: 'sign', value: true }) : null;
	const result = el('div', null, 'test-result');
	result.setAttribute('role', 'status');
	result.setAttribute('aria-live', 'polite');
	result.hidden = true;
	const f = form(null, [payload, sign], 'Send test webhook', async () => {
		const bodyText = payload.input.value;
		const headers = { 'Content-Type': 'application/json' };
		let signed = {};
		if (sign && sign.input.checked) {
			const sres = await api('POST', tpath(trg.ref) + '/webhooks/sign',
			    { body: bodyText });
			if (sres.status !== 200 || !sres.data) {
				status(f, 'Not signed: ' + errmsg(sres), true);
				return;
			}
			signed = sres.data.data.headers || {};
			Object.assign(headers, signed);
		}
		let r, data = null;
		try {
			r = await fetch(url('/api/v1/webhooks/' + enc(wh.webhook_key)), {
				method: 'POST', credentials: 'omit', headers, body: bodyText,
			});
		} catch (e) {
			status(f, 'Not sent: ' + e.message, true);
			return;
		}
		const raw = await r.text();
		if (!ctx.current())
			return;
		try { data = JSON.parse(raw); } catch (e) { data = null; }
		const names = Object.keys(signed);
		result.replaceChildren(dl([['Status', text(r.status)],
		    ['Signed', names.length ? names.join(', ') : 'no']], 'kv'),
		    el('pre', data ? JSON.stringify(data, null, 2) : raw, 'answer'));
		result.hidden = false;
		status(f, r.status === 200 ? (data && data.data && data.data.duplicate ?
		    'Accepted (a duplicate).' : 'Accepted.') : 'Refused: ' +
		    (data && data.error ? text(data.error.code || data.error) : 'HTTP ' + r.status),
		    r.status !== 200);
		const body = root.closest('.trigger');
		if (body && body.refresh)
			await body.refresh();
	}, 'panel test-form');
	root.append(f, result);
	return root;
}

// The event log: newest first, EVENT_ROWS a page, Older/Newer by cursor.
function eventsPart(ctx, ref) {
	const root = section('Event log', 'h3', 'events');
	const t = table(['Received', 'Event', 'Key', 'Source IP', 'Delivery id'], [],
	    null, 'log events-table');
	const empty = el('p', 'No events yet.', 'log-empty');
	empty.hidden = true;
	const stack = [];	// cursors of the pages before this one
	let here = null, next = null;
	// The pressed button gone (first or last page): the focus goes to
	// the other one.
	const newer = button('Newer', async () => {
		here = stack.pop() || null;
		await load();
		if (newer.hidden && ctx.current())
			older.focus();
	}, 'secondary newer');
	const older = button('Older', async () => {
		stack.push(here);
		here = next;
		await load();
		if (older.hidden && ctx.current())
			newer.focus();
	}, 'secondary older');
	const pageNo = el('span', null, 'page-no');
	root.append(t, empty, add(el('div', null, 'actions pager'), newer, older, pageNo));
	const load = async () => {
		const q = '?trigger=' + enc(ref) + '&limit=' + EVENT_ROWS +
		    (here ? '&cursor=' + enc(here) : '');
		const res = await api('GET', '/api/v1/events' + q);
		if (!ctx.current())
			return;
		const rows = list(res);
		if (!rows) {
			empty.textContent = 'Could not load the event log: ' + errmsg(res);
			empty.classList.add('error');
			empty.hidden = false;
			return;
		}
		next = res.data.next_cursor || null;
		t.tBodies[0].replaceChildren(...rows.map((e) => {
			const m = e.metadata || {};
			const cells = [when(e.received_at),
			    link(text(e.id), '#/triggers/' + enc(ref) + '/events/' + enc(e.id)),
			    m.webhook_key_label || m.webhook_key, m.source_ip, e.delivery_id];
			cells.attrs = { id: e.id };
			return cells;
		}).map(tr));
		empty.textContent = 'No events yet.';
		empty.classList.remove('error');
		empty.hidden = rows.length > 0;
		newer.hidden = stack.length === 0;
		older.hidden = !next;
		pageNo.textContent = rows.length ? 'Page ' + (stack.length + 1) : '';
	};
	return { root, load: () => { stack.length = 0; here = null; return load(); } };
}

// --- one event -------------------------------------------------------------

async function eventView(root, ctx, ref, id) {
	root.append(add(el('p'), link('All triggers', '#/triggers'), ' · ',
	    link('Trigger ' + ref, '#/triggers/' + enc(ref))));
	const res = await api('GET', '/api/v1/events/' + enc(id));
	if (!ctx.current())
		return;
	if (res.status !== 200 || !res.data) {
		root.append(el('p', 'Could not load event ' + id + ': ' + errmsg(res), 'error'));
		return;
	}
	const e = res.data.data;
	const m = e.metadata || {};
	root.append(el('h3', 'Event ' + text(e.id), 'event-id'), dl([
		['Trigger', e.trigger_ref],
		['Received', when(e.received_at)],
		['Source', e.source],
		['Key', m.webhook_key_label ? text(m.webhook_key_label) + ' (' +
		    text(m.webhook_key) + ')' : m.webhook_key],
		['Source IP', m.source_ip],
		['User agent', m.user_agent],
		['Delivery id', e.delivery_id],
		['Preset', m.preset],
	], 'kv event-meta'),
	el('h4', 'Payload'), el('pre', JSON.stringify(e.payload, null, 2), 'payload'),
	el('h4', 'Metadata'), el('pre', JSON.stringify(m, null, 2), 'metadata'));
}
