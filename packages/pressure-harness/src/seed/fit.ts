/**
 * A domain's distributions fitted to production's aggregates (`pressure dataset fit`): pure steps
 * from "how many parents have n children" to the domain's own shapes (distributions.ts), each with
 * the error of its fit, so that a seeded dataset is shaped like production without a row of it.
 *
 * - Children per root row (an author's articles): tiers, the design's "many small, a few whales".
 *   Their number and ranges are those of the irregular histogram of highest penalized likelihood,
 *   as Rozenholc, Mildenberger and Gather (2010), "Combining regular and irregular histograms by
 *   penalized likelihood", Computational Statistics & Data Analysis, build one: bucket boundaries
 *   by dynamic programming over a grid of cells, the number of buckets by their penalty "penB". Each non-empty bucket is a tier (its share of parents, its range of
 *   children); an empty one is a gap between tiers (nobody has 51 to 1,999 articles).
 * - Children per deeper row (an article's comments): the log-normal the domain draws from, by
 *   percentile matching (Klugman, Panjer and Willmot, "Loss Models", §13.1): its median and 95th
 *   percentile are the observed ones, with the share of parents that have none beside it.
 * - The error of a fit: the Kolmogorov–Smirnov distance between the fitted and the observed
 *   distributions, of parents, and of children (a whale's rows weigh as much as they are many).
 */
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import { type CountHistogram, type DataShape, type EdgeShape, parentEdges } from '../pg/shape.js';
import type { LogNormal, Tier } from './distributions.js';

export type { CountHistogram };

export type TierFit = {
  tiers: Tier[];
  /** Kolmogorov–Smirnov distance over parents, and over their children. */
  ks: { parents: number; children: number };
  parents: number;
  /** Children per parent under the fit. */
  mean: number;
};

export type LogNormalFit = {
  logNormal: LogNormal;
  /** The share of parents with no child. */
  zero: number;
  ks: { parents: number; children: number };
  parents: number;
  /** Children per parent under the fit. */
  mean: number;
};

const normalize = (h: CountHistogram) =>
  [...h]
    .filter(([n, p]) => Number.isInteger(n) && n >= 0 && p > 0)
    .map(([n, p]) => [n, p] as [number, number])
    .sort((a, b) => a[0] - b[0]);

/** Counts of children this many or fewer are cells of their own; above, cells grow 2% at a time. */
const EXACT_UP_TO = 128;
const GROWTH = 1.02;
/** The most buckets tried: three tiers with gaps between them, and room for a fourth. */
const MAX_BUCKETS = 8;

type Cell = { lo: number; hi: number; parents: number };

/**
 * The observed counts as units a bucket is made of: each count under EXACT_UP_TO, and above, the
 * counts within 2% of each other together, from the first to the last observed. A bucket runs
 * from its first unit's first count to its last unit's last, so that its edges are where the
 * data's are: with a fixed grid, a cell half empty where a tier began or ended looked like a tier
 * of its own to 10,000 parents. Between buckets, counts nobody has are a gap, not a bucket.
 */
function unitsOf(h: [number, number][]): Cell[] {
  const units: Cell[] = [];
  for (const [n, p] of h) {
    const last = units.at(-1);
    if (last && n >= EXACT_UP_TO && n <= Math.max(last.lo, Math.ceil(last.lo * GROWTH) - 1)) ((last.hi = n), (last.parents += p));
    else units.push({ lo: n, hi: n, parents: p });
  }
  return units;
}

/**
 * The least width a bucket is priced at: a count's own under EXACT_UP_TO, 2% of it above. Narrower,
 * one whale alone was a spike one count wide, whose likelihood no penalty outweighs.
 */
const leastWidth = (lo: number) => (lo < EXACT_UP_TO ? 1 : Math.ceil(lo * (GROWTH - 1)));

/**
 * The fewest tiers the histogram's penalized likelihood prefers (see the file's comment). Throws on
 * a histogram with no parent.
 */
