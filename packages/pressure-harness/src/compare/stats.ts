/**
 * The statistics of a comparison, all textbook methods:
 *
 * - Mann–Whitney U (Wilcoxon rank-sum) test between two latency samples, computed exactly from
 *   their HDR histograms' buckets (a bucket is a run of tied values). Rank-based: it holds for
 *   skewed, heavy-tailed samples, where a t-test on means does not. The p-value is the normal
 *   approximation with the tie correction of the variance and a continuity correction, as
 *   scipy.stats.mannwhitneyu(method="asymptotic") computes it; with hundreds of requests a side
 *   the approximation is close (a unit test checks it against @stdlib/stats-kruskal-test, whose
 *   H for two groups is z² without the continuity correction).
 * - Its effect size, the Vargha–Delaney A (the probability that a candidate request is slower
 *   than a base request, ties counted half: U / (n1·n2)). 0.5 is no difference; Vargha and Delaney
 *   (2000) call 0.56, 0.64 and 0.71 small, medium and large.
 * - Benjamini–Hochberg adjustment of all the p-values of one comparison (@stdlib/stats-padjust):
 *   a run compares hundreds of metrics, and at a 1% level each, a clean run would raise a few
 *   false alarms by chance; BH keeps the expected share of false findings among those raised
 *   at the level instead (the false discovery rate).
 *
 * With thousands of requests a side, a test finds even a shift too small to matter (two runs on
 * one machine are never identical): a finding therefore needs significance AND an effect size
 * AND a shift of the percentile past a floor (compare.ts's rules), never significance alone.
 */
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import padjust from '@stdlib/stats-padjust';

/** A histogram as (value, count) pairs, values ascending. */
export type Buckets = readonly (readonly [value: number, count: number])[];

export type RankSumTest = {
  n1: number;
  n2: number;
  /** U of the candidate: pairs (base, candidate) where the candidate is larger, ties counted half. */
  u: number;
  /** U's standard deviation under no difference, ties corrected. */
  sd: number;
  z: number;
  /** Two-sided p-value. */
  p: number;
  /** Vargha–Delaney A: P(candidate > base) + P(tie)/2. */
  a: number;
};

/**
 * Mann–Whitney U of `candidate` against `base`. Both must be bucketed alike (the same histogram
 * settings), so that equal values share a bucket and count as ties.
 */
export function rankSum(base: Buckets, candidate: Buckets): RankSumTest {
  const n1 = base.reduce((s, [, c]) => s + c, 0);
  const n2 = candidate.reduce((s, [, c]) => s + c, 0);
  if (n1 === 0 || n2 === 0) return { n1, n2, u: 0, sd: 0, z: 0, p: 1, a: 0.5 };
  // Walk both in value order: each distinct value is one group of ties across the two samples.
  let i = 0;
  let j = 0;
  let baseBelow = 0; // base values below the current value
  let u = 0;
  let ties = 0; // Σ (t³ − t) over groups of tied values
  while (i < base.length || j < candidate.length) {
    const v = Math.min(base[i]?.[0] ?? Infinity, candidate[j]?.[0] ?? Infinity);
    const b = base[i]?.[0] === v ? base[i++]![1] : 0;
    const c = candidate[j]?.[0] === v ? candidate[j++]![1] : 0;
    u += c * (baseBelow + b / 2);
    baseBelow += b;
    const t = b + c;
    ties += t * t * t - t;
  }
  const n = n1 + n2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - ties / (n * (n - 1)));
  if (variance <= 0) return { n1, n2, u, sd: 0, z: 0, p: 1, a: u / (n1 * n2) };
  // Continuity correction: half a unit of U towards the mean.
  const sd = Math.sqrt(variance);
  const z = (u - mean - 0.5 * Math.sign(u - mean)) / sd;
  const p = Math.min(1, 2 * (1 - normalCdf(Math.abs(z), 0, 1)));
  return { n1, n2, u, sd, z, p, a: u / (n1 * n2) };
}

/** Benjamini–Hochberg adjusted p-values (q-values), in the order given. */
export function adjustFdr(p: readonly number[]): number[] {
  return p.length ? padjust([...p], 'bh') : [];
}
