// Integrations (seed 003): the list; "Add integration" with a form made
// from GET /api/integrations/types (each connector's own table of
// settings), Jira as the seed's five steps; an integration's detail:
// settings (secrets only as the API's hints), edit, enable/disable,
// delete, Test connection (and the step that failed), its delivery log
// and, for Jira and ServiceNow, its tickets.  /admin/integrations
// redirects here.

import { api, el, add, list, errmsg, text, section, table, tr, dl, button,
    field, form, when, link, confirmDialog, nextId } from '../lib.js';

const LIST_ROWS = 100;
const LOG_ROWS = 20;
const TICKET_ROWS = 50;
// Jira's events when nothing else is chosen: a finding's whole life.
const TICKET_EVENTS = ['finding.created', 'finding.status_changed',
    'finding.resolved'];

const enc = encodeURIComponent;

export default async function (root, ctx) {
	root.append(el('h2', 'Integrations'));
	const [a, b] = ctx.args;
	if (a === 'new')
		return addView(root, ctx, b);
	if (a)
		return detailView(root, ctx, a);
	return listView(root, ctx);
}

// The types (GET /api/integrations/types), once per page load, and
// what every integration shares (meta): the severities, most severe
// first, and retry_count's default and range.
async function loadTypes() {
	const res = await api('GET', '/api/integrations/types');
	const d = res.data || {};
	const rc = d.retry_count || {};
	return { res, types: list(res), meta: {
		severities: Array.isArray(d.severities) ? d.severities : [],
		retries: { def: rc.default == null ? 3 : rc.default,
		    min: rc.min == null ? 0 : rc.min,
		    max: rc.max == null ? 10 : rc.max },
	} };
}

async function loadEventTypes() {
	const res = await api('GET', '/api/event-types?limit=1000');
	return list(res) || [];
}

function errorLine(msg) {
	const p = el('p', msg, 'error');
	p.setAttribute('role', 'alert');
	return p;
}

// --- the list --------------------------------------------------------------

async function listView(root, ctx) {
	const addBtn = button('Add integration', () => ctx.go('#/integrations/new'),
	    'add-integration');
	root.append(add(el('div', null, 'actions'), addBtn));
	const t = table(['Name', 'Type', 'Status', 'Enabled'], [],
	    'Integrations');
	t.tBodies[0].id = 'integrations-rows';
	const empty = el('p', 'No integrations yet.', 'list-empty');
	empty.hidden = true;
	const more = button('More integrations', async () => {
		const first = await load();
		// The button gone: the focus on the first row it brought.
		if (more.hidden && first && ctx.current())
			first.querySelector('a').focus();
	}, 'secondary more');
	more.hidden = true;
	root.append(t, empty, more);
	let cursor = null;
	// Appends the next page; returns its first row, or null.
	const load = async () => {
		const q = '/api/integrations?limit=' + LIST_ROWS +
		    (cursor ? '&cursor=' + enc(cursor) : '');
		const res = await api('GET', q);
		const items = list(res);
		if (!items) {
			root.append(errorLine('Could not list integrations: ' +
			    errmsg(res)));
			return null;
		}
		let first = null;
		for (const it of items) {
			const row = tr([link(text(it.name), '#/integrations/' +
			    enc(text(it.id))), it.type, it.status,
			    it.enabled === false ? 'no' : 'yes']);
			row.dataset.id = text(it.id);
			t.tBodies[0].append(row);
			first = first || row;
		}
		cursor = res.data.next_cursor || null;
		more.hidden = !cursor;
		empty.hidden = t.tBodies[0].children.length > 0;
		return first;
	};
	await load();
}

// --- settings controls, made from a type's table -----------------------------

