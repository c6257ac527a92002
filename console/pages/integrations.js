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
const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'];
const GROUP_TITLES = {
	connection: 'Connection', project: 'Project mapping',
	fields: 'Field mapping', 'auto-creation': 'Auto-creation',
	lifecycle: 'Lifecycle', records: 'Records',
};
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

// The types (GET /api/integrations/types), once per page load.
async function loadTypes() {
	const res = await api('GET', '/api/integrations/types');
	return { res, types: list(res) };
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
	const more = button('More integrations', null, 'secondary more');
	more.hidden = true;
	root.append(t, empty, more);
	let cursor = null;
	const load = async () => {
		const q = '/api/integrations?limit=' + LIST_ROWS +
		    (cursor ? '&cursor=' + enc(cursor) : '');
		const res = await api('GET', q);
		const items = list(res);
		if (!items) {
			root.append(errorLine('Could not list integrations: ' +
			    errmsg(res)));
			return;
		}
		for (const it of items) {
			const row = tr([link(text(it.name), '#/integrations/' +
			    enc(text(it.id))), it.type, it.status,
			    it.enabled === false ? 'no' : 'yes']);
			row.dataset.id = text(it.id);
			t.tBodies[0].append(row);
		}
		cursor = res.data.next_cursor || null;
		more.hidden = !cursor;
		empty.hidden = t.tBodies[0].children.length > 0;
	};
	more.addEventListener('click', load);
	await load();
}

// --- settings controls, made from a type's table -----------------------------

// One control for one setting s ({name, type, required, secret, enum,
// label, hint, default, widget, min, max}); cur: the value the API shows
// (a secret's hint) when editing, else undefined.  Returns {root, get}:
// get() is the value to send, undefined to leave it out, null to remove.
function settingControl(s, cur, editing) {
	const had = cur !== undefined && cur !== null;
	// An emptied optional setting: removed when it was set, else left out.
	const blank = () => editing && had && !s.required ? null : undefined;
	let hint = s.hint || '';
	if (s.default !== null && s.default !== undefined &&
	    typeof s.default !== 'object')
		hint += (hint ? ' ' : '') + 'Default: ' + text(s.default) + '.';
	if (s.secret)
		hint += (hint ? ' ' : '') + (editing && had ?
		    'Set (' + text(typeof cur === 'object' ? '…' : cur) +
		    '); leave blank to keep it.' :
		    'Secret: shown only as its last 4 characters once saved.');
	const label = s.label + (s.required && !(editing && s.secret) ? '' :
	    ' (optional)');
	if (s.widget === 'severity_map')
		return severityMap(s, cur, editing);
	if (s.widget === 'field_map')
		return fieldMap(s, cur, editing);
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
	if (s.widget === 'headers' || (s.type === 'object' && s.secret)) {
		const f = field(label, { kind: 'textarea', name: s.name,
		    hint: (hint ? hint + ' ' : '') + 'One "Name: value" a line.' });
		return { root: f, get: () => {
			const v = f.input.value.trim();
			if (v === '')
				return undefined;
			const o = {};
			for (const line of v.split('\n')) {
				const i = line.indexOf(':');
				if (i > 0)
					o[line.slice(0, i).trim()] =
					    line.slice(i + 1).trim();
			}
			return o;
		} };
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
		name: s.name, type: s.secret ? 'password' : 'text',
		required: s.required && !(editing && s.secret),
		value: had && !s.secret ? text(cur) : '',
		autocomplete: s.secret ? 'new-password' : 'off',
		hint: hint || undefined,
	});
	if (s.max)
		f.input.maxLength = s.max;
	return { root: f, get: () => f.input.value === '' ?
	    (s.secret ? undefined : blank()) : f.input.value };
}

