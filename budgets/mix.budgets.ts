import { defineBudgets } from 'pressure-harness/budgets';
import '../fixtures/metrics.js';

/**
 * The mixed workload: ramped until it bends (the knee is reported; it depends on the machine,
 * so it warns), and held for a soak (errors gate; drift and memory growth warn). What the design
 * promises of the database and the process gates too, read from PostgreSQL's statistics and
 * /metrics: writers do not queue on one lock, connections come from the pool, the audit log is
 * not written on the request path, and the heap stays bounded.
 */
export default defineBudgets(
  {
    'mix.ramp': {
      error_rate: ['rate <= 0.01'],
      knee: [{ expr: 'min >= 4', strict: false }],
      // Items and projects are written row by row: at saturation, writers wait on one another's
      // rows now and then (clean rounds here: 0.0 sessions on average), never on one lock.
      pg_lock_wait_sessions: ['max <= 1'],
      // A handful of connections a run (the pool's, the harness's), not one a request.
      pg_sessions_per_req: ['max <= 0.01'],
    },
    'mix.soak': {
      error_rate: ['rate == 0'],
      latency_ms: ['p(95) < 500'],
      p95_drift_ratio: [{ expr: 'max <= 2', strict: false }],
      memory_growth_mb: [{ expr: 'max <= 100', strict: false }],
      pg_sessions_per_req: ['max <= 0.01'],
      // An account's write drops its own dashboard, no other's: most dashboards of the soak come
      // from the cache (clean soaks here: 75% to 77%).
      cache_hit_ratio: ['rate >= 0.6'],
      // Only the test endpoints and the sweeper write it, off the request path.
      'pg_rows_written_per_req@public.audit_log': ['max <= 0.01'],
      // The heap's floor (its lowest sample: what the last collection left) under 100 MB: clean
      // soaks here leave 49 to 53 MB whenever collections come, where their peaks range 73 to 171.
      'gauge@nodejs_heap_size_used_bytes': ['min <= 104857600'],
    },
  },
  'budgets/mix.budgets.ts',
);