// One control for one setting s ({name, type, required, secret, enum,
// label, hint, default, widget, min, max, credential}); cur: the value
// the API shows (a secret's hint) when editing, else undefined.  Returns
// {root, get, stored}: get() is the value to send, undefined to leave it
// out, null to remove; stored(hint), for a secret, turns a new setting's
// control into an edit one once saved (the value gone from the page).
function settingControl(s, cur, editing) {
	const had = cur !== undefined && cur !== null;
	// An emptied optional setting: removed when it was set, else left out.
	const blank = () => editing && had && !s.required ? null : undefined;
	let hint = s.hint || '';
	if (s.default !== null && s.default !== undefined &&
	    typeof s.default !== 'object')
		hint += (hint ? ' ' : '') + 'Default: ' + text(s.default) + '.';
	// A credential is one of a required choice (the group's hint says
	// which): neither required alone nor optional.
	const label = s.label + (s.credential || (s.required &&
	    !(editing && s.secret)) ? '' : ' (optional)');
	if (s.widget === 'severity_map')
		return severityMap(s, cur, editing);
	if (s.widget === 'field_map')
		return fieldMap(s, cur, editing);
	if (s.secret)
		return secretControl(s, cur, editing, label, hint);
	if (s.type === 'boolean') {
		const start = had ? cur === true : s.default === true;
		const f = field(s.label, { kind: 'checkbox', name: s.name,
		    value: start, hint: s.hint || undefined });
		return { root: f, get: () => f.input.checked === start ?
		    undefined : f.input.checked };
	}
	if (s.type === 'enum') {
		const opts = [['', s.default != null ? 'Default (' +
		    text(s.default) + ')' : '—']].concat(
		    (s.enum || []).map((v) => [v, v]));
		const f = field(label, { kind: 'select', name: s.name,
		    options: opts, value: had ? text(cur) : '',
		    hint: s.hint || undefined });
		return { root: f, get: () => f.input.value === '' ?
		    blank() : f.input.value };
	}
	if (s.type === 'integer') {
		const f = field(label, { type: 'number', name: s.name,
		    value: had ? text(cur) : '', hint: hint || undefined });
		if (s.min != null)
			f.input.min = s.min;
		if (s.max != null)
			f.input.max = s.max;
		return { root: f, get: () => f.input.value === '' ?
		    blank() : Number(f.input.value) };
	}
	if (s.type === 'array' || s.widget === 'list') {
		const f = field(label, { name: s.name, required: s.required,
		    value: had && Array.isArray(cur) ? cur.join(', ') : '',
		    hint: hint || undefined });
		return { root: f, get: () => {
			const v = f.input.value.split(',').map((x) => x.trim())
			    .filter((x) => x !== '');
			return v.length ? v : blank();
		} };
	}
	if (s.type === 'object') {
		const f = field(label + ' (JSON)', { kind: 'textarea',
		    name: s.name, value: had ? JSON.stringify(cur, null, 1) : '',
		    hint: hint || undefined });
		return { root: f, get: () => {
			const v = f.input.value.trim();
			if (v === '')
				return blank();
			return JSON.parse(v);
		} };
	}
	const f = field(label, {
		name: s.name, type: 'text', required: s.required,
		value: had ? text(cur) : '', autocomplete: 'off',
		hint: hint || undefined,
	});
	if (s.max)
		f.input.maxLength = s.max;
	return { root: f, get: () => f.input.value === '' ? blank() :
	    f.input.value };
}

// A secret setting: never shown.  New: a password field (or, for an
// object such as custom headers, "Name: value" lines).  Stored (editing,
// or after the stepper's first save): blank keeps it, and an optional
// one has a "Remove" box that sends null.
function secretControl(s, cur, editing, label, hint) {
	const obj = s.widget === 'headers' || s.type === 'object';
	const wrap = el('div', null, 'secret-setting');
	const f = obj ? field(label, { kind: 'textarea', name: s.name,
	    hint: (hint ? hint + ' ' : '') + 'One "Name: value" a line.' }) :
	    field(label, { name: s.name, type: 'password',
	    autocomplete: 'new-password', hint: ' ' });
	if (!obj && s.max)
		f.input.maxLength = s.max;
	const note = f.querySelector('small.hint');
	let stored = false;
	let rm = null;
	const mode = (hintValue) => {
		stored = hintValue !== undefined && hintValue !== null;
		f.input.value = '';
		f.input.required = s.required && !stored && !obj;
		if (note && !obj)
			note.textContent = (hint ? hint + ' ' : '') + (stored ?
			    'Set (' + text(typeof hintValue === 'object' ? '…' :
			    hintValue) + '); leave blank to keep it.' :
			    'Secret: shown only as its last 4 characters once ' +
			    'saved.');
		if (rm) {
			rm.remove();
			rm = null;
		}
		if (stored && !s.required) {
			rm = field('Remove ' + s.label, { kind: 'checkbox',
			    name: s.name + '.remove' });
			rm.classList.add('remove-secret');
			rm.input.addEventListener('change', () => {
				f.input.disabled = rm.input.checked;
			});
			wrap.append(rm);
		}
	};
	wrap.append(f);
	mode(editing ? cur : undefined);
	return { root: wrap, stored: mode, get: () => {
		if (rm && rm.input.checked)
			return null;
		const v = obj ? f.input.value.trim() : f.input.value;
		if (v === '')
			return undefined;	// blank: kept (or never set)
		if (!obj)
			return v;
		const o = {};
		for (const line of v.split('\n')) {
			const i = line.indexOf(':');
			if (i > 0)
				o[line.slice(0, i).trim()] = line.slice(i + 1).trim();
		}
		return o;
	} };
}

