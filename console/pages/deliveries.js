// Deliveries (seed 000): the list with the API's filters, and per
// delivery every attempt (time, status code, response time, error, the
// start of the answer) and Retry for a failed or cancelled one.

import { api, el, add, errmsg, text, section, table, dl, button, when,
    link, filters, rows, pageRows, pager, formatMs, refocus } from '../lib.js';

const DELIVERIES = '/admin/webhooks/deliveries';
const PAGE_ROWS = 50;		// a page of the list, unless the hash's ?limit=
const LIST_MAX = 500;		// the API's ?limit= ceiling
const ANSWER_SHOWN = 300;	// characters of an answer shown in the table

const STATUSES = ['pending', 'sending', 'in_progress', 'delivered',
    'failed', 'cancelled'];
const RETRYABLE = ['failed', 'cancelled'];

export default async function (root, ctx) {
	root.append(el('h2', 'Deliveries'));
	if (ctx.args.length > 0)
		await detail(root, ctx, ctx.args[0]);
	else
		await listView(root, ctx);
}

// A subscription's name for a list row: the API's, else its id.
function subLabel(d) {
	if (d.subscription_name != null)
		return text(d.subscription_name) + (d.subscription_type &&
		    d.subscription_type !== 'hookpost' ? ' (' +
		    text(d.subscription_type) + ')' : '');
	return text(d.subscription_id);
}

// A list row's cells.
function cells(d) {
	const r = [link(when(d.created_at), '#/deliveries/' +
	    encodeURIComponent(text(d.id))), d.event_type, subLabel(d),
	    d.status, d.last_status_code, d.attempt_count,
	    d.status === 'pending' ? when(d.next_attempt_at) : '',
	    d.last_error];
	r.attrs = { id: d.id };
	return r;
}

async function listView(root, ctx) {
	const q = ctx.query;
	const params = new URLSearchParams();
	for (const k of ['status', 'event_type', 'subscription_id'])
		if (q.get(k))
			params.set(k, q.get(k));
	const filtered = String(params) !== '';
	params.set('limit', String(pageRows(q, PAGE_ROWS, LIST_MAX)));
	const [res, types, subs] = await Promise.all([
		api('GET', DELIVERIES + '?' + params),
		api('GET', '/api/event-types?limit=1000'),
		api('GET', '/admin/webhooks/subscriptions?limit=200'),
	]);
	if (!ctx.current())
		return;
	const typeNames = types.status === 200 && types.data &&
	    Array.isArray(types.data.data) ?
	    types.data.data.map((t) => text(t.name)) : [];
	const subList = rows(subs) || [];
	const opts = (list, cur) => {
		// The current value stays choosable even when not listed.
		if (cur && !list.some(([v]) => v === cur))
			list.push([cur, cur]);
		return [['', 'any']].concat(list);
	};
	root.append(filters([
		{ label: 'Status', name: 'status', kind: 'select',
		  value: q.get('status') || '',
		  options: opts(STATUSES.map((s) => [s, s]), q.get('status')) },
		{ label: 'Event type', name: 'event_type', kind: 'select',
		  value: q.get('event_type') || '',
		  options: opts(typeNames.map((n) => [n, n]),
		  q.get('event_type')) },
		{ label: 'Subscription', name: 'subscription_id', kind: 'select',
		  value: q.get('subscription_id') || '',
		  options: opts(subList.map((s) => [text(s.id), text(s.name)]),
		  q.get('subscription_id')) },
	], (p) => {
		// The page size the hash asked for stays.
		if (q.get('limit'))
			p.set('limit', q.get('limit'));
		ctx.go('#/deliveries' + (String(p) ? '?' + p : ''));
	}));

	const items = rows(res);
	if (!items) {
		root.append(el('p', 'Could not list deliveries: ' + errmsg(res),
		    'error'));
		return;
	}
	const t = table(['Time', 'Event', 'Subscription', 'Status',
	    'Status code', 'Attempts', 'Next attempt', 'Last error'],
	    items.map(cells), 'Deliveries, newest first');
	t.tBodies[0].id = 'deliveries-rows';
	root.append(t);
	if (items.length === 0)
		root.append(el('p', filtered ? 'No deliveries match these filters.' :
		    'No deliveries yet.', 'empty'));
	root.append(pager(ctx, t.tBodies[0], res.next, cells,
	    ['delivery', 'deliveries']));
}

