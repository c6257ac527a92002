// Health (issue 11, the home page): /healthz, and GET /api/stats drawn
// as charts with uPlot (console/vendor/README.md) for people without
// Prometheus: requests received and refused per source, delivery
// attempts sent and failed, and their latency.  Every chart has its
// figures beside it as text (summary lists, a table per source, a table
// per time bucket), for screen readers and for the tests.

import uPlot from '../vendor/uplot/uPlot.esm.js';
import { api, el, add, text, section, table, dl, field, form, when,
    formatMs, refusal, refocus } from '../lib.js';

const RANGES = [['1', 'Last hour'], ['6', 'Last 6 hours'],
    ['24', 'Last 24 hours'], ['168', 'Last 7 days']];
// Sources drawn as their own line; the table lists every one.
const CHART_SOURCES = 6;
const COLORS = ['#1f6feb', '#8250df', '#1a7f37', '#bf8700', '#0a7d8c',
    '#6e7781'];
const BAD = '#cf222e';

// uPlot's stylesheet, once: a same-origin <link> (the CSP's style-src
// 'self' allows it; inline styles it would not).
function uplotCss() {
	if (document.getElementById('uplot-css'))
		return;
	const l = document.createElement('link');
	l.id = 'uplot-css';
	l.rel = 'stylesheet';
	l.href = 'vendor/uplot/uPlot.min.css';
	document.head.append(l);
}

// Set when the range form navigates: the new render puts the focus back
// on its Show button, where the keyboard user left it.
let showPressed = false;

// Returns the page's cleanup (the router calls it before the next page
// renders or on sign-out): the charts and the resize listener go.
export default async function (root, ctx) {
	uplotCss();
	root.append(el('h2', 'Health'));
	const hours = RANGES.some(([v]) => v === ctx.query.get('hours')) ?
	    ctx.query.get('hours') : '24';
	// Choosing a range does nothing until Show (WCAG 3.2.2: a change of
	// the select, by arrow keys too, must not reload the page).
	const range = field('Time range', { kind: 'select', name: 'hours',
	    options: RANGES, value: hours });
	const rangeForm = form(null, [range], 'Show', async () => {
		if (range.input.value === hours) {
			rangeForm.say('Shown.');
			return;
		}
		showPressed = true;
		ctx.go('#/health?hours=' + range.input.value);
	}, 'filters health-range');
	const status = section('Service status', 'h3', 'health-status');
	root.append(status, rangeForm);
	if (showPressed) {
		showPressed = false;
		refocus(rangeForm, 'button[type=submit]');
	}
	const charts = [];
	const resize = () => {
		if (!root.isConnected) {
			cleanup();
			return;
		}
		for (const c of charts)
			c.fit();
	};
	const cleanup = () => {
		window.removeEventListener('resize', resize);
		for (const c of charts)
			c.destroy();
		charts.length = 0;
	};
	const [hz, st] = await Promise.all([api('GET', '/healthz'),
	    api('GET', '/api/stats?hours=' + hours)]);
	// Left while loading: nothing to write or draw.
	if (!ctx.current())
		return cleanup;
	status.append(healthz(hz));
	if (st.status !== 200 || !st.data) {
		root.append(refusal('the figures', st));
		return cleanup;
	}
	const s = st.data;
	root.append(el('p', 'From ' + when(s.since) + ' to ' + when(s.until) +
	    ', in buckets of ' + bucketLabel(s.bucket_seconds) + '.', 'meta'));
	// One more x, the end of the last bucket: a count holds over its
	// bucket (a step), the current one included.
	const xs = s.buckets.map((b) => Date.parse(b) / 1000)
	    .concat([Date.parse(s.until) / 1000]);
	root.append(inbound(s, xs, charts), deliveries(s, xs, charts),
	    bucketTable(s));
	// Charts are drawn once in the document, at the width they get.
	for (const c of charts)
		c.draw();
	window.addEventListener('resize', resize);
	return cleanup;
}

function bucketLabel(sec) {
	return sec % 3600 === 0 ? (sec / 3600) + ' hour' + (sec === 3600 ? '' : 's') :
	    (sec / 60) + ' minutes';
}

function healthz(res) {
	const ok = res.status === 200 && res.data && res.data.status === 'ok';
	const d = dl([['Status', res.data && res.data.status ?
	    text(res.data.status) : 'HTTP ' + res.status],
	    ['Database', ok ? 'reachable' : res.data && res.data.database ?
	    text(res.data.database) : 'unknown']]);
	d.id = 'healthz';
	const p = el('p', ok ? 'The service and its database answer.' :
	    'The service reports a problem (GET /healthz answered ' +
	    res.status + ').', ok ? 'health-ok' : 'error');
	return add(el('div'), p, d);
}

// A chart: a labelled figure holding uPlot's canvas; draw() once in the
// document.  series: [{label, values, color, dash}].
const stepped = uPlot.paths.stepped({ align: 1 });

