/** Turns the engine's metrics into budget inputs and the JSON attached to the report. */
import type { MetricKey, MetricValues } from '../budgets/define.js';
import type { RouteMetrics, RunResult } from './engine.js';
import { createHistogram, encode, percentileMs, summarize } from './histogram.js';

/** One scenario's metrics: every route of the run, merged exactly. */
export function scenarioMetrics(r: RunResult): RouteMetrics {
  const all = Object.values(r.routes);
  const latency = createHistogram();
  const service = createHistogram();
  const dbMs = createHistogram();
  for (const m of all) {
    latency.add(m.latency);
    service.add(m.service);
    dbMs.add(m.dbMs);
  }
  const sum = (f: (m: RouteMetrics) => number) => all.reduce((a, m) => a + f(m), 0);
  const errorsByClass: Record<string, number> = {};
  for (const m of all) for (const [k, v] of Object.entries(m.errorsByClass)) errorsByClass[k] = (errorsByClass[k] ?? 0) + v;
  return {
    latency,
    service,
    dbMs,
    requests: sum((m) => m.requests),
    errors: sum((m) => m.errors),
    errorsByClass,
    bytes: sum((m) => m.bytes),
    maxBytes: Math.max(0, ...all.map((m) => m.maxBytes)),
    dbQueries: { max: Math.max(0, ...all.map((m) => m.dbQueries.max)), total: sum((m) => m.dbQueries.total), counted: sum((m) => m.dbQueries.counted) },
  };
}

export function metricValues(m: RouteMetrics): Partial<Record<MetricKey, MetricValues>> {
  const latency = summarize(m.latency);
  const n = Math.max(1, m.requests);
  return {
    latency_ms: { percentile: (p) => percentileMs(m.latency, p), max: latency.max, min: latency.min, mean: latency.mean, count: latency.count, unit: 'ms' },
    db_queries_per_req: { max: m.dbQueries.max, mean: m.dbQueries.total / Math.max(1, m.dbQueries.counted), count: m.dbQueries.counted },
    bytes_per_req: { max: m.maxBytes, mean: m.bytes / n, unit: 'B' },
    error_rate: { rate: m.errors / n, count: m.errors },
  };
}

export function scenarioResult(id: string, r: RunResult) {
  const m = scenarioMetrics(r);
  return {
    scenario: id,
    timing: 'latency: from each request\'s intended start to the last byte of its body (corrected for coordinated omission); service: from the actual send; kept-alive connections',
    stoppedBy: r.stoppedBy,
    requests: m.requests,
    throughputPerSec: +(m.requests / (r.wallMs / 1000)).toFixed(1),
    errors: m.errors,
    errorsByClass: m.errorsByClass,
    latencyMs: summarize(m.latency),
    serviceMs: summarize(m.service),
    dbMs: summarize(m.dbMs),
    dbQueriesPerRequest: { max: m.dbQueries.max, mean: +(m.dbQueries.total / Math.max(1, m.dbQueries.counted)).toFixed(2) },
    bytesPerRequest: Math.round(m.bytes / Math.max(1, m.requests)),
    routes: Object.fromEntries(Object.entries(r.routes).map(([route, rm]) => [route, { requests: rm.requests, errors: rm.errors, latencyMs: summarize(rm.latency), histogram: encode(rm.latency) }])),
    histogram: encode(m.latency),
  };
}
