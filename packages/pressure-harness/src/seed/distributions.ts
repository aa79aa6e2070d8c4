/**
 * The shapes production data has: most tenants small, a few enormous; most projects modest, a
 * long tail of huge ones. Every draw takes a uniform number from a named stream, so a value
 * depends only on (seed, entity path).
 */
import type { Stream } from './streams.js';

/** A share of root rows (tenants, authors) and the range of children each gets, e.g. the 1% of whales with 200–1000. */
export type Tier = { label: string; share: number; min: number; max: number };

/** A log-normal fixed by its median and 95th percentile, clamped to [0, max]. */
export type LogNormal = { p50: number; p95: number; max: number };

/** Inverse of the standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`normalQuantile needs 0 < p < 1, got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

const Z95 = 1.6448536269514722;

export function drawLogNormal(d: LogNormal, s: Stream): number {
  if (d.p50 === 0) return 0;
  const mu = Math.log(d.p50);
  const sigma = (Math.log(d.p95) - mu) / Z95;
  const u = Math.min(1 - 1e-12, Math.max(1e-12, s()));
  return Math.min(d.max, Math.max(1, Math.round(Math.exp(mu + sigma * normalQuantile(u)))));
}

/**
 * Assigns a tier to each of `n` accounts: exact quotas by largest remainder (so 100 accounts
 * with 1% whales have exactly one), at least one account for every tier once n >= 10, then a
 * seeded shuffle so whales are not all at the end.
 */
export function assignTiers(tiers: Tier[], n: number, s: Stream): Tier[] {
  const raw = tiers.map((t) => t.share * n);
  const counts = raw.map(Math.floor);
  let left = n - counts.reduce((a, b) => a + b, 0);
  const order = raw.map((r, i) => [r - Math.floor(r), i] as const).sort((x, y) => y[0] - x[0] || x[1] - y[1]);
  for (const [, i] of order) if (left-- > 0) counts[i]! += 1;
  if (n >= 10) {
    for (let i = 0; i < tiers.length; i++) {
      if (counts[i] === 0 && tiers[i]!.share > 0) {
        const donor = counts.indexOf(Math.max(...counts));
        counts[donor]! -= 1;
        counts[i] = 1;
      }
    }
  }
  const out = tiers.flatMap((t, i) => Array.from({ length: counts[i]! }, () => t));
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(s() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Parses `90:1-5,9:6-50,1:200-1000` (percent:min-max). Returns the tiers or a problem. */
export function parseTiers(text: string): Tier[] | string {
  const parts = text.split(',').map((p) => p.trim());
  const tiers: Tier[] = [];
  for (const p of parts) {
    const m = /^(\d+(?:\.\d+)?):(\d+)-(\d+)$/.exec(p);
    if (!m) return `"${p}" is not percent:min-max`;
    const [share, min, max] = [Number(m[1]) / 100, Number(m[2]), Number(m[3])];
    if (min < 0 || max < min) return `"${p}" needs 0 <= min <= max`;
    tiers.push({ label: `${min}-${max}`, share, min, max });
  }
  const total = tiers.reduce((a, t) => a + t.share, 0);
  if (Math.abs(total - 1) > 1e-9) return `shares add up to ${+(total * 100).toFixed(3)}%, not 100%`;
  return tiers;
}
