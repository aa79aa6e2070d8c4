/** A scenario's result rendered for people: charts (SVG), the endpoint table, an HTML page. */
import { formatOutcome } from '../budgets/define.js';
import { baselineDeltas, distribution, latencyOverTime } from './charts.js';
import type { ScenarioFile } from './results.js';
import { columnsOf, htmlPage, rowsOf, textTable } from './tables.js';

export type Rendered = { charts: { name: string; svg: string }[]; table: string; html: string };

export async function renderScenario(f: ScenarioFile): Promise<Rendered> {
  const charts: { name: string; svg: string }[] = [];
  if (f.timeline.length > 1) charts.push({ name: 'latency-over-time', svg: await latencyOverTime(f.scenario, f.timeline) });
  const histograms = Object.fromEntries(
    Object.entries(f.endpoints)
      .filter(([, e]) => e.histogram && e.requests > 0)
      .map(([k, e]) => [k, e.histogram!]),
  );
  if (Object.keys(histograms).length) charts.push({ name: 'latency-distribution', svg: await distribution(f.scenario, histograms) });
  if (f.baseline?.deltas.length) charts.push({ name: 'baseline-deltas', svg: await baselineDeltas(f.scenario, f.baseline.tag, f.baseline.deltas) });
  const table = textTable(columnsOf(f.endpoints), rowsOf(f.endpoints));
  const notes = [
    "latency: from each request's intended start to the last byte of its body (corrected for coordinated omission), on kept-alive connections",
    ...(f.attempts > 1 ? [`measured ${f.attempts} times: a latency budget missed on an attempt was measured again (PERF_REPEATS)`] : []),
  ];
  const html = htmlPage({ title: f.scenario, verdict: f.verdict, budget: f.outcomes.map(formatOutcome), endpoints: f.endpoints, charts, slowest: f.slowest, notes });
  return { charts, table, html };
}
