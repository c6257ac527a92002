// hookpost console (issue 11): sign in, the navigation, the pages of
// pages.js by location.hash, sign out.  Plain ES modules, no build step.
// Each page is one module under pages/ (pages.js says which); lib.js
// holds what they share and the rules they follow.

import { $, api, el, say, errmsg, text, onUnauthorized } from './lib.js';
import { PAGES } from './pages.js';

let session = null;

function showSignin() {
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
	await route();
}

// Each navigation gets a number; a page that finishes loading after the
// user has gone elsewhere does not overwrite the newer one.
let generation = 0;

async function route() {
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
	if (!page) {
		root.append(el('h2', 'No such page'), el('p', '#/' + h));
		$('page').replaceChildren(root);
		$('page').hidden = false;
		return;
	}
	document.title = page.title + ' · hookpost console';
	root.dataset.page = page.hash;
	let mod;
	try {
		mod = await page.load();
	} catch (e) {
		say('Could not load the page: ' + e.message);
		return;
	}
	if (gen !== generation)
		return;
	$('page').replaceChildren(root);
	$('page').hidden = false;
	const ctx = {
		session, args: path.slice(1), query,
		go: (hash) => { location.hash = hash; },
		current: () => gen === generation && root.isConnected,
	};
	await mod.default(root, ctx);
	if (gen === generation)
		root.dataset.ready = '1';
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
		route().catch((e) => say('Error: ' + e.message));
	});
	// 401 here just means "not signed in yet".
	const res = await api('GET', '/api/session');
	if (res.status === 200 && res.data)
		await showSignedIn(res.data);
	else
		showSignin();
}

start().catch((e) => say('Error: ' + e.message));