// Jira's step 2 table: each severity's issue type and priority, the
// connector's defaults filled in (seed 003 "Configure Project Mapping").
function severityMap(s, cur, editing) {
	const def = s.default || {};
	const start = cur && typeof cur === 'object' ? cur : def;
	const inputs = {};
	const rows = SEVERITIES.map((sev) => {
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
		for (const sev of SEVERITIES) {
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

// Jira's step 3: summary and description (JSONPath over the event, blank
// for hookpost's own), labels and components (names or JSONPath).
function fieldMap(s, cur, editing) {
	const c = cur && typeof cur === 'object' ? cur : {};
	const joined = (v) => Array.isArray(v) ? v.join(', ') : '';
	const parts = [
		field('Summary (optional)', { name: 'fields.summary', value:
		    text(c.summary), placeholder: '$.data.title',
		    hint: 'Blank: the vulnerability title and affected asset.' }),
		field('Description (optional)', { name: 'fields.description',
		    value: text(c.description), placeholder: '$.data.description',
		    hint: 'Blank: full finding details with evidence, ' +
		    'remediation guidance and compliance references.' }),
		field('Labels (optional)', { name: 'fields.labels',
		    value: joined(c.labels), placeholder: 'secops, $.data.tags',
		    hint: 'Blank: severity, vulnerability type, affected ' +
		    'module. Names or JSONPath, comma separated.' }),
		field('Components (optional)', { name: 'fields.components',
		    value: joined(c.components), placeholder: 'Backend',
		    hint: 'Blank: none. The affected system component, if ' +
		    'configured.' }),
	];
	const wrap = add(el('div', null, 'field-map'), ...parts);
	if (s.hint)
		wrap.append(el('small', s.hint, 'hint'));
	return { root: wrap, get: () => {
		const o = {};
		const [su, de, la, co] = parts.map((p) => p.input.value.trim());
		const split = (v) => v.split(',').map((x) => x.trim())
		    .filter((x) => x !== '');
		if (su)
			o.summary = su;
		if (de)
			o.description = de;
		if (la)
			o.labels = split(la);
		if (co)
			o.components = split(co);
		if (Object.keys(o).length === 0)
			return editing && cur ? null : undefined;
		return o;
	} };
}

// The settings of a type as controls, grouped in fieldsets by their
// group (a step of a setup) when they have one.
function settingControls(type, config, editing) {
	const ctls = type.settings.map((s) => ({ s, c: settingControl(s,
	    config ? config[s.name] : undefined, editing) }));
	const groups = new Map();
	for (const x of ctls) {
		const g = x.s.group || '';
		if (!groups.has(g))
			groups.set(g, []);
		groups.get(g).push(x);
	}
	return { ctls, groups };
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

function severityControl(cur) {
	return field('Severity threshold', { kind: 'select',
	    name: 'severity_threshold', value: cur || '',
	    options: [['', 'Every event']].concat(SEVERITIES.map((s) =>
	    [s, s + ' and above'])),
	    hint: 'Events below it never reach the integration (resolutions ' +
	    'always do).' });
}

function formStatus(f, msg, bad) {
	const out = f.querySelector('.form-status');
	out.textContent = msg;
	out.classList.toggle('error', !!bad);
}

// --- add -------------------------------------------------------------------

async function addView(root, ctx, typeName) {
	const [{ res, types }, eventTypes] = await Promise.all([loadTypes(),
	    loadEventTypes()]);
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
		body.append(t.type === 'jira' ? jiraStepper(t, eventTypes, ctx) :
		    createForm(t, eventTypes, ctx));
	};
	sel.input.addEventListener('change', show);
	show();
}

// The form of any type: name, description, events, severity threshold,
// retries, enabled, and the type's settings.
function createForm(type, eventTypes, ctx) {
	const name = field('Name', { name: 'name', required: true });
	const desc = field('Description (optional)', { kind: 'textarea',
	    name: 'description' });
	const events = eventsControl(eventTypes, []);
	const sev = severityControl(null);
	const retries = field('Retries', { type: 'number', name: 'retry_count',
	    value: '3', hint: '0 to 10: after 30 s, 2 min, 10 min, then 5x ' +
	    'the one before.' });
	retries.input.min = 0;
	retries.input.max = 10;
	const enabled = field('Enabled', { kind: 'checkbox', name: 'enabled',
	    value: true });
	const { ctls, groups } = settingControls(type, null, false);
	const sets = [];
	for (const [g, xs] of groups)
		sets.push(fieldset(g ? GROUP_TITLES[g] || g : type.title +
		    ' settings', xs.map((x) => x.c.root), 'settings'));
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
		    retry_count: Number(retries.input.value || 3), config };
		if (desc.input.value !== '')
			b.description = desc.input.value;
		if (sev.input.value !== '')
			b.severity_threshold = sev.input.value;
		const r = await api('POST', '/api/integrations', b);
		if (r.status !== 201 || !r.data) {
			formStatus(f, 'Not created: ' + errmsg(r), true);
			return;
		}
		ctx.go('#/integrations/' + enc(text(r.data.id)));
	}, 'panel create');
	f.dataset.type = type.type;
	return f;
}

// Jira, seed 003's five steps: 1 Connection, 2 Project mapping, 3 Field
// mapping, 4 Test connection (the integration saved, disabled, and
// tested), 5 Enable auto-creation.  Back/Next; each step's required
// fields checked before the next.
function jiraStepper(type, eventTypes, ctx) {
	const { ctls, groups } = settingControls(type, null, false);
	const g = (k) => (groups.get(k) || []).map((x) => x.c.root);
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
	const state = { id: null, tested: null };
	const testOut = el('div', null, 'test-result');
	testOut.setAttribute('role', 'status');
	testOut.setAttribute('aria-live', 'polite');
	testOut.hidden = true;
	const testBtn = button('Save and test connection', () => saveAndTest(),
	    'test');
	const steps = [
		['Connection', [name, desc, ...g('connection')]],
		['Project mapping', g('project')],
		['Field mapping', g('fields')],
		['Test connection', [el('p', 'Saves the integration (not yet ' +
		    'enabled) and checks each step: ' +
		    (type.test_steps || []).join(', ') + '. A test issue is ' +
		    'created and deleted at once.'), testBtn, testOut]],
		['Enable auto-creation', [...g('auto-creation'), events.root,
		    enable, more]],
	];
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
	// A step's fields valid: 1 when so, else the browser says which.
	const valid = (i) => {
		for (const c of panels[i].querySelectorAll('input, select, textarea'))
			if (!c.checkValidity()) {
				c.reportValidity();
				return false;
			}
		return true;
	};
	function go(i) {
		if (i < 0 || i >= steps.length)
			return;
		for (let k = cur; k < i; k++)
			if (!valid(k)) {
				show(k);
				return;
			}
		if (i === 4 && !state.id) {
			say('Save and test the connection first (step 4).', true);
			show(3);
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
	const body = () => {
		const config = configOf(ctls);
		const b = { name: name.input.value, events: events.get(),
		    config };
		if (desc.input.value !== '')
			b.description = desc.input.value;
		return b;
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
			say('Not saved: ' + errmsg(r), true);
			return;
		}
		wrap.dataset.id = state.id;
		say('Saved (not yet enabled). Testing…');
		const t = await api('POST', '/api/integrations/' + enc(state.id) +
		    '/test');
		showTest(testOut, t, type);
		state.tested = t.data;
		// Where a failed step is fixed: the account (1) or the
		// project and its issue types (2).
		const fix = { authentication: 0, permission: 0, project: 1,
		    'issue type': 1 }[t.data && t.data.step];
		if (fix !== undefined)
			testOut.append(button('Fix it in step ' + (fix + 1) + ': ' +
			    steps[fix][0], () => go(fix), 'secondary fix-step'));
		say(t.status === 200 && t.data && t.data.ok === true ?
		    'Connection OK: go on to step 5.' :
		    'The test failed: fix the step it names, then test again.',
		    !(t.data && t.data.ok === true));
		setTimeout(() => testBtn.focus(), 0);
	}
	async function finishSetup() {
		if (!state.id) {
			go(3);
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
		ctx.go('#/integrations/' + enc(state.id));
	}
	show(0);
	return wrap;
}

// A Test connection answer in out: OK, outcome, status code, the failed
// step and error; with the type's test steps, each one's fate.
function showTest(out, res, type) {
	out.hidden = false;
	if (res.status !== 200 || !res.data) {
		out.replaceChildren(dl([['Test', 'refused: ' + errmsg(res)]]));
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
	const steps = type && type.test_steps;
	if (!steps || !steps.length)
		return;
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
	const [res, { types }] = await Promise.all([
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
	    { type: it.type, title: it.type, settings: [], test_steps: null };
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
		ctx.go('#/integrations');
	}, 'danger delete');
	const editBox = el('div', null, 'edit-box');
	editBox.hidden = true;
	editBox.append(editForm(it, type, await loadEventTypes(), rerender));
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
function editForm(it, type, eventTypes, done) {
	const name = field('Name', { name: 'name', required: true,
	    value: text(it.name) });
	const desc = field('Description (optional)', { kind: 'textarea',
	    name: 'description', value: text(it.description) });
	const events = eventsControl(eventTypes, (it.events || []).map(text));
	const sev = severityControl(it.severity_threshold);
	const retries = field('Retries', { type: 'number', name: 'retry_count',
	    value: text(it.retry_count) });
	retries.input.min = 0;
	retries.input.max = 10;
	const { ctls, groups } = settingControls(type, it.config || {}, true);
	const sets = [];
	for (const [g, xs] of groups)
		sets.push(fieldset(g ? GROUP_TITLES[g] || g : type.title +
		    ' settings', xs.map((x) => x.c.root), 'settings'));
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
		    retry_count: Number(retries.input.value || 0) };
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
// links to the delivery (#/deliveries/<id>).
function deliveryLog(id) {
	const t = table(['Time', 'Event', 'Status', 'Status code', 'Attempts',
	    'Last error'], [], 'Delivery log', 'log');
	const empty = el('p', 'No deliveries yet.', 'log-empty');
	empty.hidden = true;
	const more = button('Older deliveries', () => load(false),
	    'secondary more-log');
	more.hidden = true;
	const root = add(el('div', null, 'log-box'), t, empty, more);
	let cursor = null;
	async function load(first) {
		const res = await api('GET', '/api/integrations/' + enc(id) +
		    '/deliveries?limit=' + LOG_ROWS + (!first && cursor ?
		    '&cursor=' + enc(cursor) : ''));
		const rows = list(res);
		if (!rows) {
			empty.textContent = 'Could not load the delivery log: ' +
			    errmsg(res);
			empty.classList.add('error');
			empty.hidden = false;
			return;
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
		empty.hidden = t.tBodies[0].children.length > 0;
	}
	return { root, reload: () => load(true) };
}

// Tickets (Jira issues, ServiceNow records), one per object.
function ticketList(id) {
	const t = table(['Object', 'Ticket', 'State', 'Created', 'Updated'], [],
	    'Tickets', 'tickets');
	const empty = el('p', 'No tickets yet.', 'tickets-empty');
	empty.hidden = true;
	const root = add(el('div', null, 'tickets-box'), t, empty);
	async function load() {
		const res = await api('GET', '/api/integrations/' + enc(id) +
		    '/tickets?limit=' + TICKET_ROWS);
		const rows = list(res);
		if (!rows) {
			empty.textContent = 'Could not load the tickets: ' +
			    errmsg(res);
			empty.classList.add('error');
			empty.hidden = false;
			return;
		}
		t.tBodies[0].replaceChildren(...rows.map((k) => {
			const ref = text(k.ref);
			// Only a web link becomes a link (never javascript:).
			const cell = /^https?:\/\//i.test(text(k.url)) ?
			    link(ref, text(k.url)) : ref;
			if (cell instanceof Node)
				cell.rel = 'noopener noreferrer';
			return tr([k.object_key, cell, k.state,
			    when(k.created_at), when(k.updated_at)]);
		}));
		empty.hidden = rows.length > 0;
	}
	return { root, load };
}
