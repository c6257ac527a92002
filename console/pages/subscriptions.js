// Subscriptions (seed 000): the list, a new subscription (its signing
// secret shown once), and per subscription its verification status, Test,
// rotate secret, enable/disable, delete and its recent deliveries.

import { api, el, add, errmsg, text, section, table, dl, field, form,
    button, confirmDialog, secretBox, when, link, filters, rows, pageRows,
    pager, refocus } from '../lib.js';

const SUBS = '/admin/webhooks/subscriptions';
const PAGE_ROWS = 50;		// a page of the list, unless the hash's ?limit=
const LIST_MAX = 200;		// the API's ?limit= ceiling
const RECENT_DELIVERIES = 20;

// seed 000's subscription statuses, in the API's words, and what each
// means to the reader.
const STATUSES = [
	['pending_verification', 'waiting for the challenge'],
	['active', 'verified: deliveries are sent'],
	['disabled', 'no deliveries'],
	['pending_delete', 'verification failed: to be removed'],
];

// A secret the API answers with (create, rotate) goes straight into the
// view that asked for it, as an argument of the render: no module state
// holds one (it would outlive the view, and the session).

export default async function (root, ctx) {
	root.append(el('h2', 'Subscriptions'));
	if (ctx.args.length > 0)
		await detail(root, ctx, ctx.args[0]);
	else
		await listView(root, ctx);
}

function isAdmin(ctx) { return ctx.session.role === 'admin'; }

// notice: what the action that came back here did (a delete).
async function listView(root, ctx, notice) {
	const q = ctx.query;
	const params = new URLSearchParams();
	for (const k of ['status', 'owner_id'])
		if (q.get(k))
			params.set(k, q.get(k));
	const filtered = String(params) !== '';
	params.set('limit', String(pageRows(q, PAGE_ROWS, LIST_MAX)));
	const [res, types] = await Promise.all([
		api('GET', SUBS + '?' + params),
		api('GET', '/api/event-types?limit=1000'),
	]);
	if (!ctx.current())
		return;

	const defs = [{ label: 'Status', name: 'status', kind: 'select',
	    value: q.get('status') || '',
	    options: [['', 'any']].concat(STATUSES.map(([s]) => [s, s])) }];
	if (isAdmin(ctx))
		defs.push({ label: 'Owner', name: 'owner_id',
		    value: q.get('owner_id') || '' });
	root.append(filters(defs, (p) => {
		// The page size the hash asked for stays.
		if (q.get('limit'))
			p.set('limit', q.get('limit'));
		ctx.go('#/subscriptions' + (String(p) ? '?' + p : ''));
	}));

	if (notice) {
		const n = el('p', notice, 'notice');
		n.setAttribute('role', 'status');
		root.append(n);
	}
	const items = rows(res);
	if (!items) {
		root.append(el('p', 'Could not list subscriptions: ' + errmsg(res),
		    'error'));
	} else {
		const cols = ['Name', 'URL', 'Events', 'Verification', 'Enabled'];
		if (isAdmin(ctx))
			cols.push('Owner');
		cols.push('Created');
		const cells = (s) => {
			const r = [link(text(s.name), '#/subscriptions/' +
			    encodeURIComponent(text(s.id))), s.url,
			    (s.events || []).join(', '), s.status,
			    s.status === 'disabled' ? 'no' : 'yes'];
			if (isAdmin(ctx))
				r.push(s.owner_id == null ? '—' : s.owner_id);
			r.push(when(s.created_at));
			r.attrs = { id: s.id };
			return r;
		};
		const t = table(cols, items.map(cells), 'Subscriptions');
		t.tBodies[0].id = 'subscriptions-rows';
		root.append(t);
		if (items.length === 0)
			root.append(el('p', 'No subscriptions' + (filtered ?
			    ' match these filters.' : ' yet.'), 'empty'));
		root.append(pager(ctx, t.tBodies[0], res.next, cells,
		    ['subscription', 'subscriptions']));
	}
	root.append(createForm(root, ctx, catalog(types)));
}

