/**
 * A scenario's results as people read them: one row per endpoint (or variant), as plain text
 * for the terminal and the HTML report's attachment, as Markdown for CI summaries, and as an
 * HTML page with the charts.
 */
import type { routeSummary } from '../load/report.js';

/** One endpoint's row, as load/report.ts summarises it (the histogram is dropped in results.json). */
export type EndpointRow = Omit<ReturnType<typeof routeSummary>, 'histogram'> & { histogram?: string };

const BASE_COLUMNS = ['endpoint', 'req', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'errors', 'db p95 ms', 'queries/req', 'bytes/req'] as const;

const n = (v: number, d = 1) => (Number.isFinite(v) ? (+v.toFixed(d)).toString() : '–');
/** What a table shows where the backend gave no evidence: never a 0 it did not measure. */
export const NA = 'n/a';

/** The suite's own metrics present in any row, in a stable order: one column each. */
const extraNames = (endpoints: Record<string, EndpointRow>) => [...new Set(Object.values(endpoints).flatMap((e) => Object.keys(e.extra ?? {})))].sort();

export function columnsOf(endpoints: Record<string, EndpointRow>): string[] {
  return [...BASE_COLUMNS, ...extraNames(endpoints)];
}

export function rowsOf(endpoints: Record<string, EndpointRow>): string[][] {
  const extras = extraNames(endpoints);
  return Object.entries(endpoints).map(([name, e]) => [
    name,
    String(e.requests),
    n(e.throughputPerSec),
    n(e.latencyMs.p50, 2),
    n(e.latencyMs.p95, 2),
    n(e.latencyMs.p99, 2),
    n(e.latencyMs.max, 2),
    e.errors
      ? `${e.errors} (${Object.entries(e.errorsByClass)
          .map(([k, v]) => `${k}: ${v}`)
          .join(', ')})`
      : '0',
    e.dbMs ? n(e.dbMs.p95, 2) : NA,
    e.dbQueriesPerRequest ? `${n(e.dbQueriesPerRequest.mean, 2)} (max ${e.dbQueriesPerRequest.max})` : NA,
    String(e.bytesPerRequest),
    ...extras.map((x) => {
      const v = e.extra?.[x];
      if (!v) return NA;
      return v.stat === 'rate' && v.value <= 1 ? `${(v.value * 100).toFixed(1)}%` : `${n(v.value, 2)}${v.unit ? ` ${v.unit}` : ''} (${v.stat})`;
    }),
  ]);
}

export function textTable(header: readonly string[], rows: string[][]): string {
  const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, k) => (k === 0 ? c.padEnd(widths[k]!) : c.padStart(widths[k]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function markdownTable(header: readonly string[], rows: string[][]): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  return [`| ${header.map(esc).join(' | ')} |`, `| ${header.map((_, k) => (k === 0 ? '---' : '---:')).join(' | ')} |`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

const html = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function htmlPage(o: {
  title: string;
  verdict: string;
  budget: string[];
  endpoints: Record<string, EndpointRow>;
  charts: { name: string; svg: string }[];
  slowest: SlowRequest[];
  notes: string[];
}): string {
  const rows = rowsOf(o.endpoints);
  return `<!doctype html><html><head><meta charset="utf-8"><title>${html(o.title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}td:first-child,th:first-child{text-align:left}
.fail{color:#c0392b}.ok{color:#2e7d32}.warn{color:#b7791f}pre{background:#f6f8fa;padding:8px;overflow:auto}figure{margin:0 0 16px}</style></head><body>
<h1>${html(o.title)} <small class="${o.verdict === 'passed' ? 'ok' : 'fail'}">${html(o.verdict)}</small></h1>
<h2>Budget</h2><ul>${o.budget.map((l) => `<li class="${l.split(':')[0]}">${html(l)}</li>`).join('')}</ul>
<h2>Endpoints</h2><table><tr>${columnsOf(o.endpoints)
    .map((c) => `<th>${html(c)}</th>`)
    .join('')}</tr>${rows.map((r) => `<tr>${r.map((c) => `<td>${html(c)}</td>`).join('')}</tr>`).join('')}</table>
<h2>Charts</h2>${o.charts.map((c) => `<figure class="chart" data-chart="${html(c.name)}">${c.svg}</figure>`).join('')}
<h2>Slowest requests</h2>${slowestHtml(o.slowest)}
${o.notes.length ? `<h2>Notes</h2><ul>${o.notes.map((x) => `<li>${html(x)}</li>`).join('')}</ul>` : ''}
</body></html>`;
}

export type SlowRequest = { route: string; ms: number; status: number | null; traceId: string; requestId: string | null; logLines?: string[] };

function slowestHtml(slow: SlowRequest[]): string {
  if (!slow.length) return '<p>none recorded</p>';
  return `<table><tr><th>endpoint</th><th>ms</th><th>status</th><th>trace id</th></tr>${slow
    .map(
      (s) =>
        `<tr><td>${html(s.route)}</td><td>${s.ms.toFixed(2)}</td><td>${s.status ?? 'error'}</td><td><code>${s.traceId}</code></td></tr>${s.logLines?.length ? `<tr><td colspan="4"><pre>${html(s.logLines.join('\n'))}</pre></td></tr>` : ''}`,
    )
    .join('')}</table>`;
}
