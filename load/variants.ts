/**
 * Variants measured side by side: page 1 and page 500, a small tenant and a whale, cold and
 * warm. Their requests are interleaved (round robin) in one run, so whatever the machine does
 * meanwhile falls on every variant alike, and a ratio between two of them means the code, not
 * the moment it was measured in.
 */
import type { Measured } from '../budgets/define.js';
import { type Guards, type RequestSpec, runLoad, type RunResult } from './engine.js';
import { metricValues, routeSummary, scenarioMetrics } from './report.js';

export type VariantOptions = {
  baseUrl: string;
  concurrency: number;
  /** Requests per variant. */
  perVariant: number;
  maxRuntimeMs?: number;
  /** Statuses that are outcomes, not errors (409 for optimistic concurrency). */
  expected?: number[];
  observe?: Parameters<typeof runLoad>[0]['observe'];
};

/** The variants' requests; the route key of each is the variant's name. */
export async function runVariants(variants: Record<string, () => Omit<RequestSpec, 'route'>>, o: VariantOptions): Promise<{ run: RunResult; measured: Measured; table: Record<string, ReturnType<typeof routeSummary>> }> {
  const names = Object.keys(variants);
  let k = 0;
  const total = names.length * o.perVariant;
  const guards: Guards = { maxRps: 5000, maxConcurrency: o.concurrency, maxRequests: total, maxRuntimeMs: o.maxRuntimeMs ?? 120_000 };
  const run = await runLoad({
    baseUrl: o.baseUrl,
    connections: o.concurrency,
    shape: { model: 'closed', concurrency: o.concurrency, durationMs: guards.maxRuntimeMs },
    guards,
    observe: o.observe,
    next: () => {
      const name = names[k++ % names.length]!;
      return { route: name, ...variants[name]!() };
    },
  });
  return { run, ...measure(run, o.expected) };
}

/** Per-variant and whole-scenario ('*') budget values and report rows of one or more runs. */
export function measure(run: RunResult, expected?: number[]): { measured: Measured; table: Record<string, ReturnType<typeof routeSummary>> } {
  const measured: Measured = { '*': metricValues(scenarioMetrics(run), { expected }) };
  const table: Record<string, ReturnType<typeof routeSummary>> = {};
  for (const [name, m] of Object.entries(run.routes)) {
    measured[name] = metricValues(m, { expected });
    table[name] = routeSummary(m, run.wallMs);
  }
  return { measured, table };
}
