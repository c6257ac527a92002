// hookpost console: what every page shares.  Rules (README "The console"):
// every value from the API goes in with textContent, never as HTML; the
// API token is only ever sent to POST /api/session; cookie writes carry
// X-Hookpost-Console: 1 (the server's CSRF check).

export const $ = (id) => document.getElementById(id);

// Where hookpost is installed: shared hosting may put it under a
// subdirectory (HOOKPOST_BASE_PATH), the console then at
// <base>/console/.  basePath('/hookpost/console/') is '/hookpost'; at
// the site root it is ''.  Pages write absolute paths ('/api/...');
// api() and url() put the base in front.
export function basePath(pathname) {
	const i = String(pathname).indexOf('/console/');
	return i > 0 ? String(pathname).slice(0, i) : '';
}
const BASE = basePath(location.pathname);

// url('/api/webhooks/x'): the path as the browser must ask for it (for
// the fetches that do not go through api(): a receiver, /healthz).
export function url(path) {
	return typeof path === 'string' && path.startsWith('/') &&
	    !path.startsWith('//') ? BASE + path : path;
}

// api('GET', '/api/x') resolves to {status, data}; data is the parsed
// JSON answer or null.  A 401 on any call but GET /api/session means the
// session ended: the page goes back to the sign-in form (onUnauthorized).
let unauthorized = () => {};
export function onUnauthorized(fn) { unauthorized = fn; }

export async function api(method, path, body) {
	const init = { method, credentials: 'same-origin', headers: {} };
	if (method !== 'GET' && method !== 'HEAD') {
		init.headers['X-Hookpost-Console'] = '1';
		// An empty body still has a Content-Length (lighttpd answers
		// 411 to a POST without one).
		init.body = '';
	}
	if (body !== undefined) {
		init.headers['Content-Type'] = 'application/json';
		init.body = JSON.stringify(body);
	}
	const r = await fetch(url(path), init);
	let data = null;
	if (r.status !== 204) {
		try { data = await r.json(); } catch (e) { data = null; }
	}
	if (r.status === 401 && path !== '/api/session')
		unauthorized();
	return { status: r.status, data, next: nextLink(r.headers.get('Link')) };
}

// The path and query of a Link header's rel="next" (the bare-array lists
// of seed 000 page that way), without the base path (api() adds it), or
// null.
function nextLink(h) {
	if (!h)
		return null;
	const m = /<([^>]*)>\s*;\s*rel="?next"?/.exec(h);
	if (!m)
		return null;
	try {
		const u = new URL(m[1], location.href);
		if (u.origin !== location.origin)
			return null;
		const p = BASE && u.pathname.startsWith(BASE + '/') ?
		    u.pathname.slice(BASE.length) : u.pathname;
		return p + u.search;
	} catch (e) {
		return null;
	}
}

// The list of an answer ({data: [...]}), or null.
export function list(res) {
	return res.status === 200 && res.data && Array.isArray(res.data.data) ?
	    res.data.data : null;
}

// The console's own status line (under the navigation).  A page writes
// to it through ctx.say, which is silent once the page is left.
export function say(msg) { $('status').textContent = msg; }

// A status line of a page's own (role=status, read out politely):
// line.say(msg, bad) sets its text, class error when bad.  With ctx, its
// writes are no-ops once the page is left (ctx.current() false).  Keep
// secrets out of it: a secret goes in a secretBox beside it.
export function statusLine(cls, ctx) {
	const p = el('p', null, cls || 'action-status');
	p.setAttribute('role', 'status');
	p.setAttribute('aria-live', 'polite');
	p.say = (msg, bad) => {
		if (ctx && !ctx.current())
			return;
		p.textContent = msg == null ? '' : String(msg);
		p.classList.toggle('error', !!bad);
	};
	return p;
}

// A refusal of what the page loads: a 403 (a user token where only an
// admin may look) is said plainly (class note), anything else is a
// failure (class error), a 400 as the filters refused (a list's query).
// what: 'sources', 'this incident'...
export function refusal(what, res) {
	if (res.status === 400)
		return el('p', 'The filters were refused: ' + errmsg(res), 'error');
	if (res.status === 403)
		return el('p', 'Only an admin can see ' + what + ': ' + errmsg(res),
		    'note');
	return el('p', 'Could not load ' + what + ': ' + errmsg(res), 'error');
}

export function errmsg(res) {
	const e = res.data && res.data.error;
	if (e && typeof e.message === 'string')
		return e.message + (typeof e.code === 'string' ? ' (' + e.code + ')' : '');
	return 'HTTP ' + res.status;
}

export function text(v) {
	if (v == null)
		return '';
	if (typeof v === 'object')
		return JSON.stringify(v);
	return String(v);
}

