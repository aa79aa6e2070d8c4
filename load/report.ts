/** Turns measured metrics into budget inputs and a report attachment. */
import type { MetricKey, MetricValues } from '../budgets/define.js';
import type { ScenarioMetrics } from './closed.js';
import { encode, percentileMs, summarize } from './histogram.js';

export function metricValues(m: ScenarioMetrics): Partial<Record<MetricKey, MetricValues>> {
  const latency = summarize(m.latency);
  return {
    latency_ms: { percentile: (p) => percentileMs(m.latency, p), max: latency.max, min: latency.min, mean: latency.mean, count: latency.count, unit: 'ms' },
    db_queries_per_req: { max: m.maxQueries, mean: m.dbQueries.mean, percentile: (p) => m.dbQueries.getValueAtPercentile(p), count: m.dbQueries.totalCount },
    bytes_per_req: { max: m.maxBytes, mean: m.bytes / Math.max(1, m.requests), unit: 'B' },
    error_rate: { rate: m.errors / Math.max(1, m.requests), count: m.errors },
  };
}

export function scenarioResult(id: string, m: ScenarioMetrics) {
  return {
    scenario: id,
    timing: 'from sending the request to the last byte of the response, on a kept-alive connection (closed model)',
    requests: m.requests,
    throughputPerSec: +(m.requests / (m.wallMs / 1000)).toFixed(1),
    errors: m.errors,
    errorsByClass: m.errorsByClass,
    latencyMs: summarize(m.latency),
    dbQueriesPerRequest: { max: m.maxQueries, mean: +m.dbQueries.mean.toFixed(2) },
    bytesPerRequest: Math.round(m.bytes / Math.max(1, m.requests)),
    histogram: encode(m.latency),
  };
}
