// Quotas (seed 000 "Rate Limits", admin): each owner's own limits
// (GET /admin/quotas/webhooks), set one (PUT .../:owner; a limit left
// blank takes the default) and clear one (DELETE: back to the defaults).

import { api, el, add, errmsg, text, section, table, dl, field, form,
    button, confirmDialog, when } from '../lib.js';

const LIMITS = [
	['max_subscriptions', 'Subscriptions', 'at most, 0 to 100000'],
	['max_events_per_minute', 'Events per minute', 'more are delayed, never dropped'],
	['max_subscription_requests_per_minute', 'Subscription writes per minute', ''],
	['max_subscription_requests_per_day', 'Subscription writes per day', ''],
];
const MAX_ROWS = 500;

const path = (owner) => '/admin/quotas/webhooks/' + encodeURIComponent(owner);

export default async function (root, ctx) {
	root.append(el('h2', 'Quotas'));
	if (ctx.session.role !== 'admin') {
		root.append(el('p', 'Quotas are managed by an admin.'));
		return;
	}
	const list = el('div');
	const editor = quotaForm(() => render(list, editor));
	root.append(el('p', 'Per-owner limits on subscriptions and events. ' +
	    'An owner without its own row has the defaults.', 'meta'),
	    editor, list);
	await render(list, editor);
}

async function render(list, editor) {
	const res = await api('GET', '/admin/quotas/webhooks?limit=' + MAX_ROWS);
	const rows = res.status === 200 && Array.isArray(res.data) ? res.data : null;
	if (!rows) {
		list.replaceChildren(el('p', 'Could not list quotas: ' + errmsg(res),
		    'error'));
		return;
	}
	const sec = section('Owners with their own quota', 'h3');
	const t = table(['Owner', 'Subscriptions', 'Events/min', 'Writes/min',
	    'Writes/day', 'Updated', 'Actions'], rows.map((q) => {
		const r = [q.owner_id, q.max_subscriptions, q.max_events_per_minute,
		    q.max_subscription_requests_per_minute,
		    q.max_subscription_requests_per_day, when(q.updated_at),
		    add(el('span', null, 'actions'),
		    button('Edit', () => editor.load(q), 'secondary edit'),
		    button('Clear', async () => {
			if (!await confirmDialog('Clear the quota of ' +
			    text(q.owner_id) + '? It goes back to the defaults.',
			    'Clear quota'))
				return;
			const d = await api('DELETE', path(q.owner_id));
			if (d.status !== 204 && d.status !== 200) {
				editor.say('Could not clear: ' + errmsg(d));
				return;
			}
			editor.say('Cleared the quota of ' + text(q.owner_id) + '.');
			await render(list, editor);
		}, 'danger clear'))];
		r.attrs = { owner: q.owner_id };
		return r;
	}), null);
	t.id = 'quota-rows';
	const empty = el('p', 'No owner has its own quota: every owner has ' +
	    'the defaults.', 'empty');
	empty.hidden = rows.length > 0;
	sec.append(t, empty);
	list.replaceChildren(sec);
}

// The form that sets an owner's quota; load(q) fills it from a row.
function quotaForm(after) {
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
		const body = {};
		LIMITS.forEach(([name], i) => {
			if (limits[i].input.value !== '')
				body[name] = Number(limits[i].input.value);
		});
		const o = owner.input.value.trim();
		const res = await api('PUT', path(o), body);
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
		if (res.status !== 200 || !res.data) {
			f.say('Could not look it up: ' + errmsg(res));
			return;
		}
		shown.replaceChildren(dl([['Owner', res.data.owner_id],
		    ['Own quota', res.data.custom ? 'yes' : 'no (the defaults)'],
		    ...LIMITS.map(([name, label]) => [label, res.data[name]])]));
	}, 'secondary look');
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