// Jira's step 2 table: each severity's issue type and priority (the
// rows: the setting's keys), the connector's defaults filled in (seed
// 003 "Configure Project Mapping").
function severityMap(s, cur, editing) {
	const def = s.default || {};
	const keys = Array.isArray(s.keys) ? s.keys : Object.keys(def);
	const start = cur && typeof cur === 'object' ? cur : def;
	const inputs = {};
	const rows = keys.map((sev) => {
		const d = start[sev] || def[sev] || {};
		const it = el('input');
		it.type = 'text';
		it.value = text(d.issue_type);
		it.setAttribute('aria-label', sev + ': issue type');
		it.name = 'mapping.' + sev + '.issue_type';
		const pr = el('input');
		pr.type = 'text';
		pr.value = d.priority == null ? '' : text(d.priority);
		pr.setAttribute('aria-label', sev + ': priority');
		pr.name = 'mapping.' + sev + '.priority';
		inputs[sev] = [it, pr];
		return [sev, it, pr];
	});
	const t = table(['Severity', 'Jira issue type', 'Jira priority'], rows,
	    s.label, 'mapping');
	const wrap = add(el('div', null, 'field'), t);
	if (s.hint)
		wrap.append(el('small', s.hint, 'hint'));
	return { root: wrap, get: () => {
		const o = {};
		for (const sev of keys) {
			const [it, pr] = inputs[sev];
			const e = {};
			if (it.value.trim() !== '')
				e.issue_type = it.value.trim();
			e.priority = pr.value.trim() === '' ? null :
			    pr.value.trim();
			o[sev] = e;
		}
		if (!(editing && cur) && JSON.stringify(o) === JSON.stringify(def))
			return undefined;
		return o;
	} };
}

// Jira's step 3: the setting's parts ({name, label, placeholder, hint,
// list}: summary and description as JSONPath, labels and components as
// names or JSONPath), each blank for hookpost's own.
function fieldMap(s, cur, editing) {
	const c = cur && typeof cur === 'object' ? cur : {};
	const joined = (v) => Array.isArray(v) ? v.join(', ') : '';
	const defs = Array.isArray(s.parts) ? s.parts : [];
	const parts = defs.map((d) => field(d.label + ' (optional)', {
		name: s.name + '.' + d.name, placeholder: d.placeholder || undefined,
		value: d.list ? joined(c[d.name]) : text(c[d.name]),
		hint: d.hint || undefined }));
	const wrap = add(el('div', null, 'field-map'), ...parts);
	if (s.hint)
		wrap.append(el('small', s.hint, 'hint'));
	return { root: wrap, get: () => {
		const o = {};
		const split = (v) => v.split(',').map((x) => x.trim())
		    .filter((x) => x !== '');
		defs.forEach((d, i) => {
			const v = parts[i].input.value.trim();
			if (v)
				o[d.name] = d.list ? split(v) : v;
		});
		if (Object.keys(o).length === 0)
			return editing && cur ? null : undefined;
		return o;
	} };
}

// The settings of a type as controls, grouped by their group (a step of
// a setup) in the type's order of groups, the ungrouped last.
function settingControls(type, config, editing) {
	const ctls = type.settings.map((s) => ({ s, c: settingControl(s,
	    config ? config[s.name] : undefined, editing) }));
	const groups = new Map();
	for (const g of type.groups || [])
		groups.set(g.name, []);
	for (const x of ctls) {
		const g = x.s.group || '';
		if (!groups.has(g))
			groups.set(g, []);
		groups.get(g).push(x);
	}
	for (const [g, xs] of groups)
		if (!xs.length)
			groups.delete(g);
	return { ctls, groups };
}

// The group's title and hint ({name, title, hint} from the type).
function groupOf(type, name) {
	return (type.groups || []).find((g) => g.name === name) ||
	    { name, title: name, hint: null };
}

// The fieldsets of a form: one per group, its hint first.
function groupSets(type, groups) {
	const sets = [];
	for (const [g, xs] of groups) {
		const info = groupOf(type, g);
		const kids = xs.map((x) => x.c.root);
		if (g && info.hint)
			kids.unshift(el('p', info.hint, 'hint group-hint'));
		sets.push(fieldset(g ? info.title : type.title + ' settings', kids,
		    'settings'));
	}
	return sets;
}

function fieldset(legend, kids, cls) {
	const fs = el('fieldset', null, cls);
	fs.append(el('legend', legend), ...kids);
	return fs;
}

function configOf(ctls) {
	const config = {};
	for (const { s, c } of ctls) {
		const v = c.get();
		if (v !== undefined)
			config[s.name] = v;
	}
	return config;
}

// Events as checkboxes from the catalog; chosen: names checked.  Names
// chosen that the catalog lacks (a wildcard) are kept as boxes too.
function eventsControl(eventTypes, chosen) {
	const names = eventTypes.map((e) => text(e.name))
	    .filter((n) => n !== 'integration.test' &&
	    n !== 'integration.test.resolved');
	for (const c of chosen)
		if (!names.includes(c))
			names.push(c);
	const boxes = names.map((n) => field(n, { kind: 'checkbox',
	    name: 'events', value: chosen.includes(n) }));
	for (const b of boxes)
		b.input.value = b.querySelector('label').textContent;
	const fs = fieldset('Events', boxes, 'events');
	const get = () => boxes.filter((b) => b.input.checked)
	    .map((b) => b.input.value);
	return { root: fs, get };
}

function severityControl(cur, severities) {
	return field('Severity threshold', { kind: 'select',
	    name: 'severity_threshold', value: cur || '',
	    options: [['', 'Every event']].concat(severities.map((s) =>
	    [s, s + ' and above'])),
	    hint: 'Events below it never reach the integration (resolutions ' +
	    'always do).' });
}

