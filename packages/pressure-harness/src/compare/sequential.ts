/**
 * Evidence across rounds, each method a published, tested one:
 *
 * - The unit of evidence is a round (one run of a version), not a request: requests of one run
 *   share the machine's moment, its caches, its autovacuum, its warm-up, and two runs of one
 *   version differ far more than the requests within one say (verify:calibration measured a rank
 *   test on requests printing ≥ 99.9% on 10% of clean metrics). Per round and metric, one number:
 *   the log of a percentile. A version's rounds are its replicates.
 * - The run-to-run variance of each metric is estimated from its own rounds, moderated towards the
 *   variance of all the comparison's metrics: the empirical-Bayes "moderated t" of Smyth (2004),
 *   "Linear models and empirical Bayes methods for assessing differential expression in
 *   microarray experiments" (limma's fitFDist and squeezeVar, ported here). Made for exactly this:
 *   many features, two or three replicates each. A metric with one round a side borrows the
 *   variance of the others.
 * - Evidence is an e-value, the normal-mixture likelihood ratio (the mixture SPRT of Robbins
 *   1970, as Johari, Koomen, Pekelis and Walsh (2022), "Always valid inference: continuous
 *   monitoring of A/B tests", Operations Research, use it): looking after every round and
 *   stopping when it is clear does not inflate false alarms (Ville's inequality), and its
 *   inversion is a confidence sequence, the interval printed.
 * - Many metrics at once: e-BH of Wang and Ramdas (2022), "False discovery rate control with
 *   e-values", JRSS B: the Benjamini–Hochberg procedure on e-values, valid under any dependence
 *   between the metrics (a route's p50 and p95 move together). The intervals of the selected
 *   findings are widened for their selection (Benjamini and Yekutieli 2005, false coverage rate).
 *
 * Calibration is measured, not assumed: verify:calibration counts how often clean pairs of this
 * machine cross each printed confidence.
 */
import digamma from '@stdlib/math-base-special-digamma';
import trigamma from '@stdlib/math-base-special-trigamma';

/** The inverse of trigamma, by bisection on its logarithm (trigamma decreases on (0, ∞)). */
export function trigammaInverse(y: number): number {
  if (!(y > 0)) return Infinity;
  let lo = Math.log(1e-8);
  let hi = Math.log(1e8);
  for (let i = 0; i < 200 && hi - lo > 1e-12; i++) {
    const mid = (lo + hi) / 2;
    if (trigamma(Math.exp(mid)) > y) lo = mid;
    else hi = mid;
  }
  return Math.exp((lo + hi) / 2);
}

export type Prior = { s2: number; df: number };

/**
 * The prior of the variances (s0², d0) from the sample variances s² and their degrees of freedom,
 * by the method of moments on log s² (Smyth 2004, section 6.2; limma's fitFDist). Only variances
 * with df ≥ 1 take part; null when none has.
 */
export function fitFDist(s2: readonly number[], df: readonly number[]): Prior | null {
  const idx = s2.flatMap((_, i) => (df[i]! >= 1 && Number.isFinite(s2[i]!) ? [i] : []));
  if (!idx.length) return null;
  // Variances of exactly 0 (a metric the same in every round) have no logarithm: limma floors them.
  const sorted = idx.map((i) => s2[i]!).sort((a, b) => a - b);
  const median = sorted[Math.floor((sorted.length - 1) / 2)]! || 1;
  const e = idx.map((i) => Math.log(Math.max(s2[i]!, 1e-5 * median)) - digamma(df[i]! / 2) + Math.log(df[i]! / 2));
  const mean = e.reduce((a, b) => a + b, 0) / e.length;
  if (idx.length < 2) return { s2: Math.exp(mean), df: Infinity };
  const variance = e.reduce((a, b) => a + (b - mean) ** 2, 0) / (e.length - 1) - idx.reduce((a, i) => a + trigamma(df[i]! / 2), 0) / idx.length;
  if (!(variance > 0)) return { s2: Math.exp(mean), df: Infinity };
  const d0 = 2 * trigammaInverse(variance);
  return { s2: Math.exp(mean + digamma(d0 / 2) - Math.log(d0 / 2)), df: d0 };
}