// el('td', 'x', 'cls') is <td class="cls">x</td>, the text set with
// textContent.  Children may be appended with add().
export function el(tag, content, cls) {
	const e = document.createElement(tag);
	if (content !== undefined && content !== null)
		e.textContent = text(content);
	if (cls)
		e.className = cls;
	return e;
}

export function add(parent, ...kids) {
	parent.append(...kids.filter((k) => k != null));
	return parent;
}

// Runs fn once at a time for a control: while it runs the control is
// aria-busy and further presses are ignored.  Not `disabled`: Chromium
// moves the focus off a disabled button, and a keyboard user would lose
// their place.
export async function busy(ctl, fn) {
	if (ctl.getAttribute('aria-busy') === 'true')
		return;
	ctl.setAttribute('aria-busy', 'true');
	try { await fn(); }
	catch (e) { if (ctl.isConnected) say('Error: ' + e.message); }
	finally { ctl.removeAttribute('aria-busy'); }
}

export function button(label, onclick, cls) {
	const b = el('button', label, cls);
	b.type = 'button';
	if (onclick)
		b.addEventListener('click', () => busy(b, () => onclick(b)));
	return b;
}

// A section with a heading: section('Sources', 'h2') → {root, h}.
let uid = 0;
export function nextId(prefix) { return (prefix || 'hp') + '-' + (++uid); }

export function section(title, level, cls) {
	const root = el('section', null, cls);
	const h = el(level || 'h2', title);
	h.id = nextId('h');
	root.setAttribute('aria-labelledby', h.id);
	root.append(h);
	return root;
}

// table(['Name', 'Type'], rows, caption): rows is an array of arrays of
// cell values (strings, or Nodes put in as they are); a row array may
// carry .attrs (dataset entries for the <tr>).
export function table(cols, rows, caption, cls) {
	const t = el('table', null, cls);
	if (caption)
		t.append(el('caption', caption));
	const head = document.createElement('tr');
	for (const c of cols) {
		const th = el('th', c);
		th.scope = 'col';
		head.append(th);
	}
	const thead = el('thead');
	thead.append(head);
	const tbody = el('tbody');
	for (const r of rows)
		tbody.append(tr(r));
	t.append(thead, tbody);
	return t;
}

export function tr(cells) {
	const row = document.createElement('tr');
	for (const v of cells) {
		const td = el('td');
		if (v instanceof Node)
			td.append(v);
		else
			td.textContent = text(v);
		row.append(td);
	}
	if (cells.attrs)
		for (const [k, v] of Object.entries(cells.attrs))
			row.dataset[k] = text(v);
	return row;
}

// dl([['Status', 'active'], ...]): a definition list; each <dd> has
// data-k set to its key (tests read values by key).
export function dl(pairs, cls) {
	const d = el('dl', null, cls || 'kv');
	for (const [k, v] of pairs) {
		const dd = el('dd');
		if (v instanceof Node)
			dd.append(v);
		else
			dd.textContent = v == null || v === '' ? '—' : text(v);
		dd.dataset.k = k;
		d.append(el('dt', k), dd);
	}
	return d;
}

// A labelled form field: field('Name', {name: 'name', required: true}).
// kind: 'input' (default), 'select' (opts.options: [[value, label]]),
// 'textarea', 'checkbox'.  Returns the wrapper; .input is the control.
export function field(label, opts = {}) {
	const kind = opts.kind || 'input';
	const wrap = el('div', null, kind === 'checkbox' ? 'field check' : 'field');
	const ctl = document.createElement(kind === 'checkbox' ? 'input' : kind);
	ctl.id = nextId('f');
	if (kind === 'checkbox')
		ctl.type = 'checkbox';
	else if (kind === 'input')
		ctl.type = opts.type || 'text';
	if (opts.name)
		ctl.name = opts.name;
	if (opts.required)
		ctl.required = true;
	if (opts.placeholder)
		ctl.placeholder = opts.placeholder;
	if (kind === 'select')
		for (const [v, l] of opts.options || []) {
			const o = el('option', l === undefined ? v : l);
			o.value = v;
			ctl.append(o);
		}
	if (opts.value !== undefined) {
		if (kind === 'checkbox')
			ctl.checked = !!opts.value;
		else
			ctl.value = opts.value;
	}
	if (kind !== 'select' && kind !== 'checkbox')
		ctl.spellcheck = false;
	if (opts.autocomplete !== undefined || opts.type === 'password')
		ctl.autocomplete = opts.autocomplete || 'off';
	const lab = el('label', label);
	lab.htmlFor = ctl.id;
	if (kind === 'checkbox')
		wrap.append(ctl, lab);
	else
		wrap.append(lab, ctl);
	if (opts.hint) {
		const h = el('small', opts.hint, 'hint');
		h.id = nextId('hint');
		ctl.setAttribute('aria-describedby', h.id);
		wrap.append(h);
	}
	wrap.input = ctl;
	return wrap;
}