// Retries (retry_count): the API's range and default (meta.retries).
function retriesControl(meta, cur) {
	const r = meta.retries;
	const f = field('Retries', { type: 'number', name: 'retry_count',
	    value: cur == null ? String(r.def) : text(cur),
	    hint: r.min + ' to ' + r.max + ' (blank: ' + r.def + '): after ' +
	    '30 s, 2 min, 10 min, then 5x the one before.' });
	f.input.min = r.min;
	f.input.max = r.max;
	f.value = () => f.input.value === '' ? r.def : Number(f.input.value);
	return f;
}

function formStatus(f, msg, bad) {
	const out = f.querySelector('.form-status');
	out.textContent = msg;
	out.classList.toggle('error', !!bad);
}

// --- add -------------------------------------------------------------------

async function addView(root, ctx, typeName) {
	const [{ res, types, meta }, eventTypes] = await Promise.all([
	    loadTypes(), loadEventTypes()]);
	root.append(add(el('p', null, 'meta'), link('← All integrations',
	    '#/integrations')));
	if (!types) {
		root.append(errorLine('Could not load the integration types: ' +
		    errmsg(res)));
		return;
	}
	const sel = field('Type', { kind: 'select', name: 'type',
	    options: [['', 'Choose a type…']].concat(types.map((t) =>
	    [t.type, t.title])), value: typeName || '' });
	sel.input.id = 'integration-type';
	const choose = add(el('div', null, 'panel choose-type'),
	    el('h3', 'Add integration'), sel);
	const body = el('div', null, 'new-integration');
	root.append(choose, body);
	const show = () => {
		const t = types.find((x) => x.type === sel.input.value);
		body.replaceChildren();
		if (!t)
			return;
		body.append(t.type === 'jira' ?
		    jiraStepper(t, meta, eventTypes, ctx) :
		    createForm(t, meta, eventTypes, ctx));
	};
	sel.input.addEventListener('change', show);
	show();
}

// The form of any type: name, description, events, severity threshold,
// retries, enabled, and the type's settings.
function createForm(type, meta, eventTypes, ctx) {
	const name = field('Name', { name: 'name', required: true });
	const desc = field('Description (optional)', { kind: 'textarea',
	    name: 'description' });
	const events = eventsControl(eventTypes, []);
	const sev = severityControl(null, meta.severities);
	const retries = retriesControl(meta, null);
	const enabled = field('Enabled', { kind: 'checkbox', name: 'enabled',
	    value: true });
	const { ctls, groups } = settingControls(type, null, false);
	const sets = groupSets(type, groups);
	const f = form('New ' + type.title + ' integration', [name, desc,
	    ...sets, events.root, sev, retries, enabled], 'Create integration',
	async () => {
		let config;
		try { config = configOf(ctls); }
		catch (e) { formStatus(f, 'Settings: ' + e.message, true); return; }
		const evs = events.get();
		if (evs.length === 0) {
			formStatus(f, 'Choose at least one event.', true);
			return;
		}
		const b = { type: type.type, name: name.input.value,
		    events: evs, enabled: enabled.input.checked,
		    retry_count: retries.value(), config };
		if (desc.input.value !== '')
			b.description = desc.input.value;
		if (sev.input.value !== '')
			b.severity_threshold = sev.input.value;
		const r = await api('POST', '/api/integrations', b);
		if (r.status !== 201 || !r.data) {
			formStatus(f, 'Not created: ' + errmsg(r), true);
			return;
		}
		if (ctx.current())
			ctx.go('#/integrations/' + enc(text(r.data.id)));
	}, 'panel create');
	f.dataset.type = type.type;
	return f;
}