export function fitTiers(histogram: CountHistogram): TierFit {
  const h = normalize(histogram);
  const total = h.reduce((a, [, p]) => a + p, 0);
  if (!total) throw new Error('fitTiers: the histogram has no parent');
  const cells = unitsOf(h);
  const m = cells.length;
  // A bucket's log-likelihood is C·ln(C / (W·N)): its parents, over its width.
  const P = [0];
  for (const c of cells) P.push(P.at(-1)! + c.parents);
  const cost = (i: number, j: number) => {
    const c = P[j + 1]! - P[i]!;
    const w = Math.max(cells[j]!.hi - cells[i]!.lo + 1, leastWidth(cells[i]!.lo));
    return -c * Math.log(c / (w * total));
  };
  // best[k][j]: the least −log-likelihood of cells 0..j in k+1 buckets; from[k][j]: where its last starts.
  // best[k][j]: the least −log-likelihood of units 0..j in k+1 buckets, a gap between two of them
  // counted as a bucket (empty: it adds no likelihood, but it is a choice the penalty prices, or a
  // sparse tier's every gap would be cut out of it for free); from[k][j]: where its last begins.
  const gap = (i: number) => (i > 0 && cells[i]!.lo > cells[i - 1]!.hi + 1 ? 1 : 0);
  const K = MAX_BUCKETS;
  const best = [cells.map((_, j) => cost(0, j))];
  const from = [cells.map(() => 0)];
  for (let k = 1; k < K; k++) {
    const row = new Array<number>(m).fill(Infinity);
    const start = new Array<number>(m).fill(-1);
    for (let j = 1; j < m; j++) {
      for (let i = 1; i <= j; i++) {
        const before = k - 1 - gap(i);
        if (before < 0) continue;
        const v = best[before]![i - 1]! + cost(i, j);
        if (v < row[j]!) ((row[j] = v), (start[j] = i));
      }
    }
    best.push(row);
    from.push(start);
  }
  // The penalty "penB" of Rozenholc, Mildenberger and Gather (the default of their R package
  // histogram for irregular histograms): for D buckets, ln C(n−1, D−1) + (D−1) + (ln D)^2.5. The
  // binomial term prices the choice of boundaries, which BIC does not: with BIC a uniform tier of
  // 100 whales was split in two where 5 of them happened to fall close together.
  const pen = (buckets: number) => {
    let choose = 0;
    for (let i = 1; i < buckets; i++) choose += Math.log((total - i) / i);
    return choose + (buckets - 1) + Math.log(buckets) ** 2.5;
  };
  let k = 0;
  for (let q = 1; q < K; q++) if (best[q]![m - 1]! + pen(q + 1) < best[k]![m - 1]! + pen(k + 1)) k = q;
  const buckets: [number, number][] = [];
  for (let j = m - 1, q = k; j >= 0;) {
    const i = q === 0 ? 0 : from[q]![j]!;
    buckets.unshift([i, j]);
    q -= 1 + gap(i);
    j = i - 1;
  }
  const tiers: Tier[] = [];
  for (const [i, j] of buckets) {
    const inside = h.filter(([n]) => n >= cells[i]!.lo && n <= cells[j]!.hi);
    if (!inside.length) continue;
    const parents = inside.reduce((a, [, p]) => a + p, 0);
    tiers.push({ label: '', share: parents / total, min: inside[0]![0], max: inside.at(-1)![0] });
  }
  const labels = tierLabels(tiers.length);
  tiers.forEach((t, i) => (t.label = labels[i]!));
  const mean = tierChildren(tiers, Infinity);
  return {
    tiers,
    ks: ksOf(
      h,
      (n) => tierCdf(tiers, n),
      (n) => tierChildren(tiers, n),
      mean,
    ),
    parents: total,
    mean: round4(mean),
  };
}

/** Names by rank, the design's words where they fit: small, mid, whale. */
export function tierLabels(n: number): string[] {
  if (n === 1) return ['all'];
  if (n === 2) return ['small', 'whale'];
  if (n === 3) return ['small', 'mid', 'whale'];
  if (n === 4) return ['small', 'mid', 'large', 'whale'];
  return Array.from({ length: n }, (_, i) => (i === n - 1 ? 'whale' : `tier${i + 1}`));
}

/** The share of parents with n children or fewer, under tiers drawn uniformly within their ranges. */
function tierCdf(tiers: readonly Tier[], n: number): number {
  let f = 0;
  for (const t of tiers) f += t.share * Math.min(1, Math.max(0, (Math.floor(n) - t.min + 1) / (t.max - t.min + 1)));
  return f;
}

/** The children of parents with n children or fewer, per parent, under the tiers. */
function tierChildren(tiers: readonly Tier[], n: number): number {
  let s = 0;
  for (const t of tiers) {
    const top = Math.min(t.max, Math.floor(n));
    if (top < t.min) continue;
    const width = t.max - t.min + 1;
    s += (t.share * ((top - t.min + 1) * (t.min + top))) / 2 / width;
  }
  return s;
}

/**
 * The Kolmogorov–Smirnov distances of parents and of children between the observed histogram
 * and a fitted distribution (its CDF, and its children per parent up to n). Both step between
 * integers, so the largest gap is at an observed count or just under one.
 */
