/**
 * What the registered response metrics saw, per route: a sample metric as an HDR histogram plus
 * exact count, sum, min and max; a tally as counts per label. Merges are exact (histograms added
 * bucket by bucket), so shards and attempts combine into what one run would have measured.
 */
import { createHistogram, decode, encode, type Histogram, percentileMs, recordMs, summarize, type LatencySummary } from '../load/histogram.js';
import { type MetricValues, metricDef, type ResponseView, responseMetrics } from './registry.js';

export type SampleEvidence = { kind: 'sample'; h: Histogram; n: number; sum: number; min: number; max: number };
export type TallyEvidence = { kind: 'tally'; counts: Record<string, number>; n: number };
export type Evidence = SampleEvidence | TallyEvidence;
export type EvidenceByMetric = Record<string, Evidence>;

export type SerializedEvidence = { kind: 'sample'; h: string; n: number; sum: number; min: number; max: number } | TallyEvidence;

/** Reads every registered response metric off one response; a metric without evidence records nothing. */
export function recordEvidence(into: EvidenceByMetric, res: ResponseView): void {
  for (const m of responseMetrics()) {
    if (m.kind === 'sample') {
      const v = m.read(res);
      if (v === undefined || !Number.isFinite(v)) continue;
      const e = (into[m.name] ??= { kind: 'sample', h: createHistogram(), n: 0, sum: 0, min: Infinity, max: -Infinity }) as SampleEvidence;
      recordMs(e.h, v);
      e.n += 1;
      e.sum += v;
      e.min = Math.min(e.min, v);
      e.max = Math.max(e.max, v);
    } else {
      const labels = m.read(res);
      if (!labels) continue;
      const e = (into[m.name] ??= { kind: 'tally', counts: {}, n: 0 }) as TallyEvidence;
      e.n += 1;
      for (const l of labels) e.counts[l] = (e.counts[l] ?? 0) + 1;
    }
  }
}

export function mergeEvidence(all: EvidenceByMetric[]): EvidenceByMetric {
  const out: EvidenceByMetric = {};
  for (const byMetric of all) {
    for (const [name, e] of Object.entries(byMetric)) {
      const had = out[name];
      if (e.kind === 'sample') {
        const into = (had ?? { kind: 'sample', h: createHistogram(), n: 0, sum: 0, min: Infinity, max: -Infinity }) as SampleEvidence;
        into.h.add(e.h);
        into.n += e.n;
        into.sum += e.sum;
        into.min = Math.min(into.min, e.min);
        into.max = Math.max(into.max, e.max);
        out[name] = into;
      } else {
        const into = (had ?? { kind: 'tally', counts: {}, n: 0 }) as TallyEvidence;
        into.n += e.n;
        for (const [l, c] of Object.entries(e.counts)) into.counts[l] = (into.counts[l] ?? 0) + c;
        out[name] = into;
      }
    }
  }
  return out;
}

export const serializeEvidence = (e: EvidenceByMetric): Record<string, SerializedEvidence> =>
  Object.fromEntries(Object.entries(e).map(([k, v]) => [k, v.kind === 'sample' ? { ...v, h: encode(v.h) } : v]));

export const deserializeEvidence = (s: Record<string, SerializedEvidence> | undefined): EvidenceByMetric =>
  Object.fromEntries(Object.entries(s ?? {}).map(([k, v]) => [k, v.kind === 'sample' ? { ...v, h: decode(v.h) } : v]));

/** Budget inputs of one metric's evidence; undefined when there is none (n/a, never 0). */
export function evidenceValues(name: string, e: Evidence | undefined): MetricValues | undefined {
  if (!e || e.n === 0) return undefined;
  const def = metricDef(name);
  if (e.kind === 'sample') return { percentile: (p) => percentileMs(e.h, p), max: e.max, min: e.min, mean: e.sum / e.n, count: e.n, unit: def?.unit ?? '' };
  return def?.kind === 'tally' ? def.derive(e.counts) : undefined;
}

/** A sample metric's summary for tables (exact min/max/mean, histogram percentiles), or null: n/a. */
export function evidenceSummary(e: Evidence | undefined): (LatencySummary & { exactMax: number }) | null {
  if (!e || e.kind !== 'sample' || e.n === 0) return null;
  return { ...summarize(e.h), min: e.min, max: e.max, mean: +(e.sum / e.n).toFixed(3), exactMax: e.max };
}
