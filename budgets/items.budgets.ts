import { defineBudgets } from 'pressure-harness/budgets';
import '../fixtures/metrics.js';

/**
 * Item listing, walked deep. Keyset pages cost the same at any depth and in any project size:
 * page 500 at most 2x page 1, and page 1 of a 50,000-item project at most 2x that of a
 * 50-item one (both p95, lifted to a 5 ms floor so sub-millisecond jitter is not a ratio).
 * OFFSET paging is measured for comparison and only warns: it is expected to grow.
 */
export default defineBudgets(
  {
    'items.deep_pagination': {
      db_queries_per_req: ['max <= 3'],
      error_rate: ['rate == 0'],
      // A page is 50 summaries, about 13 KB: 32 KB leaves room for long titles, not for bodies.
      'bytes_per_req@keyset_page_500': ['max < 32768'],
      'latency_ms@keyset_page_500': ['p(95) < 100'],
      scaling: [
        'latency_ms p(95) keyset_page_500 / keyset_page_1 <= 2 floor 5',
        'latency_ms p(95) keyset_page_1 / small_project_page_1 <= 2 floor 5',
        { expr: 'latency_ms p(95) offset_page_500 / offset_page_1 <= 2 floor 5', strict: false },
      ],
      baseline: ['latency_ms@keyset_page_500 p(95) <= +50% or +3'],
    },
  },
  'budgets/items.budgets.ts',
);