// Jira, seed 003's five steps: 1 Connection, 2 Project mapping, 3 Field
// mapping, 4 Test connection (the integration saved, disabled, and
// tested), 5 Enable auto-creation, reached only after a test that passed
// with the settings as they are.  Back/Next; each step's required fields
// checked before the next.  Once saved, the secrets leave the page: blank
// keeps them; a setting sent before and emptied since is sent as null.
function jiraStepper(type, meta, eventTypes, ctx) {
	const { ctls, groups } = settingControls(type, null, false);
	const g = (k) => (groups.get(k) || []).map((x) => x.c.root);
	const hintOf = (k) => {
		const h = groupOf(type, k).hint;
		return h ? [el('p', h, 'hint group-hint')] : [];
	};
	const name = field('Name', { name: 'name', required: true,
	    value: 'Jira' });
	const desc = field('Description (optional)', { kind: 'textarea',
	    name: 'description' });
	const events = eventsControl(eventTypes, TICKET_EVENTS);
	const enable = field('Enable automatic ticket creation',
	    { kind: 'checkbox', name: 'enabled', value: true });
	const more = el('details', null, 'lifecycle');
	more.append(el('summary', 'Lifecycle: resolving and reopening issues'),
	    ...g('lifecycle'));
	// id: saved as; tested: the last test's answer, null once a setting
	// changed; sent: the setting names the server holds from us.
	const state = { id: null, tested: null, sent: new Set() };
	const testOut = el('div', null, 'test-result');
	testOut.setAttribute('role', 'status');
	testOut.setAttribute('aria-live', 'polite');
	testOut.hidden = true;
	const testBtn = button('Save and test connection', () => saveAndTest(),
	    'test');
	const tsteps = (type.test_steps || []).map((x) => x.name);
	// Each step and the groups of settings it shows.
	const steps = [
		['Connection', [name, desc, ...hintOf('connection'),
		    ...g('connection')], ['connection']],
		['Project mapping', g('project'), ['project']],
		['Field mapping', g('fields'), ['fields']],
		['Test connection', [el('p', 'Saves the integration (not yet ' +
		    'enabled) and checks each step: ' + tsteps.join(', ') +
		    '. A test issue is created and deleted at once.'), testBtn,
		    testOut], []],
		['Enable auto-creation', [...g('auto-creation'), events.root,
		    enable, more], ['auto-creation', 'lifecycle']],
	];
	const stepOfGroup = (grp) => steps.findIndex((x) => x[2].includes(grp));
	const wrap = el('div', null, 'stepper panel');
	wrap.dataset.type = 'jira';
	const nav = el('ol', null, 'steps');
	nav.setAttribute('aria-label', 'Jira setup steps');
	const panels = [];
	const tabs = [];
	steps.forEach(([title, kids], i) => {
		const li = el('li');
		const b = button((i + 1) + '. ' + title, () => go(i),
		    'secondary step-tab');
		tabs.push(b);
		li.append(b);
		nav.append(li);
		const p = el('section', null, 'step');
		p.dataset.step = String(i + 1);
		const h = el('h3', 'Step ' + (i + 1) + ' of 5: ' + title);
		h.tabIndex = -1;
		h.id = nextId('step');
		p.setAttribute('aria-labelledby', h.id);
		p.append(h, ...kids);
		panels.push(p);
	});
	const status = el('p', null, 'form-status');
	status.setAttribute('role', 'status');
	status.setAttribute('aria-live', 'polite');
	const back = button('Back', () => go(cur - 1), 'secondary back');
	const next = button('Next', () => go(cur + 1), 'next');
	const finish = button('Finish', () => finishSetup(), 'finish');
	wrap.append(el('h3', 'New Jira integration'), nav, ...panels,
	    add(el('div', null, 'actions'), back, next, finish), status);
	let cur = 0;
	const say = (m, bad) => {
		status.textContent = m;
		status.classList.toggle('error', !!bad);
	};
	// A change in steps 1 to 3: the last test no longer says anything.
	const stale = () => {
		if (!state.tested)
			return;
		state.tested = null;
		testOut.replaceChildren(el('p', 'The settings changed since ' +
		    'the last test: test the connection again.', 'stale'));
		testOut.classList.remove('bad');
	};
	for (const p of panels.slice(0, 3)) {
		p.addEventListener('input', stale);
		p.addEventListener('change', stale);
	}
	// A step's fields valid: 1 when so, else the browser says which.
	const valid = (i) => {
		for (const c of panels[i].querySelectorAll('input, select, textarea'))
			if (!c.checkValidity()) {
				c.reportValidity();
				return false;
			}
		return true;
	};
	const passed = () => !!(state.tested && state.tested.ok === true);
	function go(i) {
		if (i < 0 || i >= steps.length)
			return;
		for (let k = cur; k < i; k++)
			if (!valid(k)) {
				show(k);
				return;
			}
		if (i === 4 && !passed()) {
			say(!state.id ? 'Save and test the connection first ' +
			    '(step 4).' : 'Step 5 needs a test that passed with ' +
			    'these settings: fix what the test names, then test ' +
			    'again (step 4).', true);
			show(3);
			testBtn.focus();
			return;
		}
		say('');
		show(i);
		panels[i].querySelector('h3').focus();
	}
	function show(i) {
		cur = i;
		panels.forEach((p, k) => { p.hidden = k !== i; });
		tabs.forEach((b, k) => {
			if (k === i)
				b.setAttribute('aria-current', 'step');
			else
				b.removeAttribute('aria-current');
		});
		back.hidden = i === 0;
		next.hidden = i === steps.length - 1;
		finish.hidden = i !== steps.length - 1;
	}
	// The body of a save: a setting sent before and emptied since goes
	// as null (removed); a stored secret left blank is kept.
	const body = () => {
		const config = configOf(ctls);
		for (const { s } of ctls)
			if (state.sent.has(s.name) && !(s.name in config) &&
			    !s.secret)
				config[s.name] = null;
		const b = { name: name.input.value, events: events.get(),
		    config };
		if (desc.input.value !== '')
			b.description = desc.input.value;
		return b;
	};
	// After a save: what the server holds, the secrets out of the page.
	const saved = (b, answer) => {
		for (const [k, v] of Object.entries(b.config))
			if (v === null)
				state.sent.delete(k);
			else
				state.sent.add(k);
		const cfg = (answer && answer.config) || {};
		for (const { s, c } of ctls)
			if (s.secret && c.stored)
				c.stored(cfg[s.name]);
	};
	async function saveAndTest() {
		for (let k = 0; k < 3; k++)
			if (!valid(k)) {
				show(k);
				return;
			}
		let b;
		try { b = body(); }
		catch (e) { say('Settings: ' + e.message, true); return; }
		if (b.events.length === 0)
			b.events = TICKET_EVENTS;
		let r;
		if (!state.id) {
			b.type = 'jira';
			b.enabled = false;
			r = await api('POST', '/api/integrations', b);
			if (r.status === 201 && r.data)
				state.id = text(r.data.id);
		} else
			r = await api('PUT', '/api/integrations/' + enc(state.id), b);
		if (!(r.status === 200 || r.status === 201)) {
			const code = r.data && r.data.error && r.data.error.code;
			if (code === 'secret_required') {
				say('The Jira URL changed: enter the API token (or ' +
				    'personal access token) again in step 1. ' +
				    'hookpost never sends a stored secret to a new ' +
				    'address.', true);
				show(0);
				const pw = panels[0].querySelector(
				    'input[type=password]:not([disabled])');
				if (pw)
					pw.focus();
				return;
			}
			say('Not saved: ' + errmsg(r), true);
			return;
		}
		saved(b, r.data);
		wrap.dataset.id = state.id;
		say('Saved (not yet enabled). Testing…');
		state.tested = null;
		const t = await api('POST', '/api/integrations/' + enc(state.id) +
		    '/test');
		showTest(testOut, t, type);
		state.tested = t.status === 200 ? t.data : null;
		const ok = passed();
		// Where the failed step is fixed: the step showing its group.
		const ts = (type.test_steps || []).find((x) =>
		    t.data && x.name === t.data.step);
		const fix = ts ? stepOfGroup(ts.group) : -1;
		if (fix >= 0)
			testOut.append(button('Fix it in step ' + (fix + 1) + ': ' +
			    steps[fix][0], () => go(fix), 'secondary fix-step'));
		say(ok ? 'Connection OK: go on to step 5.' :
		    fix >= 0 ? 'The test failed: fix the step it names, then ' +
		    'test again.' : 'The test failed: Jira did not answer as ' +
		    'expected (see the error); test again later.', !ok);
		setTimeout(() => testBtn.focus(), 0);
	}
	async function finishSetup() {
		if (!passed()) {
			go(4);
			return;
		}
		if (!valid(4))
			return;
		let b;
		try { b = body(); }
		catch (e) { say('Settings: ' + e.message, true); return; }
		if (b.events.length === 0) {
			say('Choose at least one event.', true);
			return;
		}
		b.enabled = enable.input.checked;
		const r = await api('PUT', '/api/integrations/' + enc(state.id), b);
		if (r.status !== 200) {
			say('Not saved: ' + errmsg(r), true);
			return;
		}
		if (ctx.current())
			ctx.go('#/integrations/' + enc(state.id));
	}
	show(0);
	return wrap;
}

