import { defineBudgets } from 'pressure-harness/budgets';
import '../fixtures/metrics.js';

/**
 * The mixed workload: ramped until it bends (the knee is reported; it depends on the machine,
 * so it warns), and held for a soak (errors gate; drift and memory growth warn).
 */
export default defineBudgets(
  {
    'mix.ramp': {
      error_rate: ['rate <= 0.01'],
      knee: [{ expr: 'min >= 4', strict: false }],
    },
    'mix.soak': {
      error_rate: ['rate == 0'],
      latency_ms: ['p(95) < 500'],
      p95_drift_ratio: [{ expr: 'max <= 2', strict: false }],
      memory_growth_mb: [{ expr: 'max <= 100', strict: false }],
    },
  },
  'budgets/mix.budgets.ts',
);
