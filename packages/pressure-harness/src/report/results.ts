/**
 * What a perf run leaves in perf-results/: one file per scenario (scenarios/<id>.json, written
 * by the perf fixture), statement statistics per worker (db/<run>-<worker>.json), and the run's
 * summary (summary.md, results.json) made from them, by the reporter after a run or by
 * `npm run perf:merge` from several shards' results.
 */
import type { SignalSummary } from '../load/signals.js';
import type { ClientHealth } from '../load/client-health.js';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Outcome } from '../budgets/define.js';
import type { SlowRequest } from '../load/engine.js';
import type { SerializedRoute } from '../load/serialize.js';
import type { Environment } from '../pg/environment.js';
import type { PgEvidence } from '../pg/evidence.js';
import type { Finding, ProbeResult, ScaleProbe } from '../compare/types.js';
import type { Delta, TimelinePoint } from './charts.js';
import type { EndpointRow } from './tables.js';

export const PERF_RESULTS = 'perf-results';

/** The code a run measured: git commit and branch, and its release tag if it has one. */
export type CodeOf = { commit: string | null; branch: string | null; release: string | null };

export type ScenarioFile = {
  version: 2;
  scenario: string;
  runId: string;
  shard: string | null;
  verdict: 'passed' | 'failed';
  profile: string;
  attempts: number;
  history: { attempt: number; failed: string[] }[];
  /** Every rule's outcome, as data (formatOutcome prints one). */
  outcomes: Outcome[];
  /** The gating failures that stand. */
  broken: Outcome[];
  /** Capabilities the backend lacked in this run: their metrics are n/a. */
  absent: string[];
  stats: Record<string, Record<string, number>>;
  raw: { routes: Record<string, SerializedRoute>; expected: number[]; singles: Record<string, number>; wallMs: number };
  endpoints: Record<string, EndpointRow>;
  timeline: TimelinePoint[];
  slowest: (SlowRequest & { logLines?: string[] })[];
  baseline: { tag: string; deltas: Delta[] } | null;
  details: Record<string, unknown>;
  /** Sections the scenario adds to the run's summary. */
  sections: SummarySection[];
  /** The load generator's event-loop lag while measuring (absent in files of older versions). */
  client?: ClientHealth;
  /** PostgreSQL's own statistics over the scenario (pg/evidence.ts); absent in older files. */
  pg?: PgEvidence;
  /** What the run ran on (pg/environment.ts); absent in older files. */
  environment?: Environment;
  /**
   * The backend's gauges over the scenario (GET METRICS_PATH every 200 ms, load/signals.ts):
   * per gauge, its mean and highest sample. Absent where the backend serves no Prometheus text.
   */
  signals?: Record<string, SignalSummary>;
  /** Which code ran, and when the scenario ended (the history store's keys); absent in older files. */
  code?: CodeOf;
  at?: string;
  /** Every metric against the baseline's recorded results (PERF_BASELINE), no rule written. */
  comparison?: { against: string; compared: number; tested: number; findings: Finding[]; improvements: Finding[] };
  /** The scenario's scale probes: its requests at two data sizes, every metric compared (compare/probe.ts). */
  probes?: ProbeResult[];
  /** How the result was assessed (results/assess.ts), so that a merge of shards assesses the whole the same way; absent in older files. */
  assessed?: { gate: boolean; probes: ScaleProbe[] };
};

/** What a comparison reads of a scenario's result: a run's file, or a baseline's saved result. */
export type Compared = Pick<ScenarioFile, 'scenario' | 'raw' | 'pg' | 'environment' | 'signals'>;

/** A scenario's own part of summary.md: a heading and Markdown under it. */
export type SummarySection = { title: string; markdown: string };

export type StatementDelta = { queryId: string; query: string; calls: number; totalMs: number; meanMs: number; rows: number };
export type DbFile = { runId: string; available: boolean; reason?: string; statements: StatementDelta[] };

export function readScenarioFiles(dir: string, runId?: string): ScenarioFile[] {
  const d = path.join(dir, 'scenarios');
  if (!existsSync(d)) return [];
  return readdirSync(d)
    .filter((f) => f.endsWith('.json'))
    .map((f) => {
      try {
        return JSON.parse(readFileSync(path.join(d, f), 'utf8')) as ScenarioFile;
      } catch (e) {
        throw new Error(`${path.join(d, f)} is not a scenario result: ${(e as Error).message}`);
      }
    })
    .filter((s) => s.version === 2 && (runId === undefined || s.runId === runId));
}

export function readDbFiles(dir: string, runId?: string): DbFile[] {
  const d = path.join(dir, 'db');
  if (!existsSync(d)) return [];
  return readdirSync(d)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(path.join(d, f), 'utf8')) as DbFile)
    .filter((f) => runId === undefined || f.runId === runId);
}

/** Statements of several workers or shards, summed per statement. */
export function mergeStatements(files: DbFile[]): { available: boolean; reason?: string; statements: StatementDelta[] } {
  const by = new Map<string, StatementDelta>();
  for (const f of files) {
    for (const s of f.statements) {
      const a = by.get(s.queryId);
      if (!a) by.set(s.queryId, { ...s });
      else {
        a.calls += s.calls;
        a.totalMs += s.totalMs;
        a.rows += s.rows;
        a.meanMs = a.totalMs / Math.max(1, a.calls);
      }
    }
  }
  const available = files.some((f) => f.available);
  return { available, ...(!available && files[0]?.reason && { reason: files[0].reason }), statements: [...by.values()].sort((a, b) => b.totalMs - a.totalMs) };
}

export function writeJson(file: string, value: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}
