/**
 * npm run bench:fit
 *
 * How well `pressure dataset fit` recovers known distributions: for two tier shapes (conduit's
 * 90/8/2 with whales of 2,000–3,000, and 70/25/5 with a wide whale range) at 100 to 100,000
 * parents, 30 seeds each, drawn exactly as the domain draws (assignTiers' quotas, uniform within
 * a tier), fitted back (fitTiers): how often the same number of tiers with the same shares came
 * back, and the worst Kolmogorov–Smirnov error; for a log-normal with 30% of parents at zero, the
 * fitted median, 95th percentile and zero share per size. No database: the fit is a pure step.
 * Writes bench-results/fit.json.
 */
import { writeJson } from 'pressure-harness/report';
import { assignTiers, drawLogNormal, fitLogNormal, fitTiers, intBetween, stream, type Tier } from 'pressure-harness/seed';
import { flagsOrExit } from './backend.js';

flagsOrExit('bench:fit', {}, 'npm run bench:fit');
const SEEDS = 30;
const SIZES = [100, 200, 1_000, 10_000, 100_000];
const SHAPES: Record<string, Tier[]> = {
  conduit: [
    { label: 'small', share: 0.9, min: 0, max: 5 },
    { label: 'mid', share: 0.08, min: 6, max: 50 },
    { label: 'whale', share: 0.02, min: 2000, max: 3000 },
  ],
  wide: [
    { label: 'small', share: 0.7, min: 1, max: 20 },
    { label: 'mid', share: 0.25, min: 21, max: 200 },
    { label: 'whale', share: 0.05, min: 5000, max: 50_000 },
  ],
};
const histogramOf = (xs: number[]) => {
  const m = new Map<number, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return [...m];
};

const tiers = Object.entries(SHAPES).flatMap(([shape, truth]) =>
  SIZES.map((parents) => {
    let exact = 0;
    let worstKs = 0;
    const misses: string[] = [];
    for (let k = 0; k < SEEDS; k++) {
      const s = stream(`bench-fit-${k}`, `${shape}-${parents}`);
      const f = fitTiers(histogramOf(assignTiers(truth, parents, s).map((t) => intBetween(s, t.min, t.max))));
      worstKs = Math.max(worstKs, f.ks.parents);
      if (f.tiers.length === truth.length && f.tiers.every((t, i) => Math.abs(t.share - truth[i]!.share) < 1e-9)) exact++;
      else if (misses.length < 2) misses.push(f.tiers.map((t) => `${+(t.share * 100).toFixed(2)}% ${t.min}–${t.max}`).join(', '));
    }
    console.log(`${shape.padEnd(8)} ${String(parents).padStart(7)} parents: ${exact}/${SEEDS} exact, worst KS ${worstKs.toFixed(3)}${misses.length ? `; e.g. ${misses[0]}` : ''}`);
    return { shape, parents, seeds: SEEDS, exact, worstKsParents: worstKs, misses };
  }),
);

const TRUE_LN = { p50: 12, p95: 300, max: 5000 };
const logNormal = SIZES.map((parents) => {
  const s = stream('bench-fit', `lognormal-${parents}`);
  const f = fitLogNormal(histogramOf(Array.from({ length: parents }, () => (s() < 0.3 ? 0 : drawLogNormal(TRUE_LN, s)))));
  console.log(`log-normal ${String(parents).padStart(7)} parents: p50 ${f.logNormal.p50} (12), p95 ${f.logNormal.p95} (300), zero ${f.zero} (0.3), KS ${f.ks.parents}`);
  return { parents, truth: { ...TRUE_LN, zero: 0.3 }, fitted: { ...f.logNormal, zero: f.zero }, ks: f.ks };
});

writeJson('bench-results/fit.json', { at: new Date().toISOString(), method: 'fitTiers (penalized-likelihood irregular histogram, penB) and fitLogNormal (percentile matching)', tiers, logNormal });
console.log('bench:fit: wrote bench-results/fit.json');
