import { defineBudgets } from 'pressure-harness/budgets';
import '../fixtures/metrics.js';

/**
 * Writes that enqueue background work, and writes that contend for one row. The queue's SLA:
 * every job done within 10 s of its write, and the queue empty again by then. The hot entity:
 * no lost update (asserted by the test), and taking its row lock stays short.
 */
export default defineBudgets(
  {
    'jobs.burst_writes': {
      jobs_incomplete: ['max == 0'],
      queue_depth_final: ['max == 0'],
      job_completion_ms: ['p(95) <= 10000'],
      error_rate: ['rate == 0'],
      db_queries_per_req: ['max <= 4'],
      latency_ms: ['p(95) < 250'],
      baseline: ['job_completion_ms p(95) <= +100% or +1000'],
    },
    'projects.hot_update': {
      lock_wait_ms: ['p(95) <= 50'],
      error_rate: ['rate == 0'],
      latency_ms: ['p(95) < 250'],
      conflict_rate: [{ expr: 'rate <= 0.9', strict: false }],
      // Eight writers, a pool of 20: none waits for a connection.
      'gauge@db_pool_waiting_clients': ['max <= 2'],
      baseline: ['latency_ms p(95) <= +50% or +5'],
    },
  },
  'budgets/async.budgets.ts',
);
