import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { transformSync } from 'esbuild';
import { assignTiers, defineDomain, drawLogNormal, fitLogNormal, generateDomain, fitShape, fitTiers, formatFit, formatFitModule, intBetween, stream, type Tier } from 'pressure-harness/seed';
import type { DataShape } from 'pressure-harness/pg';

/** Draws as the domain draws, turned into the histogram the server would compute. */
const histogramOf = (xs: number[]) => {
  const m = new Map<number, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return [...m].sort((a, b) => a[0] - b[0]);
};
const CONDUIT: Tier[] = [
  { label: 'small', share: 0.9, min: 0, max: 5 },
  { label: 'mid', share: 0.08, min: 6, max: 50 },
  { label: 'whale', share: 0.02, min: 2000, max: 3000 },
];
const tiered = (tiers: Tier[], n: number, seed: string) => {
  const s = stream(seed, 'tiers');
  return assignTiers(tiers, n, s).map((t) => intBetween(s, t.min, t.max));
};

describe('fitting the domain to aggregates', () => {
  it('recovers tiers with whales: shares exact, ranges within the observed extremes', () => {
    for (const n of [200, 1000, 10_000]) {
      const f = fitTiers(histogramOf(tiered(CONDUIT, n, `conduit-${n}`)));
      assert.deepEqual(
        f.tiers.map((t) => t.label),
        ['small', 'mid', 'whale'],
        JSON.stringify(f),
      );
      f.tiers.forEach((t, i) => assert.ok(Math.abs(t.share - CONDUIT[i]!.share) < 1e-9, `${n}: ${JSON.stringify(t)}`));
      assert.deepEqual([f.tiers[0]!.min, f.tiers[0]!.max], [0, 5]);
      // Observed extremes: inside the true range, and for 1,000 parents or more, nearly all of it.
      for (const [i, t] of f.tiers.entries()) assert.ok(t.min >= CONDUIT[i]!.min && t.max <= CONDUIT[i]!.max, JSON.stringify(t));
      if (n >= 1000) assert.ok(f.tiers[2]!.max - f.tiers[2]!.min >= 800, JSON.stringify(f.tiers[2]));
      assert.ok(f.ks.parents < 0.05, JSON.stringify(f.ks));
    }
  });

  it('finds one tier where there is one, and two where whales stand apart', () => {
    assert.equal(fitTiers(histogramOf(tiered([{ label: 'x', share: 1, min: 10, max: 20 }], 2000, 'one'))).tiers.length, 1);
    const two = fitTiers(
      histogramOf(
        tiered(
          [
            { label: 'a', share: 0.95, min: 1, max: 3 },
            { label: 'b', share: 0.05, min: 500, max: 600 },
          ],
          2000,
          'two',
        ),
      ),
    );
    assert.deepEqual(
      two.tiers.map((t) => [t.label, t.share, t.min >= 500 || t.max <= 3]),
      [
        ['small', 0.95, true],
        ['whale', 0.05, true],
      ],
    );
  });

  it('recovers a log-normal with the share of parents that have none, its error measured', () => {
    const s = stream('fit', 'lognormal');
    const xs = Array.from({ length: 20_000 }, () => (s() < 0.3 ? 0 : drawLogNormal({ p50: 12, p95: 300, max: 5000 }, s)));
    const f = fitLogNormal(histogramOf(xs));
    assert.ok(Math.abs(f.zero - 0.3) < 0.02, `zero ${f.zero}`);
    assert.ok(Math.abs(f.logNormal.p50 - 12) <= 1, `p50 ${f.logNormal.p50}`);
    assert.ok(Math.abs(f.logNormal.p95 / 300 - 1) < 0.15, `p95 ${f.logNormal.p95}`);
    assert.ok(f.ks.parents < 0.02 && f.ks.children < 0.1, JSON.stringify(f.ks));
    // A wrong fit shows in its error: the same data against a much narrower tail.
    const narrow = fitLogNormal(histogramOf(Array.from({ length: 20_000 }, () => drawLogNormal({ p50: 12, p95: 20, max: 5000 }, s))));
    assert.ok(narrow.logNormal.p95 < 25);
    // conduit's comments: every article has at least one (the domain's log-normal never draws 0).
    const c = fitLogNormal(histogramOf(Array.from({ length: 10_000 }, () => drawLogNormal({ p50: 1, p95: 8, max: 60 }, s))));
    assert.deepEqual([c.logNormal.p50, c.logNormal.p95, c.zero], [1, 8, 0]);
  });

  it("draws what it fitted: a domain's log-normal with its zero share gives the share back", () => {
    const d = defineDomain({
      article: { count: 4000, fields: { t: () => 'x' } },
      comment: { parent: 'article', perParent: { logNormal: { p50: 3, p95: 40, max: 500 }, zero: 0.3 }, fields: { t: () => 'y' } },
    });
    const per = new Map<string, number>();
    for (const r of generateDomain(d, 'zero', 'run'))
      if (r.entity === 'article') per.set(r.path, 0);
      else per.set(r.parentPath!, per.get(r.parentPath!)! + 1);
    const f = fitLogNormal(histogramOf([...per.values()]));
    assert.ok(Math.abs(f.zero - 0.3) < 0.03, `zero ${f.zero}`);
    assert.ok(Math.abs(f.logNormal.p50 - 3) <= 1, `p50 ${f.logNormal.p50}`);
  });

  it('refuses a histogram without parents', () => {
    assert.throws(() => fitTiers([]), /no parent/);
    assert.throws(() => fitLogNormal([[3, 0]]), /no parent/);
  });

  it('builds the domain from a shape: each table under its deepest parent, tiers at the root, rows per profile', () => {
    const col = (name: string) => ({ name, type: 'text', nullable: false, nullShare: 0, distinct: 10, avgBytes: 20, length: { p50: 18, p95: 30 } });
    const shape: DataShape = {
      url: 'postgres://u:***@h/db',
      at: '2026-12-05T00:00:00Z',
      tables: [
        { name: 'public.users', rows: 20_000, key: 'id', columns: [col('username')] },
        { name: 'public.articles', rows: 1_000_000, key: 'id', columns: [col('title')] },
        { name: 'public.comments', rows: 2_000_000, key: 'id', columns: [col('body')] },
      ],
      edges: [
        { child: 'public.articles', column: 'author_id', parent: 'public.users', parentColumn: 'id', histogram: histogramOf(tiered(CONDUIT, 2000, 'shape')), sampled: 0.1 },
        {
          child: 'public.comments',
          column: 'article_id',
          parent: 'public.articles',
          parentColumn: 'id',
          histogram: [
            [0, 300],
            [1, 400],
            [2, 200],
            [9, 100],
          ],
          sampled: 1,
        },
        {
          child: 'public.comments',
          column: 'author_id',
          parent: 'public.users',
          parentColumn: 'id',
          histogram: [
            [0, 10],
            [5, 10],
          ],
          sampled: 1,
        },
      ],
      skipped: [],
    };
    const f = fitShape(shape);
    const [users, articles, comments] = f.tables;
    assert.deepEqual(
      f.tables.map((t) => [t.entity, t.parent, t.via]),
      [
        ['users', undefined, undefined],
        ['articles', 'users', 'author_id'],
        ['comments', 'articles', 'article_id'],
      ],
    );
    assert.equal(users!.tiers?.length, 3);
    assert.deepEqual(Object.keys((articles!.perParent as { byTier: object }).byTier), ['small', 'mid', 'whale']);
    assert.deepEqual(comments!.perParent, { logNormal: { p50: 1, p95: 9, max: 9 }, zero: 0.3 });
    assert.deepEqual(
      comments!.refs.map((r) => [r.column, r.table]),
      [['author_id', 'public.users']],
    );
    // Profiles: the root scaled, each child its parent's rows times the fitted children per parent.
    assert.deepEqual([users!.rows.small, users!.rows.medium, users!.rows.large, users!.rows.production], [100, 1000, 10_000, 20_000]);
    assert.equal(articles!.rows.medium, Math.round(1000 * articles!.fit!.mean));
    assert.equal(comments!.rows.medium, Math.round(articles!.rows.medium * comments!.fit!.mean));
    // Said for a person, and as a module that compiles.
    assert.match(
      formatFit(f),
      /articles \(public\.articles\): 1,000,000 rows; per users \(author_id\), by users's tier: small 90% 0–5, mid 8% 6–\d+, whale 2% [\d,]+–[\d,]+ .*from 10% of users sampled/,
    );
    const code = formatFitModule(f);
    assert.doesNotThrow(() => transformSync(code, { loader: 'ts' }));
    assert.match(code, /perParent: \{ logNormal: \{ p50: 1, p95: 9, max: 9 \}, zero: 0\.3 \} satisfies ChildCount,/);
  });
});
