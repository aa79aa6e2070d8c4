/** Turns the engine's metrics into budget inputs, and into the tables attached to the report. */
import type { Measured } from '../budgets/define.js';
import { evidenceSummary, evidenceValues, mergeEvidence } from '../metrics/evidence.js';
import type { MetricValues } from '../metrics/registry.js';
import type { RouteMetrics, RunResult } from './engine.js';
import { createHistogram, encode, type Histogram, percentileMs, summarize } from './histogram.js';

const addCounts = (into: Record<string, number>, from: Record<string, number>) => {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
};

/** Several routes' (or runs') metrics as one, histograms merged exactly. */
export function mergeRoutes(all: RouteMetrics[]): RouteMetrics {
  const latency = createHistogram();
  const service = createHistogram();
  const errorsByClass: Record<string, number> = {};
  const statuses: Record<string, number> = {};
  const slowest = all
    .flatMap((m) => m.slowest ?? [])
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 10);
  for (const m of all) {
    latency.add(m.latency);
    service.add(m.service);
    addCounts(errorsByClass, m.errorsByClass);
    addCounts(statuses, m.statuses);
  }
  const sum = (f: (m: RouteMetrics) => number) => all.reduce((a, m) => a + f(m), 0);
  return {
    latency,
    service,
    statuses,
    slowest,
    errorsByClass,
    evidence: mergeEvidence(all.map((m) => m.evidence)),
    requests: sum((m) => m.requests),
    errors: sum((m) => m.errors),
    bytes: sum((m) => m.bytes),
    maxBytes: Math.max(0, ...all.map((m) => m.maxBytes)),
  };
}

/** One scenario's metrics: every route of the run (or runs), merged exactly. */
export function scenarioMetrics(...runs: RunResult[]): RouteMetrics {
  return mergeRoutes(runs.flatMap((r) => Object.values(r.routes)));
}

const histogramValues = (h: Histogram, unit = 'ms'): MetricValues => {
  const s = summarize(h);
  return { percentile: (p) => percentileMs(h, p), max: s.max, min: s.min, mean: s.mean, count: s.count, unit };
};

/**
 * The budget metrics of a set of requests: the core ones, and every registered metric the
 * responses gave evidence for (none: absent, never 0). `expected` statuses (409 under optimistic
 * concurrency) are outcomes, not errors: they count toward conflict_rate instead of error_rate.
 */
export function metricValues(m: RouteMetrics, o: { expected?: number[] } = {}): Record<string, MetricValues> {
  const n = Math.max(1, m.requests);
  const expected = (o.expected ?? []).reduce((a, s) => a + (m.statuses[s] ?? 0), 0);
  const conflicts = m.statuses[409] ?? 0;
  const out: Record<string, MetricValues> = {
    latency_ms: histogramValues(m.latency),
    service_ms: histogramValues(m.service),
    bytes_per_req: { max: m.maxBytes, mean: m.bytes / n, count: m.requests, unit: 'B' },
    error_rate: { rate: (m.errors - expected) / n, count: m.errors - expected },
    conflict_rate: { rate: conflicts / n, count: conflicts },
  };
  for (const [name, e] of Object.entries(m.evidence)) {
    const v = evidenceValues(name, e);
    if (v) out[name] = v;
  }
  return out;
}

/** One endpoint's (or variant's) row in the report's table; `expected` statuses are not errors. Evidence the backend did not give is null (n/a). */
export function routeSummary(m: RouteMetrics, wallMs: number, expected: number[] = []) {
  const errorsByClass = Object.fromEntries(Object.entries(m.errorsByClass).filter(([k]) => !expected.some((s) => k === `4xx:${s}` || k === `5xx:${s}`)));
  const queries = evidenceSummary(m.evidence.db_queries_per_req);
  const extra: Record<string, MetricValues> = {};
  for (const [name, e] of Object.entries(m.evidence)) {
    if (name === 'db_queries_per_req' || name === 'db_ms') continue;
    const v = evidenceValues(name, e);
    if (v) extra[name] = v;
  }
  return {
    requests: m.requests,
    throughputPerSec: +(m.requests / Math.max(0.001, wallMs / 1000)).toFixed(1),
    errors: Object.values(errorsByClass).reduce((a, b) => a + b, 0),
    errorsByClass,
    ...(expected.length && { expectedOutcomes: Object.fromEntries(expected.map((s) => [s, m.statuses[s] ?? 0])) }),
    statuses: m.statuses,
    latencyMs: summarize(m.latency),
    serviceMs: summarize(m.service),
    /** null: the backend sent no Server-Timing db;dur. */
    dbMs: evidenceSummary(m.evidence.db_ms),
    /** null: the backend sent no X-DB-Query-Count. */
    dbQueriesPerRequest: queries && { max: queries.exactMax, mean: +queries.mean.toFixed(2) },
    bytesPerRequest: Math.round(m.bytes / Math.max(1, m.requests)),
    /** The suite's own metrics, by name: the headline figure of each (a ratio's rate, a sample's p95). */
    extra: Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, headline(v)])),
    histogram: encode(m.latency),
  };
}

/** One number for a table cell: a ratio's rate, else a sample's p95, else its max. */
function headline(v: MetricValues): { value: number; stat: string; unit: string } {
  if (v.rate !== undefined) return { value: +v.rate.toFixed(4), stat: 'rate', unit: v.unit ?? '' };
  if (v.percentile) return { value: +v.percentile(95).toFixed(3), stat: 'p(95)', unit: v.unit ?? '' };
  return { value: +(v.max ?? 0).toFixed(3), stat: 'max', unit: v.unit ?? '' };
}

/** A run's timeline for charts: per second, requests, errors, p50/p95/p99, and the load level. */
/** `unit`: what the level counts: users (closed model) or req/s (open model). */
export function timelineOf(r: RunResult, offsetMs = 0, level?: number, unit: 'users' | 'req/s' = 'users') {
  return r.timeline.map((s) => ({
    t: +((offsetMs + s.t * 1000) / 1000).toFixed(1),
    requests: s.requests,
    errors: s.errors,
    throttled: s.throttled,
    p50: percentileMs(s.latency, 50),
    p95: s.p95,
    p99: percentileMs(s.latency, 99),
    ...(level !== undefined && { level, levelUnit: unit }),
  }));
}

const STAT_LABELS = ['p(50)', 'p(90)', 'p(95)', 'p(99)', 'max', 'min', 'mean', 'rate', 'count'] as const;

/** Every stat of every measured metric, keyed as budgets name them: what a baseline stores. */
export function statsOf(measured: Measured): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const [variant, metrics] of Object.entries(measured)) {
    for (const [metric, v] of Object.entries(metrics)) {
      if (!v) continue;
      const stats: Record<string, number> = {};
      for (const l of STAT_LABELS) {
        const x = l.startsWith('p(') ? v.percentile?.(Number(l.slice(2, -1))) : v[l as 'max'];
        if (x !== undefined && Number.isFinite(x)) stats[l] = +x.toFixed(4);
      }
      out[variant === '*' ? metric : `${metric}@${variant}`] = stats;
    }
  }
  return out;
}

export { single } from '../metrics/registry.js';
