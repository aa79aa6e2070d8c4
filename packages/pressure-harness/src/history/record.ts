/**
 * A perf run as the history store keeps it, built once from its scenario results (a results
 * folder, or the scenario files a blob report carries): per scenario its verdict and findings in
 * words, per scenario × route (a variant's route is its name) the figures a series is drawn from,
 * and the exact histogram, so that a later reader can merge or re-judge without the run's folder.
 */
import { createHash } from 'node:crypto';
import { formatOutcome } from '../budgets/define.js';
import { formatFinding } from '../compare/format.js';
import { probeLines } from '../compare/probe.js';
import type { Environment } from '../pg/environment.js';
import type { CodeOf, ScenarioFile } from '../report/results.js';

/** The figures of one route of one scenario in one run; null where the backend gave no evidence (n/a, never 0). */
export type HistoryPoint = {
  scenario: string;
  route: string;
  requests: number;
  errors: number;
  p50: number;
  p95: number;
  p99: number;
  queriesPerRequest: number | null;
  bytesPerRequest: number | null;
  dbP95: number | null;
  /** The route's HDR histogram (base64, compressed), as the scenario file holds it. */
  histogram: string | null;
};

export type HistoryFinding = { severity: 'fail' | 'warn' | 'info'; text: string };

export type HistoryRun = {
  id: string;
  code: CodeOf;
  /** When the run ended (its last scenario). */
  at: string;
  /** A hash of what the run ran on (machine, Node, PostgreSQL and its settings): series compare like with like. */
  fingerprint: string;
  environment: Environment | null;
  /** The dataset profile the run measured. */
  dataset: string;
  verdict: 'passed' | 'failed';
  /** Where it came from: a run, a merge, an import. */
  source: string;
  scenarios: { scenario: string; verdict: 'passed' | 'failed'; findings: HistoryFinding[] }[];
  points: HistoryPoint[];
};

/** The metrics a series can follow, and how each reads off a point. */
export const SERIES_METRICS = {
  p50: { label: 'latency p50', unit: 'ms', log: true },
  p95: { label: 'latency p95', unit: 'ms', log: true },
  p99: { label: 'latency p99', unit: 'ms', log: true },
  queries: { label: 'DB queries per request', unit: '', log: false },
  bytes: { label: 'bytes per response', unit: 'B', log: false },
  errors: { label: 'error rate', unit: '', log: false },
} as const;
export type SeriesMetric = keyof typeof SERIES_METRICS;

export function valueOf(p: Pick<HistoryPoint, 'p50' | 'p95' | 'p99' | 'queriesPerRequest' | 'bytesPerRequest' | 'errors' | 'requests'>, metric: SeriesMetric): number | null {
  switch (metric) {
    case 'queries':
      return p.queriesPerRequest;
    case 'bytes':
      return p.bytesPerRequest;
    case 'errors':
      return p.requests ? p.errors / p.requests : null;
    default:
      return p[metric];
  }
}

export function fingerprintOf(e: Environment | null | undefined): string {
  if (!e) return 'unknown';
  const pgPart = 'version' in e.postgres ? { version: e.postgres.version, settings: e.postgres.settings } : null;
  const stable = JSON.stringify({ node: e.node.split('.')[0], cpus: e.cpus, memoryGb: e.memoryGb, platform: e.platform, pg: pgPart });
  return createHash('sha256').update(stable).digest('hex').slice(0, 12);
}

const findingsOf = (s: ScenarioFile): HistoryFinding[] => [
  ...s.broken.map((o) => ({ severity: 'fail' as const, text: formatOutcome(o) })),
  ...(s.comparison?.findings ?? []).map((f) => ({ severity: f.severity === 'fail' ? ('fail' as const) : ('warn' as const), text: `against ${s.comparison!.against}: ${formatFinding(f)}` })),
  ...(s.probes ?? []).flatMap((p) => probeLines(p).map((l) => ({ severity: l.verdict === 'fail' ? ('fail' as const) : l.verdict === 'warn' ? ('warn' as const) : ('info' as const), text: l.text }))),
  ...(s.pg?.available ? s.pg.findings.map((f) => ({ severity: 'info' as const, text: f.message })) : []),
];

/**
 * The run of `files` (one run's scenarios: one RUN_ID). `code` and `at` come from the files
 * unless given (an import of files older than those fields names them).
 */
export function historyRunOf(files: ScenarioFile[], o: { source: string; code?: Partial<CodeOf>; at?: string }): HistoryRun {
  if (!files.length) throw new Error('a run to record needs at least one scenario result');
  const ids = [...new Set(files.map((f) => f.runId))];
  if (ids.length > 1) throw new Error(`the scenario results come from ${ids.length} runs (${ids.join(', ')}); record one run at a time`);
  const sorted = [...files].sort((a, b) => a.scenario.localeCompare(b.scenario));
  const fileCode = sorted.find((f) => f.code)?.code;
  const at =
    o.at ??
    sorted
      .map((f) => f.at)
      .filter((a): a is string => Boolean(a))
      .sort()
      .at(-1);
  if (!at) throw new Error(`the results of run ${ids[0]} do not say when they were made (older files): give the time (--at <ISO time>)`);
  const environment = sorted.find((f) => f.environment)?.environment ?? null;
  return {
    id: ids[0]!,
    code: { commit: o.code?.commit ?? fileCode?.commit ?? null, branch: o.code?.branch ?? fileCode?.branch ?? null, release: o.code?.release ?? fileCode?.release ?? null },
    at: new Date(at).toISOString(),
    fingerprint: fingerprintOf(environment),
    environment,
    dataset: [...new Set(sorted.map((f) => f.profile))].join(', '),
    verdict: sorted.some((f) => f.verdict !== 'passed') ? 'failed' : 'passed',
    source: o.source,
    scenarios: sorted.map((s) => ({ scenario: s.scenario, verdict: s.verdict, findings: findingsOf(s) })),
    points: sorted.flatMap((s) =>
      Object.entries(s.endpoints).map(([route, e]) => ({
        scenario: s.scenario,
        route,
        requests: e.requests,
        errors: e.errors,
        p50: e.latencyMs.p50,
        p95: e.latencyMs.p95,
        p99: e.latencyMs.p99,
        queriesPerRequest: e.dbQueriesPerRequest ? e.dbQueriesPerRequest.mean : null,
        bytesPerRequest: e.requests ? e.bytesPerRequest : null,
        dbP95: e.dbMs ? e.dbMs.p95 : null,
        histogram: s.raw.routes[route]?.latency ?? null,
      })),
    ),
  };
}