// The catalog's names, or [] when it could not be read.
function catalog(res) {
	return res.status === 200 && res.data && Array.isArray(res.data.data) ?
	    res.data.data.map((t) => text(t.name)) : [];
}

// The events to subscribe to: a checkbox per catalog type, and patterns
// (resource.* or *) typed in.
function eventsPicker(names, chosen) {
	const fs = el('fieldset', null, 'events-pick');
	fs.append(el('legend', 'Events'));
	const boxes = names.map((n) => {
		const f = field(n, { kind: 'checkbox', name: 'event',
		    value: chosen.includes(n) });
		f.input.value = n;
		return f;
	});
	const grid = el('div', null, 'event-boxes');
	grid.append(...boxes);
	const other = field('Other patterns (comma-separated)', {
	    name: 'patterns', hint: 'resource.* or * match every type of ' +
	    'a resource, or every type',
	    value: chosen.filter((n) => !names.includes(n)).join(', ') });
	fs.append(grid, other);
	fs.value = () => boxes.filter((b) => b.input.checked)
	    .map((b) => b.input.value)
	    .concat(other.input.value.split(',').map((s) => s.trim())
	    .filter((s) => s !== ''));
	return fs;
}

function createForm(root, ctx, names) {
	const name = field('Name', { name: 'name', required: true,
	    hint: 'what the endpoint is, for you' });
	const url = field('URL', { name: 'url', type: 'url', required: true,
	    placeholder: 'https://example.com/webhooks' });
	const events = eventsPicker(names, []);
	const owner = isAdmin(ctx) ? field('Owner (optional)', {
	    name: 'owner_id', hint: 'the owner it belongs to; yours when empty' })
	    : null;
	const f = form('New subscription', [name, url, events, owner],
	    'Create subscription', async () => {
		const body = { name: name.input.value, url: url.input.value,
		    events: events.value() };
		if (body.events.length === 0) {
			f.say('Choose at least one event.');
			return;
		}
		if (owner && owner.input.value !== '')
			body.owner_id = owner.input.value;
		const res = await api('POST', SUBS, body);
		if (res.status !== 201 || !res.data) {
			f.say('Could not create the subscription: ' + errmsg(res));
			return;
		}
		if (!ctx.current())
			return;
		// The new subscription's view, rendered here with its secret
		// (shown this once); the address follows.
		const id = text(res.data.id);
		ctx.show('#/subscriptions/' + encodeURIComponent(id));
		root.replaceChildren(el('h2', 'Subscriptions'));
		await detail(root, ctx, id, { secret: text(res.data.secret),
		    why: 'created' });
		refocus(root, '.once button.copy', 'section.subscription h3');
	}, 'panel create');
	f.id = 'subscription-create';
	return f;
}

// What the reader should know and do about the verification status.
function verifyHelp(s) {
	const p = el('p', null, 'verify-help');
	switch (s.status) {
	case 'pending_verification':
		p.textContent = 'Not verified yet. hookpost\'s challenge worker ' +
		    'POSTs {"type":"webhook.challenge","challenge":"…"} to the ' +
		    'URL; the endpoint must answer 200 within 10 s with a JSON ' +
		    'body echoing the challenge ({"challenge":"…"}). It tries 3 ' +
		    'times, 30 s apart; then the subscription is marked for ' +
		    'deletion. Nothing is delivered until it is verified.';
		break;
	case 'active':
		p.textContent = 'Verified: the endpoint answered the challenge. ' +
		    'Deliveries are signed with the secret (X-Webhook-Signature: ' +
		    'sha256=<hex HMAC-SHA256 of the body>).';
		break;
	case 'disabled':
		p.textContent = 'Disabled: nothing is delivered. Ask for it to be ' +
		    'verified again once the endpoint works.';
		break;
	case 'pending_delete':
		p.textContent = 'The endpoint failed the challenge 3 times: the ' +
		    'subscription is to be removed. Fix the endpoint and create ' +
		    'it again.';
		break;
	default:
		p.textContent = '';
	}
	return p;
}

