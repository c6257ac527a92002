// bench/node/server.js: make bench's Node.js peer (issue 13), the receiver
// "a few lines of Node with pg" would be: express and node-postgres (pinned
// in package.json), one process, doing what bench/ideal.c does: check
// X-Webhook-Timestamp (5 minutes either way), verify X-Webhook-Signature
// ("sha256=" HMAC-SHA256 of "<ts>.<body>", crypto.timingSafeEqual), then
// one prepared INSERT ... RETURNING into a table of its own shaped like
// ideal's, and answer 200 {"status":"accepted","id":N}.
//
// Environment (scripts/bench.sh): BENCH_SECRET, BENCH_NODE_PORT,
// BENCH_NODE_POOL (connections, 16), PGHOST/PGPORT/PGDATABASE/PGUSER.
'use strict';

const crypto = require('node:crypto');
const express = require('express');
const { Pool } = require('pg');

const secret = process.env.BENCH_SECRET;
const port = Number(process.env.BENCH_NODE_PORT);
if (!secret || !port) {
	console.error('bench-node: BENCH_SECRET and BENCH_NODE_PORT are required');
	process.exit(2);
}
const pool = new Pool({ max: Number(process.env.BENCH_NODE_POOL || 16) });
const insert = {
	name: 'node_insert',
	text: 'INSERT INTO hookpost_bench.node_events (signature, body) ' +
	    'VALUES ($1, $2) RETURNING id',
};

function refuse(res) {
	res.status(401).json({ error: { code: 'invalid_signature',
	    message: 'Webhook signature verification failed' } });
}

const app = express();
app.disable('x-powered-by');
app.disable('etag');
app.post('/hook', express.raw({ type: () => true, limit: '1mb' }),
    async (req, res) => {
	const ts = req.get('X-Webhook-Timestamp') || '';
	const sig = req.get('X-Webhook-Signature') || '';
	const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
	if (!/^[0-9]{1,11}$/.test(ts) ||
	    Math.abs(Date.now() / 1000 - Number(ts)) > 300 ||
	    !sig.startsWith('sha256='))
		return refuse(res);
	const want = crypto.createHmac('sha256', secret).update(ts + '.')
	    .update(body).digest();
	const got = Buffer.from(sig.slice(7), 'hex');
	if (got.length !== want.length || !crypto.timingSafeEqual(got, want))
		return refuse(res);
	try {
		const r = await pool.query({ ...insert,
		    values: [sig.slice(7), body.toString('utf8')] });
		res.json({ status: 'accepted', id: Number(r.rows[0].id) });
	} catch (e) {
		console.error('bench-node: insert: ' + e.message);
		res.status(503).json({ error: { code: 'unavailable',
		    message: 'Database unavailable' } });
	}
});

(async () => {
	const c = await pool.connect();
	try {
		await c.query('BEGIN');
		await c.query('SELECT pg_advisory_xact_lock(7365828)');
		await c.query('CREATE SCHEMA IF NOT EXISTS hookpost_bench');
		await c.query('CREATE TABLE IF NOT EXISTS hookpost_bench.node_events' +
		    ' (id bigserial PRIMARY KEY, received_at timestamptz DEFAULT' +
		    ' now(), signature text, body text)');
		await c.query('COMMIT');
	} finally {
		c.release();
	}
	app.listen(port, '127.0.0.1', () =>
	    console.error('bench-node: listening on 127.0.0.1:' + port));
})().catch((e) => {
	console.error('bench-node: ' + e.message);
	process.exit(1);
});
