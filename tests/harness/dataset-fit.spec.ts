/**
 * `pressure dataset fit` as a user runs it, on a suite that is not app/'s: examples/conduit's
 * schema seeded with its own domain (known distributions: 90% of authors with 0–5 articles, 8%
 * with 6–50, 2% whales with 2,000–3,000; comments per article log-normal, median 1, 95th
 * percentile 8, at most 60), then fitted back from the database's aggregates. The parameters come
 * back within the error the README states, the module it writes is the one printed, and bad input
 * is refused before anything is read or written.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { adminQuery, withDatabase } from 'pressure-harness/pg';
import { type FittedShape, seedSql } from 'pressure-harness/seed';
import { domainOf, sqlMapping } from '../../examples/conduit/suite/domain';
import { expect, test } from '../../fixtures';
import { pressure as cli } from '../support/pressure-cli';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const pressure = (...args: string[]) => cli('dataset', 'fit', ...args);

test.describe('fitting a domain to a database', () => {
  test.skip(({ verifyDatabaseUrl }) => !verifyDatabaseUrl, 'needs a PostgreSQL to seed conduit into');

  test("should recover conduit's distributions from aggregates, sampled or not, and refuse bad input", async ({ verifyDatabaseUrl }, testInfo) => {
    test.setTimeout(120_000);
    const name = `conduit_fit_w${testInfo.workerIndex}_${Date.now().toString(36)}`;
    await adminQuery(verifyDatabaseUrl!, `CREATE DATABASE ${name}`);
    const url = withDatabase(verifyDatabaseUrl!, name);
    try {
      const db = new pg.Client({ connectionString: url });
      await db.connect();
      await db.query(readFileSync(path.join(ROOT, 'examples', 'conduit', 'schema.sql'), 'utf8'));
      // 100 authors: exactly 90 small, 8 mid and 2 whales (assignTiers' quotas).
      await seedSql({ databaseUrl: url, domain: domainOf(100), mapping: sqlMapping, seed: 'fit', runId: 'fit-run', ttlSeconds: 600, keep: {} });
      await db.query('ANALYZE');
      await db.end();

      const out = testInfo.outputPath('shape.ts');
      const json = testInfo.outputPath('shape.json');
      const r = await pressure('--from', url, '--out', out, '--json', json);
      await testInfo.attach('dataset fit', { body: r.output, contentType: 'text/plain' });
      expect(r.code, r.output).toBe(0);
      // The password never printed (the user's name may be the same word).
      expect(r.output).not.toContain(`:${new URL(url).password}@`);
      expect(r.output).toContain(':***@');
      const { fitted } = JSON.parse(readFileSync(json, 'utf8')) as { fitted: FittedShape };
      const [users, articles, comments] = ['users', 'articles', 'comments'].map((e) => fitted.tables.find((t) => t.entity === e)!);
      // Tiers: shares exact, each range inside the seeded one (its observed extremes).
      expect(users!.tiers!.map((t) => [t.label, t.share])).toEqual([
        ['small', 0.9],
        ['mid', 0.08],
        ['whale', 0.02],
      ]);
      const [small, mid, whale] = users!.tiers!;
      expect([small!.min, small!.max]).toEqual([0, 5]);
      expect(mid!.min).toBeGreaterThanOrEqual(6);
      expect(mid!.max).toBeLessThanOrEqual(50);
      expect(whale!.min).toBeGreaterThanOrEqual(2000);
      expect(whale!.max).toBeLessThanOrEqual(3000);
      expect(articles!.parent).toBe('users');
      expect(articles!.perParent).toEqual({ byTier: { small: [0, 5], mid: [mid!.min, mid!.max], whale: [whale!.min, whale!.max] } });
      // Comments belong to their article and pick their author.
      expect([comments!.parent, comments!.via, comments!.refs.map((x) => x.column)]).toEqual(['articles', 'article_id', ['author_id']]);
      const ln = (comments!.perParent as { logNormal: { p50: number; p95: number; max: number } }).logNormal;
      expect(ln.p50).toBe(1);
      expect(ln.p95).toBeGreaterThanOrEqual(7);
      expect(ln.p95).toBeLessThanOrEqual(9);
      expect(ln.max).toBeLessThanOrEqual(60);
      expect(comments!.fit!.ks.parents).toBeLessThan(0.05);
      expect(users!.columns.created_at!.spanDays).toBeGreaterThan(100);
      expect(articles!.columns.body!.length!.p95).toBeGreaterThan(articles!.columns.title!.length!.p95);
      // The module is what was printed and fitted: the suite's domain imports it as it is.
      const { shape } = (await import(pathToFileURL(out).href)) as { shape: Record<string, { perParent?: unknown; tiers?: unknown }> };
      expect(shape.comments!.perParent).toEqual(comments!.perParent);
      expect(shape.users!.tiers).toEqual(users!.tiers);

      // Sampled: the articles (over 100) read through TABLESAMPLE, the fit still close.
      const sampled = await pressure('--from', url, '--sample-above', '1000');
      expect(sampled.code, sampled.output).toBe(0);
      expect(sampled.output).toMatch(/comments \(public\.comments\): [\d,]+ rows; per articles \(article_id\), log-normal: median 1, 95th percentile \d+, .*from \d+(\.\d+)?% of articles sampled\)/);

      // Bad input: named, exit 2, nothing read or written.
      const bad = testInfo.outputPath('bad.ts');
      for (const [args, message] of [
        [[], /--from is required: the production database whose shape is fitted/],
        [['--from', 'mysql://u:secret@h/db'], /--from must be a postgres:\/\/ or postgresql:\/\/ URL, got "mysql:\/\/u:\*\*\*@h\/db"/],
        [['--from', url, '--out', 'shape.js'], /--out must name a \.ts file, got "shape\.js"/],
        [['--from', url, '--sample-above', '5'], /--sample-above must be a whole number from 100 to 10000000, got "5"/],
      ] as const) {
        const x = await pressure(...args);
        expect(x.code, x.output).toBe(2);
        expect(x.output).toMatch(message);
      }
      const missing = await pressure('--from', url, '--tables', 'nope', '--out', bad);
      expect(missing.code).toBe(1);
      expect(missing.output).toMatch(/no table "nope" in the database; it has public\.articles, public\.comments, public\.users/);
      const down = await pressure('--from', 'postgres://u:secret@127.0.0.1:9/none', '--out', bad);
      expect(down.code).toBe(1);
      expect(down.output).toMatch(/dataset fit: postgres:\/\/u:\*\*\*@127\.0\.0\.1:9\/none cannot be read/);
      expect(existsSync(bad)).toBe(false);
    } finally {
      await adminQuery(verifyDatabaseUrl!, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  });
});