/** The posterior variance of one metric: its own s² (df degrees) moderated towards the prior (limma's squeezeVar). */
export function squeeze(s2: number, df: number, prior: Prior): number {
  if (!Number.isFinite(prior.df)) return prior.s2;
  if (df <= 0 || !Number.isFinite(s2)) return prior.s2;
  return (prior.df * prior.s2 + df * s2) / (prior.df + df);
}

/**
 * The mixture e-value of an estimate θ̂ with variance V known to ν degrees of freedom, against
 * θ = θ0, with θ − θ0 drawn from N(0, τ²) under the alternative: the Bayes factor of the t-test
 * with a normal prior on the effect, in the closed form of Gönen, Johnson, Lu and Westfall (2005),
 * "The Bayesian two-sample t test", The American Statistician, with t = (θ̂ − θ0)/√V and
 * r = τ²/V:  (1 + r)^(−1/2) · [(1 + t²/((1 + r)ν)) / (1 + t²/ν)]^(−(ν+1)/2).
 * As ν grows it becomes the normal mixture of Robbins (1970), √(V/(V+τ²))·exp(τ²(θ̂−θ0)²/(2V(V+τ²))).
 * A variance known from few rounds thus weighs less: the e-value of ν = 3 never passes (1 + r)^(3/2).
 */
export function mixtureE(estimate: number, variance: number, tau: number, null0 = 0, nu = Infinity): number {
  const r = (tau * tau) / variance;
  const t2 = (estimate - null0) ** 2 / variance;
  const log = Number.isFinite(nu) ? -0.5 * Math.log1p(r) - ((nu + 1) / 2) * (Math.log1p(t2 / ((1 + r) * nu)) - Math.log1p(t2 / nu)) : -0.5 * Math.log1p(r) + (t2 * r) / (2 * (1 + r));
  return Math.exp(Math.min(log, 700));
}

/**
 * The average of mixture e-values over several spreads τ (an average of e-values is an e-value:
 * Vovk and Wang (2021), "E-values: calibration, combination and applications", Annals of
 * Statistics): no one spread has to be guessed, and a gross shift (×10) weighs as it should while
 * a small one (×1.3) is not drowned, for at most a factor of the grid's size.
 */
export function gridE(estimate: number, variance: number, taus: readonly number[], null0 = 0, nu = Infinity): number {
  return taus.reduce((sum, tau) => sum + mixtureE(estimate, variance, tau, null0, nu), 0) / taus.length;
}

/**
 * The confidence sequence at level 1 − α: every θ0 whose e-value stays under 1/α (unbounded when
 * none can reach it). The e-value grows with |θ̂ − θ0|, so its edge is found by bisection.
 */
export function mixtureInterval(estimate: number, variance: number, taus: number | readonly number[], alpha: number, nu = Infinity): [number, number] {
  const grid = typeof taus === 'number' ? [taus] : taus;
  const at = (half: number) => gridE(estimate + half, variance, grid, estimate, nu);
  let hi = Math.sqrt(variance);
  for (let i = 0; at(hi) < 1 / alpha; i++) {
    if (i > 60) return [-Infinity, Infinity];
    hi *= 2;
  }
  let lo = 0;
  for (let i = 0; i < 100 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (at(mid) < 1 / alpha) lo = mid;
    else hi = mid;
  }
  return [estimate - hi, estimate + hi];
}

/**
 * e-BH adjusted levels: the least α at which each hypothesis is among those e-BH rejects
 * (min over k ≥ its rank of m / (k · e₍ₖ₎), capped at 1), in the order given.
 */
