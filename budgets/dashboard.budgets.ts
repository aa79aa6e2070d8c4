import { defineBudgets } from 'pressure-harness/budgets';
import '../fixtures/metrics.js';

/**
 * The dashboard: its query count is constant in the account's size (a whale costs what a small
 * tenant costs), warm reads come from the cache, and a cold whale under a burst is computed once.
 * Counts and ratios gate; latency limits are generous ceilings (a noisy 2-core box must not cry
 * wolf) and tighter relative to the release baseline.
 */
export default defineBudgets(
  {
    'dashboard.hydrate': {
      'db_queries_per_req@ordinary_cold': ['max <= 4'],
      'db_queries_per_req@whale_cold': ['max <= 4'],
      'cache_hit_ratio@ordinary_warm': ['rate >= 0.9'],
      'cache_hit_ratio@whale_warm': ['rate >= 0.9'],
      'latency_ms@whale_cold': ['p(95) < 250'],
      latency_ms: ['p(99) < 500', { expr: 'p(99.9) < 1000', strict: false }],
      error_rate: ['rate == 0'],
      bytes_per_req: ['max < 131072'],
      scaling: ['db_queries_per_req max whale_cold / ordinary_cold <= 1'],
      baseline: ['latency_ms@whale_cold p(95) <= +50% or +5', 'latency_ms@ordinary_warm p(95) <= +50% or +3'],
    },
    'dashboard.stampede': {
      // Per fragment, per cold burst: one computation, however many clients wait for it.
      recomputations: ['max <= 1'],
      latency_ms: ['p(99) < 1000'],
      error_rate: ['rate == 0'],
      baseline: ['latency_ms p(99) <= +50% or +10'],
    },
  },
  'budgets/dashboard.budgets.ts',
);
