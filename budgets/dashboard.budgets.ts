import { defineBudgets } from './define.js';

/**
 * Query counts and errors gate (stable on any machine); latency limits are generous on
 * purpose until baselines per release land (a noisy 2-core CI box must not cry wolf).
 */
export default defineBudgets(
  {
    'dashboard.hydrate': {
      latency_ms: ['p(95) < 250', { expr: 'p(99.9) < 1000', strict: false }],
      db_queries_per_req: ['max <= 4'],
      error_rate: ['rate == 0'],
      bytes_per_req: ['max < 65536'],
    },
  },
  'budgets/dashboard.budgets.ts',
);
