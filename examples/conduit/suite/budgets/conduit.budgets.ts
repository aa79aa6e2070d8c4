import { defineBudgets } from 'pressure-harness/budgets';

/**
 * conduit sends no query-count header: db_queries_per_req rules are skipped as n/a (the capability
 * table says why) instead of passing on a 0 nobody measured. Latency ceilings are generous for a
 * busy 2-core box; growth with data size is what gates.
 */
export default defineBudgets(
  {
    'articles.whale_feed': {
      latency_ms: ['p(95) < 150'],
      error_rate: ['rate == 0'],
      db_queries_per_req: ['max <= 3'],
      scaling: ['latency_ms p(95) whale / small <= 3 floor 5'],
    },
    'articles.deep_pagination': {
      error_rate: ['rate == 0'],
      'latency_ms@page_1': ['p(95) < 100'],
      // OFFSET reads and throws away every row before the page: deep pages may cost more, within reason.
      scaling: ['latency_ms p(95) deep / page_1 <= 4 floor 5'],
    },
    'comments.burst_writes': {
      error_rate: ['rate == 0'],
      latency_ms: ['p(95) < 250'],
      bytes_per_req: ['max < 2048'],
    },
  },
  'examples/conduit/suite/budgets/conduit.budgets.ts',
);
