/**
 * The metric registry (after k6's metrics/registry.go): every metric a budget, a table or a
 * chart may name is registered here once, typed, with its unit and whether it is noisy. The
 * harness registers what any HTTP backend can show (metrics/builtin.ts); a suite
 * registers what its own backend reports (app/'s cache hits, lock time, job figures), so generic
 * code never holds a closed list of one backend's words.
 *
 * Three kinds:
 *   sample   a number per response, read from it by `read` (a header, usually): kept as an HDR
 *            histogram plus exact min/max/sum, so `p(95)` and `max <= 6` both mean what they say.
 *   tally    labels per response (`X-Cache: projects=hit,items=miss`), counted per label;
 *            `derive` turns the counts into values (a hit ratio, the most misses of a fragment).
 *   single   one number a scenario computes itself (a knee, a drift, a queue's backlog).
 *
 * A response that does not carry the evidence gives `undefined`: no evidence, never a zero.
 * A metric with no evidence in a run is absent ("n/a") in every table, chart and budget.
 */
export type ResponseView = { status: number; headers: Record<string, string | string[] | undefined> };

/** What a metric measured, for the stats the budget grammar knows. */
export type MetricValues = {
  percentile?: (p: number) => number;
  max?: number;
  min?: number;
  mean?: number;
  rate?: number;
  count?: number;
  unit?: string;
  /** No value, and why: evidence that exists but cannot speak for this scenario (a window too short). */
  na?: string;
};

type Common = {
  /** snake_case with the unit last: `latency_ms`, `db_queries_per_req`, `cache_hit_ratio`. */
  name: string;
  unit: string;
  /** Moves with the machine's load (latency-type): judged with repeats and statistics, never on one sample. */
  noisy: boolean;
  /** For a merge of shards or attempts: whether the lower value is the worse one (a hit ratio, a knee). */
  lowerIsWorse?: boolean;
  /** One sentence: what it is, and where the evidence comes from (shown where it is n/a). */
  description: string;
  /** The backend capability it needs (a capability id of lifecycle/capabilities.ts), if any. */
  capability?: string;
};
export type SampleMetric = Common & { kind: 'sample'; read: (res: ResponseView) => number | undefined };
export type TallyMetric = Common & { kind: 'tally'; read: (res: ResponseView) => string[] | undefined; derive: (counts: Record<string, number>) => MetricValues | undefined };
export type SingleMetric = Common & { kind: 'single' };
/** Computed by the engine itself from every response (latency, bytes, errors). */
export type CoreMetric = Common & { kind: 'core' };
export type MetricDef = SampleMetric | TallyMetric | SingleMetric | CoreMetric;

const NAME = /^[a-z][a-z0-9_]*$/;
const registry = new Map<string, MetricDef>();

/**
 * Registers a metric. Registering the same name twice is allowed only for the same definition
 * (a module imported twice); two different metrics under one name is an error.
 */
export function defineMetric<M extends MetricDef>(def: M): M {
  if (!NAME.test(def.name)) throw new Error(`defineMetric: a metric name must be snake_case with its unit last (like latency_ms), got "${def.name}"`);
  const had = registry.get(def.name);
  if (had && had !== def && (had.kind !== def.kind || had.unit !== def.unit || had.description !== def.description)) {
    throw new Error(`defineMetric: "${def.name}" is already registered as a different metric (${had.kind}, ${had.unit || 'no unit'})`);
  }
  registry.set(def.name, def);
  return def;
}

export const metricDef = (name: string): MetricDef | undefined => registry.get(name);
export const metricNames = (): string[] => [...registry.keys()].sort();
/** Metrics read from each response, in registration order. */
export const responseMetrics = (): (SampleMetric | TallyMetric)[] => [...registry.values()].filter((m): m is SampleMetric | TallyMetric => m.kind === 'sample' || m.kind === 'tally');

/** The first value of a header, whatever shape undici gave it. */
export function header(res: ResponseView, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** `db;dur=1.2, total;dur=3.4` → the `dur` of one Server-Timing metric, if present. */
export function serverTiming(res: ResponseView, metric: string): number | undefined {
  const timing = header(res, 'server-timing');
  if (!timing) return undefined;
  const m = new RegExp(`(?:^|,)\\s*${metric.replace(/[^a-z0-9_-]/gi, '')}\\s*;(?:[^,]*;)?\\s*dur=([\\d.]+)`).exec(timing);
  return m ? Number(m[1]) : undefined;
}

/** A plain number as metric values: for figures a scenario computes itself. */
export const single = (value: number, unit = ''): MetricValues => ({ max: value, min: value, mean: value, rate: value, count: value, percentile: () => value, unit });

/** Of two values of a scenario's own figure, the worse: the lower where lower is worse (a knee, a hit ratio). */
export function worseSingle(name: string, a: number | undefined, b: number): number {
  return a === undefined ? b : metricDef(name)?.lowerIsWorse ? Math.min(a, b) : Math.max(a, b);
}
