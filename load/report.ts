/** Turns the engine's metrics into budget inputs, and into the tables attached to the report. */
import type { MetricKey, MetricValues, Measured } from '../budgets/define.js';
import type { RouteMetrics, RunResult } from './engine.js';
import { createHistogram, encode, type Histogram, percentileMs, summarize } from './histogram.js';

const addCounts = (into: Record<string, number>, from: Record<string, number>) => {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
};

/** Several routes' (or runs') metrics as one, histograms merged exactly. */
export function mergeRoutes(all: RouteMetrics[]): RouteMetrics {
  const latency = createHistogram();
  const service = createHistogram();
  const dbMs = createHistogram();
  const lockMs = createHistogram();
  const errorsByClass: Record<string, number> = {};
  const cache: Record<string, number> = {};
  const statuses: Record<string, number> = {};
  const slowest = all.flatMap((m) => m.slowest ?? []).sort((a, b) => b.ms - a.ms).slice(0, 10);
  for (const m of all) {
    latency.add(m.latency);
    service.add(m.service);
    dbMs.add(m.dbMs);
    lockMs.add(m.lockMs);
    addCounts(errorsByClass, m.errorsByClass);
    addCounts(cache, m.cache);
    addCounts(statuses, m.statuses);
  }
  const sum = (f: (m: RouteMetrics) => number) => all.reduce((a, m) => a + f(m), 0);
  return {
    latency,
    service,
    dbMs,
    lockMs,
    cache,
    statuses,
    slowest,
    errorsByClass,
    requests: sum((m) => m.requests),
    errors: sum((m) => m.errors),
    bytes: sum((m) => m.bytes),
    maxBytes: Math.max(0, ...all.map((m) => m.maxBytes)),
    dbQueries: { max: Math.max(0, ...all.map((m) => m.dbQueries.max)), total: sum((m) => m.dbQueries.total), counted: sum((m) => m.dbQueries.counted) },
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

/** Cache results from X-Cache: hits (incl. coalesced waits) over lookups; misses per fragment. */
export function cacheStats(m: RouteMetrics): { lookups: number; hits: number; hitRatio: number | null; missesByFragment: Record<string, number> } {
  let lookups = 0;
  let hits = 0;
  const missesByFragment: Record<string, number> = {};
  for (const [k, n] of Object.entries(m.cache)) {
    const [fragment, result] = k.split('=');
    lookups += n;
    if (result === 'hit' || result === 'coalesced') hits += n;
    if (result === 'miss' || result === 'bypass') missesByFragment[fragment!] = (missesByFragment[fragment!] ?? 0) + n;
  }
  return { lookups, hits, hitRatio: lookups ? hits / lookups : null, missesByFragment };
}

/**
 * The budget metrics of a set of requests. `expected` statuses (409 for optimistic concurrency)
 * are outcomes, not errors: they count toward conflict_rate instead of error_rate.
 */
export function metricValues(m: RouteMetrics, o: { expected?: number[] } = {}): Partial<Record<MetricKey, MetricValues>> {
  const n = Math.max(1, m.requests);
  const expected = (o.expected ?? []).reduce((a, s) => a + (m.statuses[s] ?? 0), 0);
  const conflicts = m.statuses[409] ?? 0;
  const cache = cacheStats(m);
  const out: Partial<Record<MetricKey, MetricValues>> = {
    latency_ms: histogramValues(m.latency),
    db_queries_per_req: { max: m.dbQueries.max, mean: m.dbQueries.total / Math.max(1, m.dbQueries.counted), count: m.dbQueries.counted },
    bytes_per_req: { max: m.maxBytes, mean: m.bytes / n, unit: 'B' },
    error_rate: { rate: (m.errors - expected) / n, count: m.errors - expected },
    conflict_rate: { rate: conflicts / n, count: conflicts },
  };
  if (m.lockMs.totalCount > 0) out.lock_wait_ms = histogramValues(m.lockMs);
  if (cache.lookups > 0) {
    out.cache_hit_ratio = { rate: cache.hitRatio!, mean: cache.hitRatio!, count: cache.lookups };
    const misses = Object.values(cache.missesByFragment);
    out.recomputations = { max: Math.max(0, ...misses), count: misses.reduce((a, b) => a + b, 0) };
  }
  return out;
}

/** One endpoint's (or variant's) row in the report's table; `expected` statuses are not errors. */
export function routeSummary(m: RouteMetrics, wallMs: number, expected: number[] = []) {
  const cache = cacheStats(m);
  const errorsByClass = Object.fromEntries(Object.entries(m.errorsByClass).filter(([k]) => !expected.some((s) => k === `4xx:${s}` || k === `5xx:${s}`)));
  return {
    requests: m.requests,
    throughputPerSec: +(m.requests / Math.max(0.001, wallMs / 1000)).toFixed(1),
    errors: Object.values(errorsByClass).reduce((a, b) => a + b, 0),
    errorsByClass,
    ...(expected.length && { expectedOutcomes: Object.fromEntries(expected.map((s) => [s, m.statuses[s] ?? 0])) }),
    statuses: m.statuses,
    latencyMs: summarize(m.latency),
    serviceMs: summarize(m.service),
    dbMs: summarize(m.dbMs),
    ...(m.lockMs.totalCount > 0 && { lockMs: summarize(m.lockMs) }),
    dbQueriesPerRequest: { max: m.dbQueries.max, mean: +(m.dbQueries.total / Math.max(1, m.dbQueries.counted)).toFixed(2) },
    bytesPerRequest: Math.round(m.bytes / Math.max(1, m.requests)),
    cacheHitRatio: cache.hitRatio === null ? null : +cache.hitRatio.toFixed(3),
    histogram: encode(m.latency),
  };
}

/** A run's timeline for charts: per second, requests, errors, p50/p95/p99, and the load level. */
export function timelineOf(r: RunResult, offsetMs = 0, level?: number) {
  return r.timeline.map((s) => ({
    t: +((offsetMs + s.t * 1000) / 1000).toFixed(1),
    requests: s.requests,
    errors: s.errors,
    throttled: s.throttled,
    p50: percentileMs(s.latency, 50),
    p95: s.p95,
    p99: percentileMs(s.latency, 99),
    ...(level !== undefined && { level }),
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

/** A plain number as a metric: for values a scenario computes itself (drift, knee, SLA). */
export const single = (value: number, unit = ''): MetricValues => ({ max: value, min: value, mean: value, rate: value, count: value, percentile: () => value, unit });
