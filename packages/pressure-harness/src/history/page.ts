/**
 * The history page's HTML, built from what the store returns (pure: data in, a string out). Each
 * page is a deep link of its own: `/` (runs, series, recent changes), `/series?scenario=&route=`
 * (p50/p95/p99 over time, change points and commits marked), `/runs/<id>` (a run's verdicts,
 * findings and figures), `/compare?a=&b=` (two runs side by side). Charts are Vega-Lite, the
 * report's plotting library, drawn in the browser from scripts this server serves itself: the
 * page works offline, no CDN.
 */
import type { TopLevelSpec } from 'vega-lite';
import { bisectCommand, formatChange, type SeriesChange } from './changes.js';
import type { RunDetail, RunRow, SeriesRow } from './store.js';

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const runLink = (id: string) => `<a href="/runs/${encodeURIComponent(id)}">${esc(id)}</a>`;
const seriesHref = (scenario: string, route: string) => `/series?scenario=${encodeURIComponent(scenario)}&route=${encodeURIComponent(route)}`;
const ms = (v: number | null) => (v === null ? 'n/a' : v.toFixed(v < 10 ? 2 : 1));
const commit = (c: string | null) => (c ? `<code>${esc(c.slice(0, 12))}</code>` : 'unknown');

function layout(title: string, body: string, o: { where: string; scripts?: boolean }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)} · perf history</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1f2328;background:#fff}
 header{background:#24292f;color:#fff;padding:10px 24px}header a{color:#fff;text-decoration:none;font-weight:600}
 header small{color:#c9d1d9;margin-left:12px}
 main{padding:16px 24px;max-width:1200px}
 table{border-collapse:collapse;margin:8px 0 20px}th,td{border-bottom:1px solid #d0d7de;padding:4px 10px;text-align:left;vertical-align:top}
 td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
 .failed{color:#cf222e;font-weight:600}.passed{color:#1a7f37}
 .change{margin:4px 0}.change code{background:#f6f8fa;padding:1px 4px}
 #chart{margin:12px 0}
</style>
${o.scripts ? '<script src="/assets/vega.min.js"></script><script src="/assets/vega-lite.min.js"></script>' : ''}
</head><body>
<header><a href="/">Perf history</a><small>${esc(o.where)}</small></header>
<main>${body}</main></body></html>
`;
}

export function homePage(o: { where: string; runs: RunRow[]; series: { scenario: string; route: string; runs: number }[]; changes: SeriesChange[] }): string {
  const runs = o.runs.length
    ? `<table><thead><tr><th>when</th><th>run</th><th>commit</th><th>branch</th><th>dataset</th><th>verdict</th><th class="n">scenarios</th></tr></thead><tbody>
${o.runs
  .map(
    (r) =>
      `<tr><td>${esc(r.at.replace('T', ' ').slice(0, 16))}</td><td>${runLink(r.id)}</td><td>${commit(r.commit)}</td><td>${esc(r.branch ?? '')}</td><td>${esc(r.dataset)}</td><td class="${r.verdict}">${r.verdict}</td><td class="n">${r.scenarios}${r.failed ? ` (${r.failed} failed)` : ''}</td></tr>`,
  )
  .join('\n')}</tbody></table>`
    : '<p>No run recorded yet. A perf run records itself when HISTORY_DATABASE_URL or PERF_HISTORY_DIR is set; <code>npx pressure history import &lt;results folder&gt;</code> records one made elsewhere.</p>';
  const series = o.series.length
    ? `<ul>${o.series.map((s) => `<li><a href="${seriesHref(s.scenario, s.route)}">${esc(s.scenario)} · ${esc(s.route)}</a> (${s.runs} runs)</li>`).join('')}</ul>`
    : '<p>No series yet.</p>';
  const compare =
    o.runs.length > 1
      ? `<form action="/compare" method="get">Compare <select name="a">${o.runs.map((r, k) => `<option value="${esc(r.id)}"${k === 1 ? ' selected' : ''}>${esc(r.id)}</option>`).join('')}</select> with <select name="b">${o.runs.map((r) => `<option value="${esc(r.id)}">${esc(r.id)}</option>`).join('')}</select> <button>side by side</button></form>`
      : '';
  return layout('runs', `<h1>Runs</h1><h2>Recent changes</h2>${changeList(o.changes)}<h2>Series</h2>${series}<h2>Every run</h2>${compare}${runs}`, { where: o.where });
}

function changeList(changes: SeriesChange[]): string {
  if (!changes.length) return '<p>No series changed by 5% or more.</p>';
  return changes
    .map((c) => {
      const cmd = bisectCommand(c);
      return `<div class="change" data-run="${esc(c.run.id)}">${c.ratio >= 1 ? '▲' : '▼'} <a href="${seriesHref(c.scenario, c.route)}">${esc(c.scenario)} · ${esc(c.route)}</a>: ${esc(formatChange(c, { series: false }))} ${runLink(c.run.id)}${cmd ? `<br><code>${esc(cmd)}</code>` : ''}</div>`;
    })
    .join('\n');
}

/** The series chart: p50/p95/p99 per run over time; each change point a dashed rule at its run, clickable. */
export function seriesSpec(rows: SeriesRow[], changes: SeriesChange[]): TopLevelSpec {
  const long = rows.flatMap((r) => (['p50', 'p95', 'p99'] as const).map((q) => ({ at: r.at, runId: r.runId, commit: (r.commit ?? '').slice(0, 12), percentile: q, ms: r[q] })));
  // One rule per run that starts a change, its percentiles' changes in one label.
  const byRun = new Map<string, { at: string; runId: string; commit: string; labels: string[] }>();
  for (const c of changes.filter((c) => c.metric === 'p50' || c.metric === 'p95' || c.metric === 'p99')) {
    const m = byRun.get(c.run.id) ?? { at: c.run.at, runId: c.run.id, commit: (c.run.commit ?? '').slice(0, 12), labels: [] };
    m.labels.push(`${c.metric} ${c.ratio >= 1 ? '+' : ''}${((c.ratio - 1) * 100).toFixed(0)}%`);
    byRun.set(c.run.id, m);
  }
  const marks = [...byRun.values()].map(({ labels, ...m }) => ({ ...m, label: `${labels.join(', ')}${m.commit ? ` at ${m.commit}` : ''}` }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: 900,
    height: 300,
    layer: [
      {
        data: { values: long },
        mark: { type: 'line', point: { size: 40 } },
        encoding: {
          x: { field: 'at', type: 'temporal', title: 'run' },
          y: { field: 'ms', type: 'quantitative', title: 'latency (ms, log scale)', scale: { type: 'log', nice: false, padding: 12 } },
          color: { field: 'percentile', type: 'nominal', sort: ['p50', 'p95', 'p99'], scale: { range: ['#4c78a8', '#f58518', '#e45756'] } },
          tooltip: [{ field: 'runId' }, { field: 'commit' }, { field: 'percentile' }, { field: 'ms', format: '.2f' }, { field: 'at', type: 'temporal', format: '%Y-%m-%d %H:%M' }],
        },
      },
      {
        // Named: its SVG group carries the class "changepoint_marks", for a reader and a test to find.
        name: 'changepoint',
        data: { values: marks },
        mark: { type: 'rule', strokeDash: [6, 4], strokeWidth: 3, color: '#cf222e', cursor: 'pointer' },
        encoding: { x: { field: 'at', type: 'temporal' }, tooltip: [{ field: 'label', title: 'change' }, { field: 'runId' }, { field: 'commit' }] },
      },
      {
        data: { values: marks },
        mark: { type: 'text', align: 'left', dx: 4, dy: -140, color: '#cf222e' },
        encoding: { x: { field: 'at', type: 'temporal' }, text: { field: 'label' } },
      },
    ],
  } as TopLevelSpec;
}

export function seriesPage(o: { where: string; scenario: string; route: string; rows: SeriesRow[]; changes: SeriesChange[] }): string {
  const spec = JSON.stringify(seriesSpec(o.rows, o.changes)).replace(/</g, '\\u003c');
  const table = `<table><thead><tr><th>run</th><th>when</th><th>commit</th><th class="n">p50 ms</th><th class="n">p95 ms</th><th class="n">p99 ms</th><th class="n">queries/req</th><th class="n">errors</th></tr></thead><tbody>
${[...o.rows]
  .reverse()
  .map(
    (r) =>
      `<tr><td>${runLink(r.runId)}</td><td>${esc(r.at.slice(0, 16).replace('T', ' '))}</td><td>${commit(r.commit)}</td><td class="n">${ms(r.p50)}</td><td class="n">${ms(r.p95)}</td><td class="n">${ms(r.p99)}</td><td class="n">${r.queriesPerRequest === null ? 'n/a' : r.queriesPerRequest.toFixed(2)}</td><td class="n">${r.errors}/${r.requests}</td></tr>`,
  )
  .join('\n')}</tbody></table>`;
  // A click on a change point (or on a run's point) opens that run.
  const script = `<script>
const spec = ${spec};
const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'svg', container: '#chart', hover: true });
view.addEventListener('click', (_e, item) => { const id = item && item.datum && item.datum.runId; if (id) location.href = '/runs/' + encodeURIComponent(id); });
view.runAsync().then(() => document.body.dataset.chart = 'ready');
</script>`;
  return layout(
    `${o.scenario} ${o.route}`,
    `<h1>${esc(o.scenario)} · ${esc(o.route)}</h1><p>${o.rows.length} runs. Dashed red rules: change points (E-divisive means); click one, or a point, to open its run.</p>
<div id="chart" role="img" aria-label="latency over runs"></div><h2>Change points</h2>${changeList(o.changes)}<h2>Runs</h2>${table}${script}`,
    { where: o.where, scripts: true },
  );
}

export function runPage(o: { where: string; run: RunDetail; previous: string | null }): string {
  const r = o.run;
  const scenarios = r.scenarioResults
    .map((s) => {
      const findings = s.findings.length ? `<ul>${s.findings.map((f) => `<li class="${f.severity === 'fail' ? 'failed' : ''}">${esc(f.severity)}: ${esc(f.text)}</li>`).join('')}</ul>` : '';
      const points = r.points.filter((p) => p.scenario === s.scenario);
      return `<h3>${esc(s.scenario)} <span class="${s.verdict}">${s.verdict}</span></h3>${findings}
<table><thead><tr><th>route</th><th class="n">requests</th><th class="n">p50 ms</th><th class="n">p95 ms</th><th class="n">p99 ms</th><th class="n">queries/req</th><th class="n">bytes/req</th><th class="n">errors</th></tr></thead><tbody>
${points.map((p) => `<tr><td><a href="${seriesHref(p.scenario, p.route)}">${esc(p.route)}</a></td><td class="n">${p.requests}</td><td class="n">${ms(p.p50)}</td><td class="n">${ms(p.p95)}</td><td class="n">${ms(p.p99)}</td><td class="n">${p.queriesPerRequest === null ? 'n/a' : p.queriesPerRequest.toFixed(2)}</td><td class="n">${p.bytesPerRequest ?? 'n/a'}</td><td class="n">${p.errors}</td></tr>`).join('\n')}</tbody></table>`;
    })
    .join('\n');
  return layout(
    r.id,
    `<h1 id="run">Run ${esc(r.id)} <span class="${r.verdict}">${r.verdict}</span></h1>
<p>${esc(r.at)} · commit ${commit(r.commit)} · branch ${esc(r.branch ?? 'unknown')} · dataset ${esc(r.dataset)} · ${esc(r.source)} · environment <code>${esc(r.fingerprint)}</code>${o.previous ? ` · <a href="/compare?a=${encodeURIComponent(o.previous)}&b=${encodeURIComponent(r.id)}">against the run before</a>` : ''}</p>
${scenarios}`,
    { where: o.where },
  );
}

export function comparePage(o: { where: string; a: RunDetail; b: RunDetail }): string {
  const keys = [...new Set([...o.a.points, ...o.b.points].map((p) => `${p.scenario}\u0000${p.route}`))].sort();
  const find = (r: RunDetail, k: string) => r.points.find((p) => `${p.scenario}\u0000${p.route}` === k);
  const ratio = (x?: number | null, y?: number | null) => (x && y ? `×${(y / x).toFixed(2)}` : 'n/a');
  const rows = keys
    .map((k) => {
      const [scenario, route] = k.split('\u0000') as [string, string];
      const a = find(o.a, k);
      const b = find(o.b, k);
      return `<tr><td><a href="${seriesHref(scenario, route)}">${esc(scenario)} · ${esc(route)}</a></td>${(['p50', 'p95', 'p99'] as const).map((q) => `<td class="n">${ms(a?.[q] ?? null)}</td><td class="n">${ms(b?.[q] ?? null)}</td><td class="n">${ratio(a?.[q], b?.[q])}</td>`).join('')}</tr>`;
    })
    .join('\n');
  return layout(
    `${o.a.id} vs ${o.b.id}`,
    `<h1>${runLink(o.a.id)} (A) and ${runLink(o.b.id)} (B)</h1>
<p>A: ${esc(o.a.at)} · ${commit(o.a.commit)} · <span class="${o.a.verdict}">${o.a.verdict}</span>. B: ${esc(o.b.at)} · ${commit(o.b.commit)} · <span class="${o.b.verdict}">${o.b.verdict}</span>.${o.a.fingerprint !== o.b.fingerprint ? ' <strong>The two ran on different environments.</strong>' : ''}</p>
<table><thead><tr><th>scenario · route</th><th class="n">p50 A</th><th class="n">p50 B</th><th class="n">B/A</th><th class="n">p95 A</th><th class="n">p95 B</th><th class="n">B/A</th><th class="n">p99 A</th><th class="n">p99 B</th><th class="n">B/A</th></tr></thead><tbody>
${rows}</tbody></table>`,
    { where: o.where },
  );
}

export function notFoundPage(where: string, what: string): string {
  return layout('not found', `<h1>Not found</h1><p>${esc(what)}</p><p><a href="/">All runs</a></p>`, { where });
}
