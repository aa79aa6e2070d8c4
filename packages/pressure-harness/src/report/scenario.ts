/**
 * One scenario's verdict and result file, from its route metrics: the same code judges a run
 * (fixtures/perf.ts) and a merge of shards (npm run perf:merge), so a merged verdict is what an
 * unsharded run of the same requests would have given.
 */
import type { Baseline } from '../budgets/baselines.js';
import { evaluate, type Measured, type Outcome, type ScenarioBudget } from '../budgets/define.js';
import type { RouteMetrics, SlowRequest } from '../load/engine.js';
import { mergeRoutes, metricValues, routeSummary, statsOf } from '../load/report.js';
import { metricDef, single } from '../metrics/registry.js';
import { serializeRoute } from '../load/serialize.js';
import type { Delta, TimelinePoint } from './charts.js';
import { evidenceFigures, type EvidencePart } from './figures.js';
import type { ScenarioFile } from './results.js';

export type Raw = { routes: Record<string, RouteMetrics>; expected: number[]; singles: Record<string, number>; wallMs: number };

/** Budget inputs: each route (variant) on its own, '*' for all of them, plus the scenario's own figures. */
export function toMeasured(raw: Raw): Measured {
  const measured: Measured = { '*': metricValues(mergeRoutes(Object.values(raw.routes)), { expected: raw.expected }) };
  for (const [name, m] of Object.entries(raw.routes)) measured[name] = metricValues(m, { expected: raw.expected });
  for (const [metric, v] of Object.entries(raw.singles)) if (v !== undefined) measured['*']![metric] = single(v, metricDef(metric)?.unit ?? '');
  return measured;
}

/**
 * `absent`: the capabilities the backend lacks, so that their metrics are n/a rather than
 * unmeasured. `evidence`: PostgreSQL's and the backend's gauges over the scenario, for the
 * figures budgets may name beside the requests' (report/figures.ts).
 */
export function judge(id: string, budget: ScenarioBudget, raw: Raw, baseline?: Baseline, absent: ReadonlySet<string> = new Set(), evidence: readonly EvidencePart[] = []): Outcome[] {
  const measured = toMeasured(raw);
  for (const [variant, metrics] of Object.entries(evidenceFigures(evidence))) measured[variant] = { ...metrics, ...measured[variant] };
  return evaluate(id, budget, measured, baseline && { tag: baseline.tag, values: baseline.scenarios[id] }, absent);
}

export function deltasOf(outcomes: Outcome[]): Delta[] {
  return outcomes
    .filter((o) => o.kind === 'baseline' && o.value !== undefined && o.reference !== undefined && o.reference > 0)
    .map((o) => ({ rule: `${o.key} ${o.rule}`, pct: ((o.value! - o.reference!) / o.reference!) * 100, ok: o.verdict === 'ok' }));
}

const SLOWEST = 10;

export function slowestOf(routes: Record<string, RouteMetrics>): SlowRequest[] {
  return Object.values(routes)
    .flatMap((m) => m.slowest)
    .sort((a, b) => b.ms - a.ms)
    .slice(0, SLOWEST);
}

export function scenarioFile(o: {
  id: string;
  runId: string;
  shard: string | null;
  profile: string;
  raw: Raw;
  outcomes: Outcome[];
  /** The gating failures that stand (a noisy rule met on another attempt does not). */
  broken: Outcome[];
  attempts: number;
  absent: string[];
  history: { attempt: number; failed: string[] }[];
  timeline: TimelinePoint[];
  slowest: ScenarioFile['slowest'];
  baselineTag: string | null;
  details: Record<string, unknown>;
  sections?: ScenarioFile['sections'];
  client?: ScenarioFile['client'];
  pg?: ScenarioFile['pg'];
  environment?: ScenarioFile['environment'];
  signals?: ScenarioFile['signals'];
  code?: ScenarioFile['code'];
  at?: string;
}): ScenarioFile {
  return {
    version: 2,
    scenario: o.id,
    runId: o.runId,
    shard: o.shard,
    verdict: o.broken.length ? 'failed' : 'passed',
    profile: o.profile,
    attempts: o.attempts,
    history: o.history,
    outcomes: o.outcomes,
    broken: o.broken,
    absent: o.absent,
    stats: statsOf(toMeasured(o.raw)),
    raw: { routes: Object.fromEntries(Object.entries(o.raw.routes).map(([k, v]) => [k, serializeRoute(v)])), expected: o.raw.expected, singles: o.raw.singles, wallMs: o.raw.wallMs },
    endpoints: Object.fromEntries(Object.entries(o.raw.routes).map(([k, v]) => [k, routeSummary(v, o.raw.wallMs, o.raw.expected)])),
    timeline: o.timeline,
    slowest: o.slowest,
    baseline: o.baselineTag ? { tag: o.baselineTag, deltas: deltasOf(o.outcomes) } : null,
    details: o.details,
    sections: o.sections ?? [],
    ...(o.code && { code: o.code }),
    ...(o.at && { at: o.at }),
    ...(o.signals && { signals: o.signals }),
    ...(o.client && { client: o.client }),
    ...(o.environment && { environment: o.environment }),
    ...(o.pg && { pg: o.pg }),
  };
}