// A Test connection answer in out: OK, outcome, status code, the failed
// step and error; with the type's test steps, each one's fate.  A failure
// that names no step: the service did not answer as expected.
function showTest(out, res, type) {
	out.hidden = false;
	out.classList.remove('bad');
	if (res.status !== 200 || !res.data) {
		out.replaceChildren(dl([['Test', 'refused: ' + errmsg(res)]]));
		out.classList.add('bad');
		return;
	}
	const r = res.data;
	const ok = r.ok === true;
	out.replaceChildren(dl([
		['OK', ok ? 'yes' : 'no'],
		['Outcome', text(r.outcome)],
		['Status code', r.status_code == null ? '—' : text(r.status_code)],
		['Failed step', r.step == null ? '—' : text(r.step)],
		['Error', r.error == null ? '—' : text(r.error)],
	]));
	out.classList.toggle('bad', !ok);
	if (r.outcome === 'gone')
		out.append(el('p', 'The service says this integration no longer ' +
		    'exists there: hookpost has disabled it.', 'gone'));
	const steps = ((type && type.test_steps) || []).map((x) => x.name);
	if (!steps.length)
		return;
	if (!ok && r.step == null && r.outcome !== 'gone')
		out.append(el('p', 'The service did not answer as expected ' +
		    '(unreachable, busy or failing): no step is to blame. Test ' +
		    'again later.', 'no-answer'));
	const failedAt = ok ? steps.length : (r.step ? steps.indexOf(r.step) : 0);
	const ol = el('ol', null, 'test-steps');
	ol.setAttribute('aria-label', 'Test steps');
	steps.forEach((s, i) => {
		const fate = ok || i < failedAt ? 'passed' :
		    (i === failedAt && r.step ? 'failed' : 'not reached');
		const li = el('li', s + ': ' + fate, 'step-' + fate.replace(' ', '-'));
		li.dataset.step = s;
		li.dataset.fate = fate;
		ol.append(li);
	});
	out.append(ol);
}

// --- detail ----------------------------------------------------------------