// form(title, fields, submitLabel, onsubmit): a <form> whose submit runs
// onsubmit(form) with the button disabled; errors go to the form's own
// status line (form.say).
export function form(title, fields, submitLabel, onsubmit, cls) {
	const f = el('form', null, cls || 'panel');
	if (title)
		f.append(el('h3', title));
	f.append(...fields.filter((x) => x != null));
	const b = el('button', submitLabel);
	b.type = 'submit';
	const out = el('p', null, 'form-status');
	out.setAttribute('role', 'status');
	out.setAttribute('aria-live', 'polite');
	f.append(b, out);
	f.say = (m) => { out.textContent = m; };
	f.addEventListener('submit', (ev) => {
		ev.preventDefault();
		busy(b, async () => {
			f.say('');
			try { await onsubmit(f); }
			catch (e) { f.say('Error: ' + e.message); }
		});
	});
	return f;
}

// Asks before something that cannot be undone, in a modal <dialog>
// (keyboard: Escape cancels, the focus starts on Cancel).  Resolves to
// true when confirmed.
export function confirmDialog(message, okLabel) {
	return new Promise((resolve) => {
		const d = el('dialog', null, 'confirm');
		d.setAttribute('aria-label', 'Confirm');
		const p = el('p', message);
		const cancel = button('Cancel', null, 'secondary');
		const ok = button(okLabel || 'Confirm', null, 'danger');
		ok.classList.add('confirm-ok');
		cancel.classList.add('confirm-cancel');
		const done = (v) => { d.close(); d.remove(); resolve(v); };
		cancel.addEventListener('click', () => done(false));
		ok.addEventListener('click', () => done(true));
		d.addEventListener('cancel', (ev) => { ev.preventDefault(); done(false); });
		d.append(p, add(el('div', null, 'actions'), cancel, ok));
		document.body.append(d);
		d.showModal();
		cancel.focus();
	});
}

// Copies text to the clipboard; where the Clipboard API is unavailable
// (a plain-HTTP origin other than localhost) selects the given element
// so the user can copy it.  Resolves to true when copied.
export async function copyText(value, selectEl) {
	try {
		if (navigator.clipboard && window.isSecureContext) {
			await navigator.clipboard.writeText(value);
			return true;
		}
	} catch (e) { /* fall through */ }
	if (selectEl) {
		const r = document.createRange();
		r.selectNodeContents(selectEl);
		const s = window.getSelection();
		s.removeAllRanges();
		s.addRange(r);
	}
	return false;
}

// A secret shown once, or kept hidden until asked: the value in a <code>
// with Show/Hide and Copy buttons.  shown: start visible.
export function secretBox(label, value, shown) {
	const wrap = el('div', null, 'secret');
	const code = el('code', shown ? value : '•'.repeat(Math.min(24, value.length)));
	code.dataset.secret = label;
	let visible = !!shown;
	const toggle = button(shown ? 'Hide' : 'Show', null, 'secondary');
	toggle.setAttribute('aria-label', (shown ? 'Hide ' : 'Show ') + label);
	toggle.addEventListener('click', () => {
		visible = !visible;
		code.textContent = visible ? value : '•'.repeat(Math.min(24, value.length));
		toggle.textContent = visible ? 'Hide' : 'Show';
		toggle.setAttribute('aria-label', (visible ? 'Hide ' : 'Show ') + label);
	});
	const copied = el('span', null, 'copied');
	copied.setAttribute('role', 'status');
	const copy = button('Copy', async () => {
		const was = code.textContent;
		code.textContent = value;
		const okd = await copyText(value, code);
		if (okd)
			code.textContent = was;
		copied.textContent = okd ? 'Copied.' : 'Selected: press Ctrl+C to copy.';
	}, 'secondary');
	copy.setAttribute('aria-label', 'Copy ' + label);
	copy.classList.add('copy');
	toggle.classList.add('toggle');
	wrap.append(el('span', label + ': ', 'secret-label'), code, toggle, copy, copied);
	wrap.value = () => value;
	return wrap;
}

// Dates as the API gives them (ISO 8601, UTC), shortened for tables.
export function when(v) {
	if (!v)
		return '';
	const s = String(v);
	return s.replace('T', ' ').replace(/\.\d+/, '').replace(/\+00(:00)?$|Z$/, ' UTC');
}

// The query string of the hash (#/page/x?a=1) as URLSearchParams, and a
// link to a page.
export function hashQuery() {
	const i = location.hash.indexOf('?');
	return new URLSearchParams(i < 0 ? '' : location.hash.slice(i + 1));
}

export function link(label, hash) {
	const a = el('a', label);
	a.href = hash;
	return a;
}

