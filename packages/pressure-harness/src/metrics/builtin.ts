/**
 * The metrics any HTTP backend can show. The engine computes the core ones from every response;
 * the evidence ones are read from the contract's headers and are absent (n/a) for a backend that
 * does not send them. A suite adds its own with defineMetric (see fixtures/metrics.ts of app/'s suite).
 */
import { defineMetric, header, serverTiming } from './registry.js';

export const latencyMs = defineMetric({ kind: 'core', name: 'latency_ms', unit: 'ms', noisy: true, description: 'from the intended start to the last byte (corrected for coordinated omission)' });
export const serviceMs = defineMetric({ kind: 'core', name: 'service_ms', unit: 'ms', noisy: true, description: 'from the actual send to the last byte: service time as the client saw it' });
export const bytesPerReq = defineMetric({ kind: 'core', name: 'bytes_per_req', unit: 'B', noisy: false, description: 'response body bytes' });
export const errorRate = defineMetric({
  kind: 'core',
  name: 'error_rate',
  unit: '',
  noisy: false,
  description: 'share of requests that failed (4xx, 5xx, timeout, network), expected statuses excluded',
});
export const conflictRate = defineMetric({ kind: 'core', name: 'conflict_rate', unit: '', noisy: false, description: 'share of requests answered 409 Conflict' });

export const dbQueriesPerReq = defineMetric({
  kind: 'sample',
  name: 'db_queries_per_req',
  unit: '',
  noisy: false,
  capability: 'queryCount',
  description: 'database queries per request, from the X-DB-Query-Count header',
  read: (res) => {
    const v = header(res, 'x-db-query-count');
    return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
  },
});

export const dbMs = defineMetric({
  kind: 'sample',
  name: 'db_ms',
  unit: 'ms',
  noisy: true,
  capability: 'serverTiming',
  description: 'time in the database per request, from Server-Timing db;dur',
  read: (res) => serverTiming(res, 'db'),
});

export const knee = defineMetric({ kind: 'single', name: 'knee', unit: '', noisy: true, lowerIsWorse: true, description: 'the highest load level of a ramp that met its thresholds' });
export const p95DriftRatio = defineMetric({ kind: 'single', name: 'p95_drift_ratio', unit: '', noisy: true, description: "a soak's p95 in its last stretch over its first" });
export const memoryGrowthMb = defineMetric({
  kind: 'single',
  name: 'memory_growth_mb',
  unit: 'MB',
  noisy: true,
  capability: 'metrics',
  description: "growth of the backend's resident memory over a soak, from its /metrics",
});

/*
 * Figures of PostgreSQL's own evidence and of the backend's gauges, which budgets may name like
 * any metric (report/figures.ts derives them per scenario). n/a without the capability behind them.
 */
export const pgRowsWrittenPerReq = defineMetric({
  kind: 'single',
  name: 'pg_rows_written_per_req',
  unit: 'rows',
  noisy: false,
  capability: 'database',
  description: 'rows inserted, updated and deleted per request (pg_stat_user_tables; @<schema.table> for one table, partitions under their root)',
});
export const pgSessionsPerReq = defineMetric({
  kind: 'single',
  name: 'pg_sessions_per_req',
  unit: 'sessions',
  noisy: false,
  capability: 'database',
  description: 'database sessions opened per request (pg_stat_database, PostgreSQL 14+): a pooled backend opens almost none',
});
export const pgLockWaitSessions = defineMetric({
  kind: 'single',
  name: 'pg_lock_wait_sessions',
  unit: 'sessions',
  noisy: true,
  capability: 'database',
  description: 'average sessions waiting on a lock (pg_stat_activity sampled, Lock:* wait events)',
});
export const gauge = defineMetric({
  kind: 'single',
  name: 'gauge',
  unit: '',
  noisy: true,
  capability: 'metrics',
  description: "a gauge of the backend's /metrics over the scenario, @<gauge name>: mean and max of its samples",
});