export function eBH(e: readonly number[]): number[] {
  const m = e.length;
  const order = e.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]);
  const q = new Array<number>(m);
  let best = 1;
  for (let k = m; k >= 1; k--) {
    const [v, i] = order[k - 1]!;
    best = Math.min(best, v > 0 ? m / (k * v) : 1);
    q[i] = best;
  }
  return q;
}

/** One metric's rounds: a number per round of each side (the log of a percentile). */
export type RoundSeries = {
  base: readonly number[];
  candidate: readonly number[];
  /** The mixtures' spreads on the log scale: the sizes of shift the e-value is most sensitive to. */
  taus: readonly number[];
  /** The least variance of one round, known otherwise (its sampling variance): the moderated one never goes under it. */
  floor?: number;
  /**
   * What the metric's variance is expected to be proportional to (its sampling variance): the
   * prior is fitted to the variances divided by it, a known trend as limma's trend = TRUE fits
   * one (Sartor et al. 2006; Law et al. 2014): the p95 of 100 requests is expected to vary more
   * between runs than the p50 of 4,000, and the prior should not call either an outlier for it.
   */
  scale?: number;
  /** Series of one group share a prior (route percentiles apart from a scenario's own figures). */
  group?: string;
};

export type RoundTest = {
  /** Rounds a side. */
  rounds: [number, number];
  /** The candidate's mean over the base's, on the log scale, and its posterior variance. */
  estimate: number;
  variance: number;
  /** The pooled within-side variance of one round, its degrees of freedom, and after moderation. */
  s2: number;
  df: number;
  posterior: number;
  /** The degrees of freedom the posterior variance is known to (the prior's and the metric's own). */
  nu: number;
  e: number;
};

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const ss = (xs: readonly number[]) => {
  const m = mean(xs);
  return xs.reduce((a, b) => a + (b - m) ** 2, 0);
};

/**
 * Every metric's two-sample test on its rounds, the variances moderated together. Null when no
 * metric has a second round on either side: then no variance of a round is known, and nothing
 * can be said of confidence.
 */
export function roundTests(series: readonly RoundSeries[]): { tests: RoundTest[]; prior: Prior } | null {
  const raw = series.map((s) => {
    const df = s.base.length + s.candidate.length - 2;
    const scale = s.scale && s.scale > 0 ? s.scale : 1;
    return { df, scale, s2: df > 0 ? (ss(s.base) + ss(s.candidate)) / df : NaN };
  });
  // A prior per group, fitted on the variances relative to their expected size.
  const priors = new Map<string, Prior | null>();
  for (const g of new Set(series.map((s) => s.group ?? ''))) {
    const idx = series.flatMap((s, i) => ((s.group ?? '') === g ? [i] : []));
    priors.set(
      g,
      fitFDist(
        idx.map((i) => raw[i]!.s2 / raw[i]!.scale),
        idx.map((i) => raw[i]!.df),
      ),
    );
  }
  if (!priors.size || [...priors.values()].some((p) => p === null)) return null;
  const tests = series.map((s, i) => {
    const { s2, df, scale } = raw[i]!;
    const prior = priors.get(s.group ?? '')!;
    // Never under what the metric's own rounds show: the moderation only lifts a variance that two
    // or three rounds happened to show small (a metric whose rounds flip between two modes, such
    // as a cache's hit share, otherwise borrows the steadiness of the others).
    const posterior = Math.max(scale * squeeze(s2 / scale, df, prior), df > 0 ? s2 : 0, s.floor ?? 0);
    const estimate = mean(s.candidate) - mean(s.base);
    const variance = posterior * (1 / s.base.length + 1 / s.candidate.length);
    const nu = prior.df + Math.max(df, 0);
    return { rounds: [s.base.length, s.candidate.length] as [number, number], estimate, variance, s2, df, posterior, nu, e: gridE(estimate, variance, s.taus, 0, nu) };
  });
  return { tests, prior: (priors.get('') ?? [...priors.values()][0])! };
}
