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

export type BurstOptions = {
  baseUrl: string;
  /** Requests a second, started on schedule whatever the backend answers (open model). */
  rate: number;
  seconds: number;
  /** Sockets to send them on. Default 8. */
  connections?: number;
  next: () => RequestSpec;
  observe?: Parameters<typeof runLoad>[0]['observe'];
};

/**
 * A burst of writes at a fixed rate: latency counted from each request's intended start, so a
 * backend that falls behind shows it. The guards follow from the rate: rate × seconds requests at
 * most, within seconds + 10 s; and a rate guard at twice the rate, because one at the rate itself
 * holds sends back by its 25 ms window margin, and the client's own queue would count as the
 * backend's latency.
 */
export function runBurst(o: BurstOptions): Promise<RunResult> {
  return runLoad({
    baseUrl: o.baseUrl,
    connections: o.connections ?? 8,
    shape: { model: 'open', rate: o.rate, durationMs: o.seconds * 1000 },
    guards: { maxRps: o.rate * 2, maxConcurrency: 32, maxRequests: o.rate * o.seconds, maxRuntimeMs: o.seconds * 1000 + 10_000 },
    next: o.next,
    ...(o.observe && { observe: o.observe }),
  });
}