async function detailView(root, ctx, id) {
	const [res, { types, meta: shared }] = await Promise.all([
	    api('GET', '/api/integrations/' + enc(id)), loadTypes()]);
	root.append(add(el('p', null, 'meta'), link('← All integrations',
	    '#/integrations')));
	if (res.status !== 200 || !res.data) {
		root.append(errorLine('Could not load the integration: ' +
		    errmsg(res)));
		return;
	}
	const it = res.data;
	const type = (types || []).find((t) => t.type === it.type) ||
	    { type: it.type, title: it.type, settings: [], groups: [],
	    test_steps: null };
	const part = section(text(it.name), 'h3', 'integration');
	part.dataset.id = text(it.id);
	const meta = el('p', type.title + ', ' + text(it.status) +
	    (it.enabled === false && it.status !== 'disabled' ?
	    ', disabled' : ''), 'meta');
	part.append(meta);
	if (it.description)
		part.append(el('p', text(it.description), 'description'));
	const config = it.config || {};
	const labelOf = (k) => {
		const s = type.settings.find((x) => x.name === k);
		return s ? s.label : k;
	};
	const settings = dl([
		['Type', type.title],
		['Status', text(it.status)],
		['Enabled', it.enabled === false ? 'no' : 'yes'],
		['Events', (it.events || []).join(', ')],
		['Severity threshold', it.severity_threshold == null ?
		    'every event' : text(it.severity_threshold)],
		['Retries', text(it.retry_count)],
		['Owner', text(it.owner_id)],
		['Created', when(it.created_at)],
		['Last successful use', when(it.last_successful_use)],
		// The type's settings in its own order, then any other.
		...type.settings.map((x) => x.name).filter((k) => k in config)
		    .concat(Object.keys(config).filter((k) =>
		    !type.settings.some((x) => x.name === k)))
		    .map((k) => [labelOf(k),
		    typeof config[k] === 'object' && config[k] !== null ?
		    JSON.stringify(config[k]) : text(config[k])]),
	], 'kv settings');
	const result = el('div', null, 'test-result');
	result.setAttribute('role', 'status');
	result.setAttribute('aria-live', 'polite');
	result.hidden = true;
	const status = el('p', null, 'form-status');
	status.setAttribute('role', 'status');
	// After a change: this view again, the focus on what was pressed.
	const rerender = async (focus) => {
		if (!ctx.current())
			return;
		root.replaceChildren(el('h2', 'Integrations'));
		await detailView(root, ctx, id);
		const b = focus && root.querySelector(focus);
		if (b)
			b.focus();
	};
	const testBtn = button('Test connection', async () => {
		result.hidden = false;
		result.replaceChildren(dl([['Test', 'sending…']]));
		try {
			const r = await api('POST', '/api/integrations/' +
			    enc(text(it.id)) + '/test');
			showTest(result, r, type);
			await log.reload();
		} finally {
			if (testBtn.isConnected)
				setTimeout(() => testBtn.focus(), 0);
		}
	}, 'test');
	const toggle = button(it.enabled === false ? 'Enable' : 'Disable',
	    async () => {
		const r = await api('PUT', '/api/integrations/' + enc(text(it.id)),
		    { enabled: it.enabled === false });
		if (r.status !== 200) {
			status.textContent = 'Not changed: ' + errmsg(r);
			status.classList.add('error');
			return;
		}
		await rerender('button.toggle');
	}, 'secondary toggle');
	const edit = button('Edit', () => {
		editBox.hidden = !editBox.hidden;
		edit.setAttribute('aria-expanded', String(!editBox.hidden));
		if (!editBox.hidden)
			editBox.querySelector('input, select, textarea').focus();
	}, 'secondary edit');
	edit.setAttribute('aria-expanded', 'false');
	const del = button('Delete', async () => {
		if (!await confirmDialog('Delete the integration "' +
		    text(it.name) + '" and its delivery log?', 'Delete'))
			return;
		const r = await api('DELETE', '/api/integrations/' +
		    enc(text(it.id)));
		if (r.status !== 204) {
			status.textContent = 'Not deleted: ' + errmsg(r);
			status.classList.add('error');
			return;
		}
		if (ctx.current())
			ctx.go('#/integrations');
	}, 'danger delete');
	const editBox = el('div', null, 'edit-box');
	editBox.hidden = true;
	editBox.append(editForm(it, type, shared, await loadEventTypes(),
	    rerender));
	const log = deliveryLog(text(it.id));
	part.append(settings, add(el('div', null, 'actions'), testBtn, edit,
	    toggle, del), status, result, editBox);
	root.append(part);
	const waits = [log.reload()];
	if (type.tickets) {
		const tk = ticketList(text(it.id));
		part.append(tk.root);
		waits.push(tk.load());
	}
	part.append(log.root);
	await Promise.all(waits);
}

