/**
 * The one place histograms are built. Values are recorded as integer microseconds (HdrHistogram
 * drops fractions), with 3 significant digits from 1 µs to 10 minutes; summaries are in ms.
 * Histograms travel as compressed base64 and merge exactly with `add`, never by averaging
 * percentiles.
 */
import * as hdr from 'hdr-histogram-js';

export type Histogram = hdr.Histogram;

export const HISTOGRAM_SETTINGS = {
  lowestDiscernibleValue: 1,
  highestTrackableValue: 10 * 60 * 1_000_000,
  numberOfSignificantValueDigits: 3,
} as const;

export function createHistogram(): Histogram {
  return hdr.build({ ...HISTOGRAM_SETTINGS, bitBucketSize: 64, autoResize: false, useWebAssembly: false });
}

/** Record a duration given in milliseconds (fractions kept down to 1 µs). */
export function recordMs(h: Histogram, ms: number): void {
  h.recordValue(Math.min(HISTOGRAM_SETTINGS.highestTrackableValue, Math.max(1, Math.round(ms * 1000))));
}

export type LatencySummary = { count: number; min: number; mean: number; p50: number; p90: number; p95: number; p99: number; p99_9: number; max: number };

const ms = (us: number) => Math.round(us) / 1000;

export function summarize(h: Histogram): LatencySummary {
  if (h.totalCount === 0) return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, p99_9: 0, max: 0 };
  return {
    count: h.totalCount,
    // Bucket values, not the raw extremes: a decoded histogram knows only its buckets, and a
    // summary must not depend on whether the histogram was merged from shards.
    min: ms(h.getValueAtPercentile(0)),
    mean: ms(h.mean),
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p95: ms(h.getValueAtPercentile(95)),
    p99: ms(h.getValueAtPercentile(99)),
    p99_9: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.getValueAtPercentile(100)),
  };
}

/** Percentile in ms for any p in (0, 100]. */
export function percentileMs(h: Histogram, p: number): number {
  return h.totalCount === 0 ? 0 : ms(h.getValueAtPercentile(p));
}

export function encode(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decode(base64: string): Histogram {
  return hdr.decodeFromCompressedBase64(base64, 64, false);
}

/** Exact merge of any number of encoded histograms. */
export function merge(encoded: string[]): Histogram {
  const total = createHistogram();
  for (const e of encoded) total.add(decode(e));
  return total;
}

/** The recorded values as (ms, count) pairs, ascending: a bucket is a run of values equal at 3 significant digits. */
export function buckets(h: Histogram): [number, number][] {
  const out: [number, number][] = [];
  const it = (h as unknown as { recordedValuesIterator: { reset(): void; hasNext(): boolean; next(): { valueIteratedTo: number; countAddedInThisIterationStep: number } } }).recordedValuesIterator;
  it.reset();
  while (it.hasNext()) {
    const v = it.next();
    out.push([v.valueIteratedTo / 1000, v.countAddedInThisIterationStep]);
  }
  return out;
}
