/**
 * A synthetic nightly history, deterministic from its seed: 60 nights of three series, as the
 * history store records them.
 *   demo.step  GET /v1/items    flat, then 15% slower from night 40 on (a planted step)
 *   demo.creep GET /v1/search   3% slower every night (a creep no pairwise comparison fails)
 *   demo.flat  GET /v1/health   flat
 * Each night's value is off by a log-normal error of 4%, a CI runner's night-to-night spread.
 */
import { createHash } from 'node:crypto';
import type { HistoryRun, SeriesRow } from 'pressure-harness/history';
import { normals } from './random.js';

export const NIGHTS = 60;
export const STEP_NIGHT = 40;
const NOISE = 0.04;
const FIRST_NIGHT = Date.parse('2026-09-01T02:17:00Z');

export const SERIES = {
  step: { scenario: 'demo.step', route: 'GET /v1/items', level: (night: number) => (night >= STEP_NIGHT ? 1.15 : 1), ms: 40 },
  creep: { scenario: 'demo.creep', route: 'GET /v1/search', level: (night: number) => 1.03 ** night, ms: 25 },
  flat: { scenario: 'demo.flat', route: 'GET /v1/health', level: () => 1, ms: 3 },
} as const;

export const commitOfNight = (night: number) => createHash('sha1').update(`night ${night}`).digest('hex');
export const runIdOfNight = (night: number) => `nightly-${String(night).padStart(3, '0')}`;

/** Night `night` (1-based) as a recorded run. */
export function syntheticRun(night: number, seed = 'history'): HistoryRun {
  const z = normals(`${seed}:${night}`);
  const points = Object.values(SERIES).map((s) => {
    const p50 = s.ms * s.level(night) * Math.exp(NOISE * z());
    return { scenario: s.scenario, route: s.route, requests: 400, errors: 0, p50, p95: p50 * 1.8, p99: p50 * 2.6, queriesPerRequest: 3, bytesPerRequest: 1200, dbP95: p50 * 0.6, histogram: null };
  });
  return {
    id: runIdOfNight(night),
    code: { commit: commitOfNight(night), branch: 'main', release: null },
    at: new Date(FIRST_NIGHT + (night - 1) * 86_400_000).toISOString(),
    fingerprint: 'synthetic',
    environment: null,
    dataset: 'small',
    verdict: 'passed',
    source: 'synthetic history',
    scenarios: Object.values(SERIES).map((s) => ({ scenario: s.scenario, verdict: 'passed' as const, findings: [] })),
    points,
  };
}

export const syntheticHistory = (seed = 'history') => Array.from({ length: NIGHTS }, (_, k) => syntheticRun(k + 1, seed));

/** One series of a synthetic history as the store returns it (oldest first), without a store. */
export function seriesRows(runs: HistoryRun[], scenario: string): SeriesRow[] {
  return runs.map((r) => {
    const p = r.points.find((x) => x.scenario === scenario)!;
    return { ...p, runId: r.id, commit: r.code.commit, branch: r.code.branch, at: r.at, fingerprint: r.fingerprint, dataset: r.dataset };
  });
}
