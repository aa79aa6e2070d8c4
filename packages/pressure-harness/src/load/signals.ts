/**
 * Backend signals: samples the backend's Prometheus metrics (GET METRICS_PATH) while a run goes, and
 * keeps them as time series, so a report can put the pool's waiting clients or the process's
 * memory next to the latency of the same seconds. Series sum a metric over its labels.
 */
import { performance } from 'node:perf_hooks';
import { request } from 'undici';

export type Sample = { t: number; values: Record<string, number> };

/** name{labels} value → the sum per name, for the names asked for. */
export function parsePrometheus(text: string, names: readonly string[]): Record<string, number> {
  const wanted = new Set(names);
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})?\s+([^\s]+)/.exec(line);
    if (!m || !wanted.has(m[1]!)) continue;
    const v = Number(m[2]);
    if (Number.isFinite(v)) out[m[1]!] = (out[m[1]!] ?? 0) + v;
  }
  return out;
}

export const DEFAULT_SIGNALS = [
  'db_pool_total_connections',
  'db_pool_waiting_clients',
  'http_requests_in_flight',
  'http_request_duration_seconds_count',
  'process_resident_memory_bytes',
  'nodejs_eventloop_lag_p99_seconds',
] as const;

/** `path`: where the backend serves Prometheus text (METRICS_PATH), relative to the base URL. A backend without it gives no samples: n/a, not zeros. */
export function sampleSignals(baseUrl: string, o: { everyMs?: number; names?: readonly string[]; path?: string } = {}): { stop: () => Promise<Sample[]> } {
  const started = performance.now();
  const samples: Sample[] = [];
  const names = o.names ?? DEFAULT_SIGNALS;
  let pending: Promise<void> | undefined;
  const take = () => {
    // Bounded: a backend that froze must not hold the run's end on its last sample.
    pending = request(`${baseUrl}${o.path ?? '/metrics'}`, { signal: AbortSignal.timeout(Math.max(2_000, 2 * (o.everyMs ?? 1000))) })
      .then(async (res) => {
        const text = await res.body.text();
        if (res.statusCode === 200) samples.push({ t: Math.round(performance.now() - started), values: parsePrometheus(text, names) });
      })
      .catch(() => {
        /* a missed sample is a gap in the series, not a failed run */
      });
  };
  take();
  const timer = setInterval(take, o.everyMs ?? 1000);
  return {
    // A last sample when the run ends: the series covers all of it, however the timer fell.
    stop: async () => {
      clearInterval(timer);
      await pending;
      take();
      await pending;
      return samples;
    },
  };
}