function chart(title, xs, series, unit, charts) {
	const counts = unit !== 'ms';
	const fig = el('figure', null, 'chart');
	const cap = el('figcaption', title);
	const box = el('div', null, 'chart-box');
	// The canvas is a picture of the figures beside it.
	box.setAttribute('aria-hidden', 'true');
	fig.append(cap, box);
	let plot = null;
	const width = () => Math.max(240, Math.min(box.clientWidth || 600, 1100));
	charts.push({
		draw() {
			plot = new uPlot({
				width: width(), height: 200,
				scales: { x: { time: true } },
				axes: [{}, { label: unit, size: 60 }],
				series: [{}].concat(series.map((s) => ({
					label: s.label, stroke: s.color, width: 2,
					dash: s.dash, spanGaps: false,
					// Counts hold over their bucket; a
					// latency is a point in it.
					paths: counts ? stepped : undefined,
					points: { show: !counts },
				}))),
				legend: { live: false },
			}, [xs].concat(series.map((s) => s.values.concat(
			    [counts ? s.values[s.values.length - 1] : null]))), box);
		},
		fit() {
			if (plot)
				plot.setSize({ width: width(), height: 200 });
		},
		destroy() {
			if (plot)
				plot.destroy();
			plot = null;
		},
	});
	return fig;
}

function inbound(s, xs, charts) {
	const sec = section('Requests received and refused', 'h3', 'health-inbound');
	sec.id = 'health-inbound';
	const t = s.inbound;
	sec.append(dl([['Received', t.received], ['Refused', t.refused],
	    ['Sources', t.sources.length]], 'kv summary'));
	if (t.sources.length === 0) {
		sec.append(el('p', 'No requests in this period.', 'empty'));
		return sec;
	}
	const series = t.sources.slice(0, CHART_SOURCES).map((x, i) => ({
		label: 'Received: ' + text(x.source || '(unknown)'),
		values: x.received_by_bucket, color: COLORS[i % COLORS.length],
	}));
	series.push({ label: 'Refused (every source)', values: t.refused_by_bucket,
	    color: BAD, dash: [6, 4] });
	sec.append(chart('Requests per ' + bucketLabel(s.bucket_seconds) +
	    ', by source', xs, series, 'requests', charts));
	const tb = table(['Source', 'Kind', 'Received', 'Refused'],
	    t.sources.map((x) => [x.source || '(unknown)', x.kind, x.received,
	    x.refused]), 'Requests per source');
	tb.id = 'health-sources';
	sec.append(tb);
	if (t.sources_truncated)
		sec.append(el('p', 'Only the 50 busiest sources are shown.', 'meta'));
	return sec;
}

// A latency (the API rounds it to a tenth), or a dash for none.
function ms(v) {
	return v == null ? '—' : formatMs(v);
}

function deliveries(s, xs, charts) {
	const sec = section('Deliveries', 'h3', 'health-deliveries');
	sec.id = 'health-deliveries';
	const d = s.deliveries;
	sec.append(dl([['Sent', d.sent], ['Failed', d.failed],
	    ['Latency p50', ms(d.latency_ms.p50)],
	    ['Latency p95', ms(d.latency_ms.p95)],
	    ['Latency mean', ms(d.latency_ms.avg)]], 'kv summary'));
	sec.append(el('p', 'Delivery attempts: sent is an answer 2xx from ' +
	    'the receiver; failed is any other answer, a time-out or an error.',
	    'meta'));
	sec.append(chart('Delivery attempts per ' +
	    bucketLabel(s.bucket_seconds), xs, [
		{ label: 'Sent', values: d.sent_by_bucket, color: '#1a7f37' },
		{ label: 'Failed', values: d.failed_by_bucket, color: BAD,
		  dash: [6, 4] },
	], 'attempts', charts));
	sec.append(chart('Delivery latency', xs, [
		{ label: 'p50', values: d.p50_ms_by_bucket, color: '#1f6feb' },
		{ label: 'p95', values: d.p95_ms_by_bucket, color: '#8250df',
		  dash: [6, 4] },
	], 'ms', charts));
	return sec;
}

// Every bucket with something in it, as a table: the charts' figures.
function bucketTable(s) {
	const sec = section('Figures per time bucket', 'h3', 'health-buckets');
	const d = s.deliveries;
	const rows = [];
	s.buckets.forEach((b, i) => {
		const rec = s.inbound.received_by_bucket[i];
		const ref = s.inbound.refused_by_bucket[i];
		if (rec + ref + d.sent_by_bucket[i] + d.failed_by_bucket[i] === 0)
			return;
		rows.push([when(b), rec, ref, d.sent_by_bucket[i],
		    d.failed_by_bucket[i], ms(d.p50_ms_by_bucket[i]),
		    ms(d.p95_ms_by_bucket[i])]);
	});
	if (rows.length === 0) {
		sec.append(el('p', 'Nothing in this period.', 'empty'));
		return sec;
	}
	const t = table(['From', 'Received', 'Refused', 'Sent', 'Failed',
	    'Latency p50', 'Latency p95'], rows, 'Buckets with activity, oldest first');
	t.id = 'health-bucket-rows';
	sec.append(t);
	return sec;
}
