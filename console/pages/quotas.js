// Quotas (seed 000 "Rate Limits", admin): each owner's own limits
// (GET /admin/quotas/webhooks), set one (PUT .../:owner; a limit left
// blank takes the default) and clear one (DELETE: back to the defaults).

import { api, el, add, errmsg, text, section, table, dl, field, form,
    button, confirmDialog, when, link, rows, pageRows, pager, refusal,
    statusLine, refocus } from '../lib.js';

const LIMITS = [
	['max_subscriptions', 'Subscriptions', 'at most, 0 to 100000'],
	['max_events_per_minute', 'Events per minute', 'more are delayed, never dropped'],
	['max_subscription_requests_per_minute', 'Subscription writes per minute', ''],
	['max_subscription_requests_per_day', 'Subscription writes per day', ''],
];
const PAGE_ROWS = 500;		// a page of the list, unless the hash's ?limit=
const LIST_MAX = 500;		// the API's ?limit= ceiling

const path = (owner) => '/admin/quotas/webhooks/' + encodeURIComponent(owner);

export default async function (root, ctx) {
	root.append(el('h2', 'Quotas'));
	if (ctx.session.role !== 'admin') {
		root.append(el('p', 'Quotas are managed by an admin.'));
		return;
	}
	const limit = pageRows(ctx.query, PAGE_ROWS, LIST_MAX);
	// What an action on a row did, said above the list with the focus
	// on it (the control pressed is gone with the old render).
	const said = statusLine('notice action-status', ctx);
	const list = el('div');
	const again = async (msg, bad) => {
		await render(ctx, list, editor, limit, again);
		said.say(msg, bad);
		if (msg && ctx.current())
			refocus(root, 'p.notice');
	};
	const editor = quotaForm(ctx, () => again());
	root.append(el('p', 'Per-owner limits on subscriptions and events. ' +
	    'An owner without its own row has the defaults.', 'meta'),
	    editor, said, list);
	await again();
}

// The list, a page at a time (lib.js's pager); again(msg, bad) renders
// it anew and says what an action did.
async function render(ctx, list, editor, limit, again) {
	const res = await api('GET', '/admin/quotas/webhooks?limit=' + limit);
	if (!ctx.current())
		return;
	const items = rows(res);
	if (!items) {
		list.replaceChildren(refusal('quotas', res));
		return;
	}
	const sec = section('Owners with their own quota', 'h3');
	const cells = (q) => {
		const edit = button('Edit', () => editor.load(q), 'secondary edit');
		edit.setAttribute('aria-label', 'Edit the quota of ' +
		    text(q.owner_id));
		const clear = button('Clear', async () => {
			if (!await confirmDialog('Clear the quota of ' +
			    text(q.owner_id) + '? It goes back to the defaults.',
			    'Clear quota'))
				return;
			const d = await api('DELETE', path(q.owner_id));
			if (d.status === 204 || d.status === 200)
				await again('Cleared the quota of ' +
				    text(q.owner_id) + ': it has the defaults.');
			else
				await again('Could not clear the quota of ' +
				    text(q.owner_id) + ': ' + errmsg(d), true);
		}, 'danger clear');
		clear.setAttribute('aria-label', 'Clear the quota of ' +
		    text(q.owner_id));
		// The owner: a link to what its quota limits, its subscriptions
		// (lib.js's pager puts the focus on it after the last page).
		const who = link(text(q.owner_id), '#/subscriptions?owner_id=' +
		    encodeURIComponent(text(q.owner_id)));
		who.setAttribute('aria-label', 'Subscriptions of ' +
		    text(q.owner_id));
		const r = [who, q.max_subscriptions, q.max_events_per_minute,
		    q.max_subscription_requests_per_minute,
		    q.max_subscription_requests_per_day, when(q.updated_at),
		    add(el('span', null, 'actions'), edit, clear)];
		r.attrs = { owner: q.owner_id };
		return r;
	};
	const t = table(['Owner', 'Subscriptions', 'Events/min', 'Writes/min',
	    'Writes/day', 'Updated', 'Actions'], items.map(cells), null);
	t.id = 'quota-rows';
	add(sec, t, items.length > 0 ? null : el('p', 'No owner has its ' +
	    'own quota: every owner has the defaults.', 'empty'),
	    pager(ctx, t.tBodies[0], res.next, cells, ['owner', 'owners']));
	list.replaceChildren(sec);
}

// The form that sets an owner's quota; load(q) fills it from a row.
function quotaForm(ctx, after) {
	const owner = field('Owner id', { name: 'owner_id', required: true,
	    hint: 'The owner_id of the user tokens it applies to.' });
	const limits = LIMITS.map(([name, label, hint]) => field(label, {
	    name, type: 'number', hint: hint ? hint + '; blank: the default' :
	    'Blank: the default' }));
	limits.forEach((l, i) => {
		l.input.min = LIMITS[i][0] === 'max_subscriptions' ? '0' : '1';
	});
	const shown = el('div', null, 'quota-effective');
	shown.setAttribute('role', 'status');
	const f = form('Set an owner\'s quota', [owner, ...limits], 'Save quota',
	    async () => {
		// A number field that cannot be read has the value '': it
		// would save the default.  Refused here, with its name.
		for (const w of [owner, ...limits])
			w.input.removeAttribute('aria-invalid');
		const refuse = (w, why) => {
			w.input.setAttribute('aria-invalid', 'true');
			f.say('Not saved: ' + why);
			w.input.focus();
		};
		const o = owner.input.value.trim();
		if (o === '') {
			refuse(owner, 'enter an owner id.');
			return;
		}
		const body = {};
		for (let i = 0; i < LIMITS.length; i++) {
			const inp = limits[i].input;
			if (inp.validity.badInput || (inp.value !== '' &&
			    !Number.isInteger(Number(inp.value)))) {
				refuse(limits[i], LIMITS[i][1] + ' must be a whole ' +
				    'number (or blank for the default).');
				return;
			}
			if (inp.value !== '')
				body[LIMITS[i][0]] = Number(inp.value);
		}
		const res = await api('PUT', path(o), body);
		if (!ctx.current())
			return;
		if (res.status !== 200 && res.status !== 201) {
			f.say('Could not save: ' + errmsg(res));
			return;
		}
		f.say('Saved the quota of ' + text(res.data.owner_id) + '.');
		await after();
	}, 'panel quota-form');
	const look = button('Show effective quota', async () => {
		const o = owner.input.value.trim();
		if (!o) {
			f.say('Enter an owner id.');
			owner.input.focus();
			return;
		}
		const res = await api('GET', path(o));
		if (!ctx.current())
			return;
		if (res.status !== 200 || !res.data) {
			f.say('Could not look it up: ' + errmsg(res));
			return;
		}
		shown.replaceChildren(dl([['Owner', res.data.owner_id],
		    ['Own quota', res.data.custom ? 'yes' : 'no (the defaults)'],
		    ...LIMITS.map(([name, label]) => [label, res.data[name]])]));
	}, 'secondary look');
	// Checked on Save (above), with a message the user can read.
	f.noValidate = true;
	f.querySelector('button[type=submit]').before(look);
	f.append(shown);
	f.load = (q) => {
		owner.input.value = q.owner_id;
		LIMITS.forEach(([name], i) => { limits[i].input.value = q[name]; });
		f.say('Editing the quota of ' + text(q.owner_id) + '.');
		owner.input.focus();
	};
	return f;
}
