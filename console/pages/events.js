// Event catalog (seed 000): the event types one may subscribe to and
// publish; an admin registers new {resource}.{action} types.

import { api, el, errmsg, text, table, tr, field, form, button, when,
    refocus } from '../lib.js';

const PAGE_ROWS = 200;

export default function (root, ctx) {
	return render(root, ctx, '');
}

async function render(root, ctx, notice) {
	root.replaceChildren(el('h2', 'Event catalog'));
	root.append(el('p', 'The event types subscriptions choose from and ' +
	    'events are published as. A subscription may also name a pattern: ' +
	    'resource.* (every type of a resource) or * (every type).', 'meta'));
	const admin = ctx.session.role === 'admin';
	if (notice) {
		const n = el('p', notice, 'notice');
		n.setAttribute('role', 'status');
		root.append(n);
	}
	if (admin)
		root.append(registerForm(root, ctx));
	const t = table(['Name', 'Description', 'Built in', 'Added'], [],
	    'Event types', 'event-types');
	t.tBodies[0].id = 'event-types-rows';
	const empty = el('p', 'No event types.', 'empty');
	empty.hidden = true;
	const more = el('p', null, 'more');
	more.hidden = true;
	// One Show more for every page (aria-busy while loading): the focus
	// stays on it; gone on the last page, the focus goes to the first
	// new row.
	const why = el('span');
	const moreBtn = button('Show more', () => load(), 'secondary');
	more.append(moreBtn, why);
	root.append(t, empty, more);
	let cursor = null;
	const load = async () => {
		const res = await api('GET', '/api/event-types?limit=' + PAGE_ROWS +
		    (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
		if (!ctx.current())
			return;
		const items = res.status === 200 && res.data &&
		    Array.isArray(res.data.data) ? res.data.data : null;
		if (!items) {
			why.textContent = 'Could not list the event types: ' +
			    errmsg(res);
			why.className = 'error';
			moreBtn.hidden = !cursor;
			more.hidden = false;
			return;
		}
		why.replaceChildren();
		why.removeAttribute('class');
		const added = items.map((e) => {
			const r = [e.name, e.description === '' ? '—' : e.description,
			    e.builtin ? 'yes' : 'no', when(e.created_at)];
			r.attrs = { name: e.name };
			return tr(r);
		});
		t.tBodies[0].append(...added);
		empty.hidden = t.tBodies[0].children.length > 0;
		const had = document.activeElement === moreBtn;
		cursor = typeof res.data.next_cursor === 'string' ?
		    res.data.next_cursor : null;
		moreBtn.hidden = !cursor;
		more.hidden = !cursor;
		if (had && !cursor && added.length > 0)
			refocus(added[0], 'td');
	};
	await load();
}

function registerForm(root, ctx) {
	const name = field('Name', { name: 'name', required: true,
	    placeholder: 'resource.action',
	    hint: '{resource}.{action}: words of a-z, 0-9, _ and - joined by .' });
	const desc = field('Description', { name: 'description',
	    kind: 'textarea' });
	const f = form('Register an event type', [name, desc], 'Register',
	    async () => {
		const res = await api('POST', '/api/event-types', {
		    name: name.input.value.trim(), description: desc.input.value });
		if (res.status !== 201 || !res.data) {
			f.say('Could not register the event type: ' + errmsg(res));
			return;
		}
		if (!ctx.current())
			return;
		await render(root, ctx, 'Registered ' + text(res.data.name) +
		    '.');
		// The form is new: the focus goes to what the register did.
		if (ctx.current())
			refocus(root, '.notice', '#event-type-create input[name=name]');
	}, 'panel register');
	f.id = 'event-type-create';
	return f;
}