// The edit form: what the API shows, secrets blank (blank: unchanged).
function editForm(it, type, meta, eventTypes, done) {
	const name = field('Name', { name: 'name', required: true,
	    value: text(it.name) });
	const desc = field('Description (optional)', { kind: 'textarea',
	    name: 'description', value: text(it.description) });
	const events = eventsControl(eventTypes, (it.events || []).map(text));
	const sev = severityControl(it.severity_threshold, meta.severities);
	const retries = retriesControl(meta, it.retry_count);
	const { ctls, groups } = settingControls(type, it.config || {}, true);
	const sets = groupSets(type, groups);
	const f = form('Edit ' + text(it.name), [name, desc, ...sets,
	    events.root, sev, retries], 'Save changes', async () => {
		let config;
		try { config = configOf(ctls); }
		catch (e) { formStatus(f, 'Settings: ' + e.message, true); return; }
		const evs = events.get();
		if (evs.length === 0) {
			formStatus(f, 'Choose at least one event.', true);
			return;
		}
		const b = { name: name.input.value, events: evs,
		    description: desc.input.value === '' ? null :
		    desc.input.value,
		    severity_threshold: sev.input.value || null,
		    retry_count: retries.value() };
		if (Object.keys(config).length)
			b.config = config;
		const r = await api('PUT', '/api/integrations/' +
		    enc(text(it.id)), b);
		if (r.status !== 200) {
			formStatus(f, 'Not saved: ' + errmsg(r), true);
			return;
		}
		await done('button.edit');
	}, 'panel edit-form');
	return f;
}

// The delivery log, newest first, a page at a time; each row's time
// links to the delivery (#/deliveries/<id>).  A reload (after a test)
// makes any "Older deliveries" still under way moot.
function deliveryLog(id) {
	const t = table(['Time', 'Event', 'Status', 'Status code', 'Attempts',
	    'Last error'], [], 'Delivery log', 'log');
	const empty = el('p', 'No deliveries yet.', 'log-empty');
	empty.hidden = true;
	const more = button('Older deliveries', async () => {
		const first = await load(false);
		if (more.hidden && first)
			first.querySelector('a').focus();
	}, 'secondary more-log');
	more.hidden = true;
	const root = add(el('div', null, 'log-box'), t, empty, more);
	let cursor = null;
	let gen = 0;
	// Returns the first row added, or null.
	async function load(first) {
		const mine = first ? ++gen : gen;
		const res = await api('GET', '/api/integrations/' + enc(id) +
		    '/deliveries?limit=' + LOG_ROWS + (!first && cursor ?
		    '&cursor=' + enc(cursor) : ''));
		if (mine !== gen)
			return null;	// a reload came after: its rows stand
		const rows = list(res);
		if (!rows) {
			empty.textContent = 'Could not load the delivery log: ' +
			    errmsg(res);
			empty.classList.add('error');
			empty.hidden = false;
			return null;
		}
		const trs = rows.map((d) => {
			const row = tr([link(when(d.created_at) || text(d.id),
			    '#/deliveries/' + enc(text(d.id))), d.event_type,
			    d.status, d.last_status_code, d.attempt_count,
			    d.last_error]);
			row.dataset.id = text(d.id);
			return row;
		});
		if (first)
			t.tBodies[0].replaceChildren(...trs);
		else
			t.tBodies[0].append(...trs);
		cursor = res.data.next_cursor || null;
		more.hidden = !cursor;
		empty.textContent = 'No deliveries yet.';
		empty.classList.remove('error');
		empty.hidden = t.tBodies[0].children.length > 0;
		return trs[0] || null;
	}
	return { root, reload: () => load(true) };
}

// Tickets (Jira issues, ServiceNow records), one per object, a page at a
// time.
function ticketList(id) {
	const t = table(['Object', 'Ticket', 'State', 'Created', 'Updated'], [],
	    'Tickets', 'tickets');
	const empty = el('p', 'No tickets yet.', 'tickets-empty');
	empty.hidden = true;
	const more = button('More tickets', async () => {
		const first = await load();
		if (more.hidden && first) {
			first.tabIndex = -1;
			first.focus();
		}
	}, 'secondary more-tickets');
	more.hidden = true;
	const root = add(el('div', null, 'tickets-box'), t, empty, more);
	let cursor = null;
	// Appends the next page; returns its first row, or null.
	async function load() {
		const res = await api('GET', '/api/integrations/' + enc(id) +
		    '/tickets?limit=' + TICKET_ROWS + (cursor ? '&cursor=' +
		    enc(cursor) : ''));
		const rows = list(res);
		if (!rows) {
			empty.textContent = 'Could not load the tickets: ' +
			    errmsg(res);
			empty.classList.add('error');
			empty.hidden = false;
			return null;
		}
		const trs = rows.map((k) => {
			const ref = text(k.ref);
			// Only a web link becomes a link (never javascript:).
			const cell = /^https?:\/\//i.test(text(k.url)) ?
			    link(ref, text(k.url)) : ref;
			if (cell instanceof Node)
				cell.rel = 'noopener noreferrer';
			return tr([k.object_key, cell, k.state,
			    when(k.created_at), when(k.updated_at)]);
		});
		t.tBodies[0].append(...trs);
		cursor = (res.data && res.data.next_cursor) || null;
		more.hidden = !cursor;
		empty.hidden = t.tBodies[0].children.length > 0;
		return trs[0] || null;
	}
	return { root, load };
}
