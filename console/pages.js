// The console's pages: one file under pages/ and one row here each.
// hash: the page is #/<hash>[/<arg>...][?query]; title: its heading and
// its link in the navigation; admin: only an admin sees it (the API
// refuses the others anyway); load: the module, fetched on first use,
// whose default export renders the page: (root, ctx) => Promise.
// ctx: {session, args, query, go(hash)}.  The row marked home is the home
// page (#/ and no hash).
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