// A filter bar: inputs whose values become the query string of the API
// call; onchange(params) on submit.
export function filters(defs, onapply) {
	const fields = defs.map((d) => field(d.label, d));
	const f = form(null, fields, 'Apply filters', async () => {
		const q = new URLSearchParams();
		for (const fl of fields)
			if (fl.input.value !== '')
				q.set(fl.input.name, fl.input.value);
		await onapply(q);
	}, 'filters');
	f.fields = fields;
	return f;
}

// A response time in milliseconds, to a tenth: formatMs(12.34) is
// '12.3 ms'; what is not a number comes back as text.
export function formatMs(v, digits) {
	const n = v === null || v === '' ? NaN : Number(v);
	return Number.isFinite(n) ? n.toFixed(digits == null ? 1 : digits) + ' ms'
	    : text(v);
}

// The list of an admin answer that is a bare JSON array (seed 000's
// jq '.[]'), or null.
export function rows(res) {
	return res.status === 200 && Array.isArray(res.data) ? res.data : null;
}

// The rows a page of a list holds: the hash's ?limit= when it is 1 to
// max (the API's ceiling), else def.
export function pageRows(q, def, max) {
	const n = Number(q.get('limit'));
	return Number.isInteger(n) && n >= 1 && n <= max ? n : def;
}

// The API query of a list paged by cursor, from the hash's query q:
// the keys the API takes (a limit among them, kept from page to page),
// the hash's cursor, and limit def when none was given.  base is the
// query without the cursor (for cursorLinks).
export function listQuery(q, keys, def) {
	const apiq = new URLSearchParams();
	for (const k of keys)
		if (q.get(k))
			apiq.set(k, q.get(k));
	const base = apiq.toString();
	if (q.get('cursor'))
		apiq.set('cursor', q.get('cursor'));
	if (!apiq.has('limit'))
		apiq.set('limit', String(def));
	return { apiq, base };
}

// First page / Next page links of a list paged by cursor (next_cursor):
// page is its hash ('#/incidents'), base its query without the cursor
// (URLSearchParams or string), cursor the page's own (First page is
// shown when set), next the answer's next_cursor.
export function cursorLinks(page, base, cursor, next) {
	const p = el('p', null, 'paging');
	const b = String(base || '');
	if (cursor)
		p.append(link('First page', page + (b ? '?' + b : '')), ' ');
	if (next) {
		const nq = new URLSearchParams(b);
		nq.set('cursor', next);
		p.append(link('Next page', page + '?' + nq));
	}
	return p;
}

// The rows of a bare-array list a page at a time: "Show more" follows
// the answer's Link rel="next" (api() gives its path as res.next; it
// keeps every filter and the limit, the cursor set to the next page),
// appends that page's rows to tbody and is gone on the last page.
// cells(item) is a row's cells; nouns name one row and more
// ("delivery", "deliveries").
export function pager(ctx, tbody, next, cells, [one, many]) {
	const p = el('p', null, 'more');
	const count = el('span', null, 'count');
	count.setAttribute('role', 'status');
	count.setAttribute('aria-live', 'polite');
	// A refusal of the next page, shown until a try succeeds (class
	// error only then: the tour fails a page with an .error in it).
	const why = el('span');
	const shown = () => tbody.rows.length + ' ' +
	    (tbody.rows.length === 1 ? one : many) + ' shown';
	const more = async () => {
		const res = await api('GET', next);
		if (!ctx.current())
			return;
		const items = rows(res);
		if (!items) {
			why.textContent = 'Could not list more ' + many + ': ' +
			    errmsg(res);
			why.className = 'error';
			return;
		}
		why.replaceChildren();
		why.removeAttribute('class');
		const added = items.map((i) => tr(cells(i)));
		tbody.append(...added);
		next = res.next;
		b.hidden = !next;
		count.textContent = next ? shown() : 'All ' + shown();
		// The button is gone: the reader goes on at the first new row.
		if (!next && added.length > 0) {
			const a = added[0].querySelector('a');
			if (a)
				a.focus();
		}
	};
	// busy(): aria-busy, not disabled, so the focus stays on it.
	const b = button('Show more', more, 'secondary');
	count.textContent = shown();
	p.append(count, b, why);
	p.hidden = !next;
	b.hidden = !next;
	return p;
}

// After an action re-rendered a view: the focus goes to the first
// element of root matching one of the selectors (the equivalent of the
// control pressed, else the result message), made focusable if need be.
export function refocus(root, ...selectors) {
	for (const sel of selectors) {
		const e = sel && root.querySelector(sel);
		if (e) {
			if (e.tabIndex < 0 && !e.hasAttribute('tabindex'))
				e.tabIndex = -1;
			e.focus();
			return e;
		}
	}
	return null;
}