function ksOf(h: [number, number][], cdf: (n: number) => number, children: (n: number) => number, allChildren: number) {
  const total = h.reduce((a, [, p]) => a + p, 0);
  const rows = h.reduce((a, [n, p]) => a + n * p, 0);
  let parents = 0;
  let kids = 0;
  let dp = 0;
  let dc = 0;
  for (const [n, p] of h) {
    if (n > 0) {
      dp = Math.max(dp, Math.abs(parents / total - cdf(n - 1)));
      if (rows && allChildren) dc = Math.max(dc, Math.abs(kids / rows - children(n - 1) / allChildren));
    }
    parents += p;
    kids += n * p;
    dp = Math.max(dp, Math.abs(parents / total - cdf(n)));
    if (rows && allChildren) dc = Math.max(dc, Math.abs(kids / rows - children(n) / allChildren));
  }
  return { parents: round4(dp), children: round4(dc) };
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

/** The observed q-quantile of a histogram (the smallest n with at least q of the parents at or under it). */
export function quantileOf(histogram: CountHistogram, q: number): number {
  const h = normalize(histogram);
  const total = h.reduce((a, [, p]) => a + p, 0);
  let seen = 0;
  for (const [n, p] of h) if ((seen += p) >= q * total) return n;
  return h.at(-1)?.[0] ?? 0;
}

const Z95 = 1.6448536269514722;
/**
 * The domain's log-normal (median, 95th percentile, most) fitted to parents with at least one
 * child, by percentile matching, and the share with none. Throws on a histogram with no parent.
 */
export function fitLogNormal(histogram: CountHistogram): LogNormalFit {
  const h = normalize(histogram);
  const total = h.reduce((a, [, p]) => a + p, 0);
  if (!total) throw new Error('fitLogNormal: the histogram has no parent');
  const positive = h.filter(([n]) => n > 0);
  const zero = (total - positive.reduce((a, [, p]) => a + p, 0)) / total;
  if (!positive.length) return { logNormal: { p50: 0, p95: 0, max: 0 }, zero: 1, ks: { parents: 0, children: 0 }, parents: total, mean: 0 };
  const p50 = quantileOf(positive, 0.5);
  const p95 = Math.max(p50, quantileOf(positive, 0.95));
  const max = positive.at(-1)![0];
  const logNormal = { p50, p95, max };
  // As drawLogNormal draws: rounded, at least 1, at most max; with the zero share in front.
  const mu = Math.log(p50);
  const sigma = (Math.log(p95) - mu) / Z95;
  const drawn = (n: number) => (n < 1 ? 0 : n >= max ? 1 : sigma > 0 ? normalCdf(Math.log(n + 0.5), mu, sigma) : n >= p50 ? 1 : 0);
  const cdf = (n: number) => (n < 0 ? 0 : zero + (1 - zero) * drawn(n));
  // Children per parent up to n: the sum over k ≤ n of k·P(k), each k's probability from the CDF.
  const upTo = Math.min(max, 100_000);
  const partial: number[] = [0];
  for (let k = 1; k <= upTo; k++) partial.push(partial[k - 1]! + k * (cdf(k) - cdf(k - 1)));
  const children = (n: number) => partial[Math.max(0, Math.min(upTo, Math.floor(n)))]!;
  return { logNormal, zero: round4(zero), ks: ksOf(h, cdf, children, children(Infinity)), parents: total, mean: round4(children(Infinity)) };
}

/** Root rows per profile: the largest root table scaled to this many, the others in proportion, the shapes kept. */
export const FIT_PROFILES = { small: 100, medium: 1_000, large: 10_000 } as const;
export type FitProfile = keyof typeof FIT_PROFILES;

type EdgeFit = { kind: 'tiers' | 'logNormal'; parents: number; sampled: number; ks: { parents: number; children: number }; mean: number };

export type FittedTable = {
  /** The domain entity: the table's name (with its schema where two schemas share it). */
  entity: string;
  table: string;
  /** The parent entity, and the column of this table that points to it. */
  parent?: string;
  via?: string;
  /** Production's rows, and each profile's. */
  rows: { production: number } & Record<FitProfile, number>;
  /** A root's tiers (its main child's counts fitted by tier). */
  tiers?: Tier[];
  perParent?: { byTier: Record<string, [number, number]> } | { logNormal: LogNormal; zero?: number };
  fit?: EdgeFit;
  /** The table's other foreign keys: rows it picks from elsewhere (a comment's author), fitted alike. */
  refs: { column: string; table: string; fit: EdgeFit; perParent: { logNormal: LogNormal; zero?: number } }[];
  columns: Record<
    string,
    { type: string; nullShare: number | null; distinct: number | null; avgBytes: number | null; values?: Record<string, number>; length?: { p50: number; p95: number }; spanDays?: number }
  >;
};

export type FittedShape = { from: string; at: string; tables: FittedTable[]; skipped: string[] };

/** A table's entity name in a domain: its own name, with its schema where two schemas share it. */
export const entityName = (table: string, all: readonly string[]) => {
  const [schema, name] = table.split('.') as [string, string];
  const clash = all.filter((t) => t.split('.')[1] === name).length > 1;
  const raw = (clash ? `${schema}_${name}` : name).toLowerCase().replace(/[^a-z0-9_]/g, '_');
  return /^[a-z]/.test(raw) ? raw : `t_${raw}`;
};

/**
 * The domain's tables fitted to a shape: each table's parent (its foreign key to the deepest
 * other table: a comment belongs to its article, and picks its author), roots' tiers from their
 * largest child, every other count a log-normal, rows per profile. Pure.
 */
export function fitShape(shape: DataShape): FittedShape {
  const names = shape.tables.map((t) => t.name);
  const rowsOf = new Map(shape.tables.map((t) => [t.name, t.rows]));
  const outgoing = (t: string) => shape.edges.filter((e) => e.child === t && e.parent !== t);
  const parentEdge = parentEdges(names, shape.edges, rowsOf);
  const roots = names.filter((t) => !parentEdge.has(t));
  const childrenOf = (t: string) => names.filter((c) => parentEdge.get(c)?.parent === t);
  const entity = (t: string) => entityName(t, names);
  const fitOf = (e: EdgeShape, kind: 'tiers' | 'logNormal', f: TierFit | LogNormalFit): EdgeFit => ({ kind, parents: f.parents, sampled: e.sampled, ks: f.ks, mean: f.mean });
  const logNormalOf = (e: EdgeShape) => {
    const f = fitLogNormal(e.histogram);
    return { perParent: { logNormal: f.logNormal, ...(f.zero > 0 && { zero: f.zero }) }, fit: fitOf(e, 'logNormal', f) };
  };

  const out = new Map<string, FittedTable>();
  const largestRoot = Math.max(1, ...roots.map((r) => rowsOf.get(r)!));
  const scaled = (rows: number) =>
    Object.fromEntries(Object.entries(FIT_PROFILES).map(([p, n]) => [p, Math.max(rows > 0 ? 1 : 0, Math.round(rows * Math.min(1, n / largestRoot)))])) as Record<FitProfile, number>;
  for (const t of shape.tables) {
    const edge = parentEdge.get(t.name);
    out.set(t.name, {
      entity: entity(t.name),
      table: t.name,
      ...(edge && { parent: entity(edge.parent), via: edge.column }),
      rows: { production: t.rows, ...scaled(t.rows) },
      refs: outgoing(t.name)
        .filter((e) => e !== edge)
        .map((e) => ({ column: e.column, table: e.parent, ...logNormalOf(e) })),
      columns: Object.fromEntries(
        t.columns.map((c) => [
          c.name,
          {
            type: c.type,
            nullShare: c.nullShare,
            distinct: c.distinct,
            avgBytes: c.avgBytes,
            ...(c.values && { values: c.values }),
            ...(c.length && { length: c.length }),
            ...(c.spanDays !== undefined && { spanDays: c.spanDays }),
          },
        ]),
      ),
    });
  }
  // Roots: tiers on the largest child; every other child edge a log-normal. Then rows per profile
  // down the tree: a parent's rows times the fitted children per parent.
  const order: string[] = [];
  const visit = (t: string) => (order.push(t), childrenOf(t).forEach(visit));
  roots.forEach(visit);
  for (const r of roots) {
    const kids = childrenOf(r).sort((a, b) => rowsOf.get(b)! - rowsOf.get(a)!);
    if (kids[0]) {
      const e = parentEdge.get(kids[0])!;
      const f = fitTiers(e.histogram);
      out.get(r)!.tiers = f.tiers;
      Object.assign(out.get(kids[0])!, { perParent: { byTier: Object.fromEntries(f.tiers.map((x) => [x.label, [x.min, x.max]])) }, fit: fitOf(e, 'tiers', f) });
    }
  }
  for (const t of order) {
    const row = out.get(t)!;
    const e = parentEdge.get(t);
    if (e && !row.perParent) Object.assign(row, logNormalOf(e));
    if (e) {
      const parent = out.get(e.parent)!;
      for (const p of Object.keys(FIT_PROFILES) as FitProfile[]) row.rows[p] = Math.round(parent.rows[p] * row.fit!.mean);
    }
  }
  return { from: shape.url, at: shape.at, tables: order.map((t) => out.get(t)!).concat(shape.tables.filter((t) => !order.includes(t.name)).map((t) => out.get(t.name)!)), skipped: shape.skipped };
}
