// hookpost console (issue 11): sign in, the navigation, the pages of
// pages.js by location.hash, sign out.  Plain ES modules, no build step.
// Each page is one module under pages/ (pages.js says which); lib.js
// holds what they share and the rules they follow.

import { $, api, el, say, errmsg, text, onUnauthorized } from './lib.js';
import { PAGES } from './pages.js';

let session = null;

// The leave hook of the page on screen: what its default function
// returned when that was a function (pages.js).  Called before the next
// page is rendered and on sign-out, once.
let leave = null;
function leavePage() {
	const fn = leave;
	leave = null;
	if (fn) {
		try { fn(); } catch (e) { say('Error: ' + e.message); }
	}
}

function showSignin() {
	generation++;		// a page still loading is stale now
	leavePage();
	session = null;
	$('who').hidden = true;
	$('nav').hidden = true;
	$('page').replaceChildren();
	$('page').hidden = true;
	$('signin').hidden = false;
	$('token').value = '';
	$('token').focus();
}

function buildNav() {
	const links = PAGES.filter((p) => !p.admin || session.role === 'admin')
	    .map((p) => {
		const a = el('a', p.title);
		a.href = '#/' + p.hash;
		a.dataset.page = p.hash;
		return a;
	});
	$('nav-links').replaceChildren(...links.map((a) => {
		const li = el('li');
		li.append(a);
		return li;
	}));
}

async function showSignedIn(s) {
	session = s;
	$('signin').hidden = true;
	$('who-role').textContent = text(s.role);
	$('who-owner').textContent = s.owner_id == null ? '(none)' : String(s.owner_id);
	$('who').hidden = false;
	buildNav();
	$('nav').hidden = false;
	await route(false);
}

// Each navigation gets a number; a page that finishes loading after the
// user has gone elsewhere does not overwrite the newer one.
let generation = 0;

// focus: move the focus to the new page's heading (a navigation by the
// hash; after sign-in the focus goes to Sign out instead).
async function route(focus) {
	if (!session)
		return;
	const gen = ++generation;
	const h = location.hash.replace(/^#\/?/, '');
	const qi = h.indexOf('?');
	const path = (qi < 0 ? h : h.slice(0, qi)).split('/').filter((x) => x !== '')
	    .map(decodeURIComponent);
	const query = new URLSearchParams(qi < 0 ? '' : h.slice(qi + 1));
	const page = path.length === 0 ? PAGES.find((p) => p.home) : PAGES.find((p) => p.hash === path[0]);
	for (const a of document.querySelectorAll('#nav-links a'))
		if (page && a.dataset.page === page.hash)
			a.setAttribute('aria-current', 'page');
		else
			a.removeAttribute('aria-current');
	const root = el('div');
	root.className = 'page';
	// The hash this root renders (tests wait for it with data-ready).
	root.dataset.hash = location.hash;
	const headingFocus = () => {
		const h2 = root.querySelector('h2');
		if (focus && h2 && gen === generation &&
		    !root.contains(document.activeElement)) {
			h2.tabIndex = -1;
			h2.focus();
		}
	};
	if (!page) {
		leavePage();
		root.append(el('h2', 'No such page'), el('p', '#/' + h));
		$('page').replaceChildren(root);
		$('page').hidden = false;
		root.dataset.ready = '1';
		headingFocus();
		return;
	}
	document.title = page.title + ' · hookpost console';
	root.dataset.page = page.hash;
	let mod;
	try {
		mod = await page.load();
	} catch (e) {
		if (gen === generation)
			say('Could not load the page: ' + e.message);
		return;
	}
	if (gen !== generation)
		return;
	leavePage();
	$('page').replaceChildren(root);
	$('page').hidden = false;
	// What the page may do only while it is the one on screen: a page
	// that finishes after the user went elsewhere writes nowhere.
	const current = () => gen === generation && root.isConnected;
	const ctx = {
		session, args: path.slice(1), query, current,
		go: (hash) => { if (current()) location.hash = hash; },
		say: (msg) => { if (current()) say(msg); },
		// The page now shows hash, rendered by itself (a view that
		// carries what only it may show, such as a secret shown
		// once): the address follows without a new render.
		show: (hash) => {
			if (!current())
				return;
			history.pushState(null, '', hash);
			root.dataset.hash = location.hash;
		},
	};
	const done = await mod.default(root, ctx);
	if (typeof done === 'function') {
		if (current())
			leave = done;
		else
			try { done(); } catch (e) { /* the page is gone already */ }
	}
	if (current()) {
		root.dataset.ready = '1';
		headingFocus();
	}
}

async function signIn(ev) {
	ev.preventDefault();
	const f = $('token');
	const token = f.value.trim();
	f.value = '';
	if (!token) { say('Enter an API token.'); f.focus(); return; }
	say('');
	const res = await api('POST', '/api/session', { token });
	if (res.status !== 201 || !res.data) {
		say('Sign-in failed: ' + errmsg(res));
		f.focus();
		return;
	}
	await showSignedIn(res.data);
	$('signout').focus();
}

async function signOut() {
	const res = await api('DELETE', '/api/session');
	if (res.status !== 204 && res.status !== 401) {
		say('Sign-out failed: ' + errmsg(res));
		return;
	}
	say('Signed out.');
	showSignin();
}

async function start() {
	$('signin').addEventListener('submit', signIn);
	$('signout').addEventListener('click', signOut);
	onUnauthorized(() => {
		if (session) { say('Your session has ended: sign in again.'); showSignin(); }
	});
	window.addEventListener('hashchange', () => {
		say('');
		route(true).catch((e) => say('Error: ' + e.message));
	});
	// 401 here just means "not signed in yet".
	const res = await api('GET', '/api/session');
	if (res.status === 200 && res.data)
		await showSignedIn(res.data);
	else
		showSignin();
}

start().catch((e) => say('Error: ' + e.message));
