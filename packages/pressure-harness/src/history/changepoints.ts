/**
 * Change points of a nightly series: E-divisive means, Matteson & James (2014), "A nonparametric
 * approach for multiple change point analysis of multivariate data", JASA 109(505):334-345, as
 * the R package ecp implements it (`e.divisive`), and as MongoDB's performance CI and Apache Otava
 * run it over nightly benchmark series (Daly et al., "The Use of Change Point Detection to
 * Identify Software Performance Regressions in a Continuous Integration System", ICPE 2020).
 * No maintained implementation exists for Node, so this is a small one, tested against planted
 * steps, creeps and flat noise (tests/unit/changepoints.test.ts).
 *
 * How it works. For a segment Z and a split into X = Z[s, τ) and Y = Z[τ, κ), the energy
 * statistic
 *     Q(τ, κ) = m·k/(m+k) · ( 2/(mk)·Σ|x−y|^α − 1/C(m,2)·Σ|x−x'|^α − 1/C(k,2)·Σ|y−y'|^α )
 * is large when X and Y differ in distribution (mean, spread, shape), not only in mean. The
 * split of largest Q over every current segment is a candidate; it is kept when a permutation
 * test says so: the observations are shuffled within each segment, the search is run again,
 * and p = (1 + #{shuffled max ≥ observed max}) / (R + 1). Because each shuffle is searched like
 * the data, the selection of the best split is paid for, and the noise of the series is what
 * the test measures against: a noisy series needs a larger step. The search then repeats on
 * the new segments (binary segmentation) until a candidate is not significant.
 *
 * Exchangeability is the test's assumption: nights whose noise is correlated (a slower machine
 * for a week) look like a change, as they would to a person reading the chart.
 */
import seedrandom from 'seedrandom';

export type ChangePointOptions = {
  /** The test's level: a candidate is kept when p ≤ this (default 0.005, 1 flat series in 200). */
  significance?: number;
  /** Shuffles per test (default 199: p can reach 1/200). */
  permutations?: number;
  /** Fewest points on each side of a change (default 5 nights). */
  minSize?: number;
  /** The distance's exponent α in (0, 2) (default 1, as ecp). */
  alpha?: number;
  /** The shuffles' seed: the same series gives the same answer every time it is looked at. */
  seed?: string;
};

export type ChangePoint = {
  /** The first point of the new level. */
  index: number;
  /** The permutation test's p-value when it was found. */
  pValue: number;
  /** Mean before and after, over the neighbouring segments of the final partition. */
  before: { mean: number; n: number };
  after: { mean: number; n: number };
};

/** 2-D prefix sums of the pairwise distances of `z`: block(a, b, c, d) = Σ_{a≤i<b, c≤j<d} |z_i − z_j|^α. */
function prefixDistances(z: readonly number[], alpha: number): (a: number, b: number, c: number, d: number) => number {
  const n = z.length;
  const w = n + 1;
  const p = new Float64Array(w * w);
  for (let i = 0; i < n; i++) {
    let row = 0;
    for (let j = 0; j < n; j++) {
      row += Math.abs(z[i]! - z[j]!) ** alpha;
      p[(i + 1) * w + j + 1] = p[i * w + j + 1]! + row;
    }
  }
  return (a, b, c, d) => p[b * w + d]! - p[a * w + d]! - p[b * w + c]! + p[a * w + c]!;
}

type Split = { tau: number; q: number };

/** The best split of z[s, e): the largest Q(τ, κ) over τ and κ with both sides ≥ minSize (ecp's e.split). */
function bestSplit(block: ReturnType<typeof prefixDistances>, s: number, e: number, minSize: number): Split | null {
  let best: Split | null = null;
  for (let tau = s + minSize; tau <= e - minSize; tau++) {
    const m = tau - s;
    const within = block(s, tau, s, tau) / (m * (m - 1));
    for (let kappa = tau + minSize; kappa <= e; kappa++) {
      const k = kappa - tau;
      const between = (2 * block(s, tau, tau, kappa)) / (m * k);
      const q = ((m * k) / (m + k)) * (between - within - block(tau, kappa, tau, kappa) / (k * (k - 1)));
      if (!best || q > best.q) best = { tau, q };
    }
  }
  return best;
}

/** The best split over every segment (bounds: sorted cut points, 0 … n). */
function bestOverSegments(z: readonly number[], bounds: readonly number[], alpha: number, minSize: number): (Split & { segment: number }) | null {
  const block = prefixDistances(z, alpha);
  let best: (Split & { segment: number }) | null = null;
  for (let k = 0; k + 1 < bounds.length; k++) {
    const split = bestSplit(block, bounds[k]!, bounds[k + 1]!, minSize);
    if (split && (!best || split.q > best.q)) best = { ...split, segment: k };
  }
  return best;
}

/** The change points of `values`, in order of position. */
export function eDivisive(values: readonly number[], o: ChangePointOptions = {}): ChangePoint[] {
  const significance = o.significance ?? 0.005;
  const permutations = o.permutations ?? 199;
  const minSize = Math.max(2, o.minSize ?? 5);
  const alpha = o.alpha ?? 1;
  if (!(alpha > 0 && alpha < 2)) throw new RangeError(`alpha must be in (0, 2), got ${alpha}`);
  if (!(significance > 0 && significance < 1)) throw new RangeError(`significance must be in (0, 1), got ${significance}`);
  const z = values.map(Number);
  if (z.some((v) => !Number.isFinite(v))) throw new RangeError('a change-point series holds only finite numbers');
  const rng = seedrandom.alea(o.seed ?? 'e-divisive');
  const bounds = [0, z.length];
  const found: { index: number; pValue: number }[] = [];
  // More exceedances than this and p cannot reach the level: stop shuffling (Besag & Clifford 1991).
  const allowed = Math.floor(significance * (permutations + 1)) - 1;
  for (;;) {
    const observed = bestOverSegments(z, bounds, alpha, minSize);
    if (!observed || observed.q <= 0) break;
    let exceed = 0;
    let r = 0;
    const shuffled = z.slice();
    for (; r < permutations && exceed <= allowed; r++) {
      for (let k = 0; k + 1 < bounds.length; k++) shuffleRange(shuffled, bounds[k]!, bounds[k + 1]!, rng);
      const best = bestOverSegments(shuffled, bounds, alpha, minSize);
      if (best && best.q >= observed.q) exceed++;
    }
    const pValue = exceed > allowed ? (exceed + 1) / (r + 1) : (exceed + 1) / (permutations + 1);
    if (pValue > significance) break;
    found.push({ index: observed.tau, pValue });
    bounds.push(observed.tau);
    bounds.sort((a, b) => a - b);
  }
  return found
    .sort((a, b) => a.index - b.index)
    .map((f) => {
      const k = bounds.indexOf(f.index);
      const before = z.slice(bounds[k - 1], f.index);
      const after = z.slice(f.index, bounds[k + 1]);
      return { ...f, before: { mean: mean(before), n: before.length }, after: { mean: mean(after), n: after.length } };
    });
}

/** Fisher–Yates within a[s, e). */
function shuffleRange(a: number[], s: number, e: number, rng: () => number): void {
  for (let i = e - 1; i > s; i--) {
    const j = s + Math.floor(rng() * (i - s + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
