/**
 * Variants measured side by side: page 1 and page 500, a small tenant and a whale, cold and
 * warm. Their requests are interleaved (round robin) in one run, so whatever the machine does
 * meanwhile falls on every variant alike, and a ratio between two of them means the code, not
 * the moment it was measured in. The route key of each request is its variant's name.
 */
import { type Guards, type RequestSpec, runLoad, type RunResult } from './engine.js';

export type VariantOptions = {
  baseUrl: string;
  concurrency: number;
  /** Requests per variant. */
  perVariant: number;
  maxRuntimeMs?: number;
  observe?: Parameters<typeof runLoad>[0]['observe'];
};

export async function runVariants(variants: Record<string, () => Omit<RequestSpec, 'route'>>, o: VariantOptions): Promise<RunResult> {
  const names = Object.keys(variants);
  let k = 0;
  const guards: Guards = { maxRps: 5000, maxConcurrency: o.concurrency, maxRequests: names.length * o.perVariant, maxRuntimeMs: o.maxRuntimeMs ?? 120_000 };
  return runLoad({
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
}
