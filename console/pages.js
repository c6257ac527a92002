// The console's pages: one file under pages/ and one row here each.
// hash: the page is #/<hash>[/<arg>...][?query]; title: its heading and
// its link in the navigation; admin: only an admin sees it (the API
// refuses the others anyway); load: the module, fetched on first use,
// whose default export renders the page: (root, ctx) => Promise.
// ctx: {session, args, query, go(hash), say(msg), show(hash), current()};
// show(hash) moves the address to a view the page rendered itself (no
// new render); go, say and show do nothing once the page is left
// (current() false), and a page checks current() before writing after an
// await.  Leave hook: when the default
// function returns (resolves to) a function, the router calls it once,
// before it renders the next page or on sign-out (to stop timers, destroy
// charts); if the page was left before it resolved, at once.  The row
// marked home is the home page (#/ and no hash).
export const PAGES = [
	{ hash: 'health', title: 'Health', home: true, load: () => import('./pages/health.js') },
	{ hash: 'sources', title: 'Sources', admin: true, load: () => import('./pages/sources.js') },
	{ hash: 'incidents', title: 'Incidents', admin: true, load: () => import('./pages/incidents.js') },
	{ hash: 'triggers', title: 'Triggers', load: () => import('./pages/triggers.js') },
	{ hash: 'audit', title: 'Audit log', admin: true, load: () => import('./pages/audit.js') },
	{ hash: 'subscriptions', title: 'Subscriptions', load: () => import('./pages/subscriptions.js') },
	{ hash: 'deliveries', title: 'Deliveries', load: () => import('./pages/deliveries.js') },
	{ hash: 'integrations', title: 'Integrations', load: () => import('./pages/integrations.js') },
	{ hash: 'events', title: 'Event catalog', load: () => import('./pages/events.js') },
	{ hash: 'quotas', title: 'Quotas', admin: true, load: () => import('./pages/quotas.js') },
	{ hash: 'deny-list', title: 'Deny list', admin: true, load: () => import('./pages/denylist.js') },
	{ hash: 'tokens', title: 'Tokens', load: () => import('./pages/tokens.js') },
];