// Renders subscription id; returns it as the API gave it, or undefined
// when it could not be read (the refusal shown).  once: {secret, why}, a
// secret the API just answered with, shown in this render only.
async function detail(root, ctx, id, once) {
	root.append(add(el('p', null, 'back'),
	    link('← All subscriptions', '#/subscriptions')));
	const path = SUBS + '/' + encodeURIComponent(id);
	const [res, dres] = await Promise.all([api('GET', path),
	    api('GET', '/admin/webhooks/deliveries?subscription_id=' +
	    encodeURIComponent(id) + '&limit=' + RECENT_DELIVERIES)]);
	if (!ctx.current())
		return undefined;
	if (res.status !== 200 || !res.data) {
		root.append(el('p', 'Could not show the subscription: ' +
		    errmsg(res), 'error'));
		return undefined;
	}
	const s = res.data;
	// After an action: the view again (with a secret just answered,
	// if any), the message said, the focus on the equivalent of the
	// control pressed (focus: selectors, the first found wins).
	const rerender = async (msg, focus, secret) => {
		if (!ctx.current())
			return;
		root.replaceChildren(el('h2', 'Subscriptions'));
		const now = await detail(root, ctx, id, secret);
		if (msg)
			ctx.say(typeof msg === 'function' ? msg(now) : msg);
		if (ctx.current())
			refocus(root, ...(focus || []), 'section.subscription h3');
	};
	const sec = section(text(s.name), 'h3', 'subscription');
	sec.dataset.id = text(s.id);
	root.append(sec);
	if (once && once.secret) {
		// Not a live region: a screen reader does not read the secret
		// out; the focus goes to its Copy button.
		const box = el('div', null, 'panel once');
		box.append(el('p', once.why === 'created' ?
		    'Subscription created. Its signing secret is shown this once: ' +
		    'copy it now.' : 'Secret rotated. The new signing secret is ' +
		    'shown this once: copy it now. The previous one keeps signing ' +
		    'for 24 hours.', 'warning'),
		    secretBox('Signing secret', once.secret, true));
		sec.append(box);
	}
	sec.append(verifyHelp(s), dl([
		['Verification', s.status],
		['URL', s.url],
		['Events', (s.events || []).join(', ')],
		['Enabled', s.status === 'disabled' ? 'no' : 'yes'],
		['Owner', s.owner_id],
		['Challenge attempts', s.challenge_attempts],
		['Last challenge error', s.last_challenge_error],
		['Disabled reason', s.disabled_reason],
		['Publication failures', s.publication_failures],
		['Last successful use', when(s.last_successful_use)],
		['Retry schedule', s.retry_schedule == null ?
		    'the default (60, 300, 900, 1800 s)' :
		    s.retry_schedule.length === 0 ? 'none: the first failure is final'
		    : s.retry_schedule.join(', ') + ' s'],
		['Max concurrency', s.max_concurrency],
		['Previous secret signs until', when(s.previous_secret_expires_at)],
		['Created', when(s.created_at)],
		['Modified', when(s.modified_at)],
	]));

	const out = el('div', null, 'test-result');
	out.setAttribute('role', 'status');
	out.setAttribute('aria-live', 'polite');
	out.hidden = true;
	const acts = el('div', null, 'actions');
	const put = async (body, msg, focus) => {
		const r = await api('PUT', path, body);
		if (r.status !== 200 || !r.data) {
			ctx.say('Could not change the subscription: ' + errmsg(r));
			return null;
		}
		await rerender(msg, focus, r.data.secret ? { secret:
		    text(r.data.secret), why: 'rotated' } : undefined);
		return r.data;
	};
	if (s.status === 'pending_verification')
		acts.append(button('Check again', () => rerender((now) =>
		    now ? 'Verification checked: ' + text(now.status) + '.' : '',
		    ['button.recheck', '.actions button.test']),
		    'secondary recheck'));
	acts.append(button('Send test', async () => {
		const r = await api('POST', path + '/test');
		out.hidden = false;
		if (r.status !== 202 || !r.data) {
			out.replaceChildren(dl([['Test', 'refused: ' + errmsg(r)]]));
			return;
		}
		const did = text(r.data.delivery_id);
		out.replaceChildren(dl([
			['Test', 'queued (HTTP 202)'],
			['Event', r.data.event_type],
			['Delivery', link(did, '#/deliveries/' +
			    encodeURIComponent(did))],
			['Subscription status', r.data.subscription_status],
		]));
	}, 'test'));
	acts.append(button('Rotate secret', async () => {
		if (await confirmDialog('Rotate the signing secret of "' +
		    text(s.name) + '"? The new secret is shown once; the old one ' +
		    'keeps signing for 24 hours.', 'Rotate secret'))
			await put({ rotate_secret: true }, 'Secret rotated: the new ' +
			    'secret is shown once, below.', ['.once button.copy',
			    'button.rotate']);
	}, 'secondary rotate'));
	if (isAdmin(ctx) && s.status !== 'disabled' &&
	    s.status !== 'pending_delete')
		acts.append(button('Disable', () => put({ status: 'disabled' },
		    'Subscription disabled.', ['button.toggle']), 'secondary toggle'));
	if (s.status === 'disabled') {
		if (isAdmin(ctx))
			acts.append(button('Enable', () => put({ status: 'active' },
			    'Subscription enabled.', ['button.toggle']),
			    'secondary toggle'));
		acts.append(button('Verify again', () => put({ status:
		    'pending_verification' }, 'The endpoint will be challenged ' +
		    'again.', ['button.recheck']), 'secondary reverify'));
	}
	acts.append(button('Delete', async () => {
		if (!await confirmDialog('Delete the subscription "' +
		    text(s.name) + '"? Nothing more is delivered to it.', 'Delete'))
			return;
		const r = await api('DELETE', path);
		if (r.status !== 204) {
			ctx.say('Could not delete the subscription: ' + errmsg(r));
			return;
		}
		if (!ctx.current())
			return;
		// Back to the list, rendered here with what was done (no
		// module state carries the message to another render).
		ctx.show('#/subscriptions');
		root.replaceChildren(el('h2', 'Subscriptions'));
		await listView(root, Object.assign({}, ctx, { args: [],
		    query: new URLSearchParams() }), 'Subscription "' +
		    text(s.name) + '" deleted.');
		refocus(root, '.notice');
	}, 'danger delete'));
	sec.append(acts, out);

	// Its recent deliveries.
	const drows = rows(dres);
	const ds = section('Recent deliveries', 'h3', 'recent');
	if (!drows) {
		ds.append(el('p', 'Could not list its deliveries: ' + errmsg(dres),
		    'error'));
	} else {
		const t = table(['Time', 'Event', 'Status', 'Status code',
		    'Attempts', 'Last error'], drows.map((d) => {
			const r = [link(when(d.created_at), '#/deliveries/' +
			    encodeURIComponent(text(d.id))), d.event_type, d.status,
			    d.last_status_code, d.attempt_count, d.last_error];
			r.attrs = { id: d.id };
			return r;
		}));
		t.tBodies[0].id = 'sub-deliveries-rows';
		ds.append(t);
		if (drows.length === 0)
			ds.append(el('p', 'No deliveries yet.', 'empty'));
		ds.append(add(el('p'), link('All its deliveries',
		    '#/deliveries?subscription_id=' + encodeURIComponent(id))));
	}
	root.append(ds);
	return s;
}
