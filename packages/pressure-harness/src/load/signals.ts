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

/**
 * Every gauge the text declares (`# TYPE name gauge`), summed over its labels: what a backend says
 * of its state right now (pool in use and waiting, in-flight, memory, event-loop lag), whatever it
 * names them. Counters and histograms are left out: their totals say nothing of a moment.
 */
export function parseGauges(text: string, max = 60): Record<string, number> {
  const gauges = [...text.matchAll(/^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) gauge$/gm)].map((m) => m[1]!).slice(0, max);
  return parsePrometheus(text, gauges);
}

/**
 * A signal over one scenario: its mean, its highest sample, and its lowest (absent in files of
 * older versions): of a heap, what the last collection left, the floor a leak raises and a
 * collection that came or did not leaves where it was.
 */
export type SignalSummary = { mean: number; max: number; min?: number; samples: number };

/**
 * A value that means "no data", not a measurement: 2^63 ns in seconds, what a Node client's
 * event-loop delay histogram (perf_hooks, which prom-client reads) reports as its min and max
 * when it has recorded nothing since its last reset. Taken as a sample, one such reading made a
 * clean round's event-loop lag "×14 to ×31" of the other's.
 */
const NO_DATA = 9_223_372_036.854_776;
/** A reading that measures something: finite, and not the no-data mark. */
const measured = (v: number) => Number.isFinite(v) && Math.abs(v) < NO_DATA;

/** Samples → per signal, mean, max and min over the samples that carry it (non-finite and no-data values left out). */
export function summarizeSignals(samples: readonly Sample[]): Record<string, SignalSummary> {
  const out: Record<string, SignalSummary> = {};
  for (const { values } of samples) {
    for (const [k, v] of Object.entries(values)) {
      if (!measured(v)) continue;
      const s = (out[k] ??= { mean: 0, max: -Infinity, min: Infinity, samples: 0 });
      s.mean += (v - s.mean) / ++s.samples;
      s.max = Math.max(s.max, v);
      s.min = Math.min(s.min!, v);
    }
  }
  for (const s of Object.values(out)) s.mean = +s.mean.toPrecision(6);
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

/**
 * `path`: where the backend serves Prometheus text (METRICS_PATH), relative to the base URL. A
 * backend without it gives no samples: n/a, not zeros. `names: 'gauges'` keeps every gauge.
 */
export function sampleSignals(baseUrl: string, o: { everyMs?: number; names?: readonly string[] | 'gauges'; path?: string } = {}): { stop: () => Promise<Sample[]> } {
  const started = performance.now();
  const samples: Sample[] = [];
  const names = o.names ?? DEFAULT_SIGNALS;
  const parse = (text: string) => (names === 'gauges' ? parseGauges(text) : parsePrometheus(text, names));
  let pending: Promise<void> | undefined;
  const take = () => {
    // Bounded: a backend that froze must not hold the run's end on its last sample.
    pending = request(`${baseUrl}${o.path ?? '/metrics'}`, { signal: AbortSignal.timeout(Math.max(2_000, 2 * (o.everyMs ?? 1000))) })
      .then(async (res) => {
        const text = await res.body.text();
        if (res.statusCode === 200) samples.push({ t: Math.round(performance.now() - started), values: parse(text) });
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

/** The mean of each gauge while the load held each level (a ramp's steps), in order of the levels' first appearance. */
export function gaugesByLevel(samples: readonly Sample[], timeline: readonly { t: number; level?: number }[]): { level: number; values: Record<string, number> }[] {
  const points = timeline.filter((p): p is { t: number; level: number } => p.level !== undefined);
  if (!points.length) return [];
  const sums = new Map<number, Map<string, { sum: number; n: number }>>();
  for (const { t, values } of samples) {
    // The level of the timeline second this sample fell in: a point at t covers [t, t + 1) seconds from the run's start.
    const at = t / 1000;
    const p = points.reduce((best, q) => (q.t <= at && q.t > best.t ? q : best), points[0]!);
    const m = sums.get(p.level) ?? new Map<string, { sum: number; n: number }>();
    for (const [k, v] of Object.entries(values)) {
      if (!measured(v)) continue;
      const a = m.get(k) ?? { sum: 0, n: 0 };
      a.sum += v;
      a.n += 1;
      m.set(k, a);
    }
    sums.set(p.level, m);
  }
  const order = [...new Set(points.map((p) => p.level))].filter((l) => sums.has(l)).sort((a, b) => a - b);
  return order.map((level) => ({ level, values: Object.fromEntries([...sums.get(level)!].map(([k, a]) => [k, +(a.sum / a.n).toPrecision(4)])) }));
}

/**
 * What saturated: the gauges that rose the most from the lowest level to the highest, by ratio
 * (lifted by a twentieth of the highest value, so that 0 → 40 waiting clients is a rise and 0 →
 * 0.001 is not), at least ×`minRatio`. Memory is left out: it grows with the requests served,
 * not with the load held. A pool's waiting clients, requests in flight, an event loop's lag or a
 * queue's depth is what a backend at its knee shows, whatever it names them.
 */
export function risingWithLoad(
  byLevel: ReturnType<typeof gaugesByLevel>,
  o: { minRatio?: number; max?: number } = {},
): { gauge: string; from: number; to: number; lowLevel: number; highLevel: number }[] {
  if (byLevel.length < 2) return [];
  const [low, high] = [byLevel[0]!, byLevel.at(-1)!];
  return Object.keys(high.values)
    .filter((g) => g in low.values && !/memory|heap|_bytes$/.test(g))
    .map((g) => {
      const [from, to] = [low.values[g]!, high.values[g]!];
      const lift = Math.max(Math.abs(to), Math.abs(from)) / 20 || 1e-9;
      return { gauge: g, from, to, lowLevel: low.level, highLevel: high.level, ratio: (to + lift) / (from + lift) };
    })
    .filter((x) => x.ratio >= (o.minRatio ?? 2))
    .sort((a, b) => b.ratio - a.ratio)
    .slice(0, o.max ?? 5)
    .map(({ ratio: _ratio, ...x }) => x);
}