// The start of an answer, as text.
function answerStart(body) {
	if (body == null || body === '')
		return '—';
	const s = text(body);
	return s.length > ANSWER_SHOWN ? s.slice(0, ANSWER_SHOWN) + '…' : s;
}

async function detail(root, ctx, id, msg) {
	root.append(add(el('p', null, 'back'),
	    link('← All deliveries', '#/deliveries')));
	const path = DELIVERIES + '/' + encodeURIComponent(id);
	const res = await api('GET', path);
	if (!ctx.current())
		return;
	if (res.status !== 200 || !res.data) {
		root.append(el('p', 'Could not show the delivery: ' + errmsg(res),
		    'error'));
		return;
	}
	const d = res.data;
	const sec = section('Delivery ' + text(d.id), 'h3', 'delivery');
	sec.dataset.id = text(d.id);
	sec.dataset.status = text(d.status);
	root.append(sec);
	if (msg) {
		const n = el('p', msg, 'notice');
		n.setAttribute('role', 'status');
		sec.append(n);
	}
	const sub = d.subscription_type === 'hookpost' ?
	    link(subLabel(d), '#/subscriptions/' +
	    encodeURIComponent(text(d.subscription_id))) : subLabel(d);
	sec.append(dl([
		['Status', d.status],
		['Event', d.event_type],
		['Subscription', sub],
		['Owner', d.owner_id],
		['Attempts', d.attempt_count],
		['Last status code', d.last_status_code],
		['Last error', d.last_error],
		['Next attempt', d.status === 'pending' ? when(d.next_attempt_at) :
		    ''],
		['Callback', d.callback_status == null ? '' :
		    text(d.callback_status) + (d.callback_message ? ': ' +
		    text(d.callback_message) : '')],
		['Created', when(d.created_at)],
		['Updated', when(d.updated_at)],
		['Completed', when(d.completed_at)],
	]));
	if (RETRYABLE.includes(d.status)) {
		const acts = el('div', null, 'actions');
		acts.append(button('Retry', async () => {
			const r = await api('POST', path + '/retry');
			if (r.status !== 202 || !r.data) {
				ctx.say('Could not retry the delivery: ' + errmsg(r));
				return;
			}
			if (!ctx.current())
				return;
			root.replaceChildren(el('h2', 'Deliveries'));
			await detail(root, ctx, id, 'Retried: the delivery is ' +
			    text(r.data.status) + ' again and is sent on the ' +
			    'worker\'s next run.');
			if (!ctx.current())
				return;
			// Retry is gone (the delivery is pending again): the focus
			// goes to what the retry did.
			refocus(root, 'button.retry', '.delivery .notice');
			const b = root.querySelector('.attempts');
			if (b)
				b.scrollIntoView({ block: 'nearest' });
		}, 'retry'));
		sec.append(acts);
	}

	const attempts = Array.isArray(d.attempts) ? d.attempts : [];
	// kind: what became of the request (sql/022): sent, cut off (it may
	// have arrived; no answer came), not sent.
	const kinds = { sent: 'sent', cut_off: 'cut off', not_sent: 'not sent' };
	const at = table(['#', 'Time', 'Status code', 'Response time',
	    'Error', 'Answer (start)', 'Sent'], attempts.map((a, i) => {
		const code = el('code', answerStart(a.response_body), 'answer');
		// A retry starts the count over: say so where it differs.
		const r = [String(i + 1) + (a.attempt !== i + 1 ? ' (attempt ' +
		    text(a.attempt) + ' after a retry)' : ''), when(a.started_at),
		    a.status_code == null ? '—' : a.status_code,
		    a.response_ms == null ? '—' : formatMs(a.response_ms),
		    a.error == null || a.error === '' ? '—' : a.error, code,
		    kinds[a.kind] || text(a.kind || 'sent')];
		r.attrs = { attempt: a.attempt, kind: a.kind || 'sent' };
		return r;
	    }), 'Attempts', 'attempts');
	at.tBodies[0].id = 'attempts-rows';
	sec.append(at);
	if (attempts.length === 0)
		sec.append(el('p', 'No attempt yet.', 'empty'));
	const pay = section('Payload (the signed body)', 'h4', 'payload');
	pay.append(el('pre', JSON.stringify(d.payload, null, 2)));
	sec.append(pay);
}
