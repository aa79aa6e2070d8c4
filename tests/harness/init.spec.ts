/**
 * `pressure init` as a user runs it, on a backend nobody wrote a suite for: examples/conduit
 * (no OpenAPI document, no test endpoints, a token column) on a database of its own, empty. The
 * suite it writes runs green straight away, with no edit: its seed project seeds conduit's
 * tables from the domain read off the catalog, its correctness smoke tests and its perf
 * scenarios run against the routes it saw answering, and the run's rows are gone after it. Run
 * again once the database holds data, init also finds the nested route (comments of an article,
 * by its slug) and writes its scenarios, and with --shape-from the domain takes the tiers fitted
 * from the database's aggregates. Bad flags are refused before anything is written.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { adminQuery, withDatabase } from 'pressure-harness/pg';
import { type Domain, seedSql } from 'pressure-harness/seed';
import { domainOf as conduitDomain, sqlMapping as conduitMapping } from '../../examples/conduit/suite/domain';
import { expect, test } from '../../fixtures';
import { freePort, startAppProcess, waitHealthy } from '../../scripts/app-process';
import { pressure } from '../support/pressure-cli';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** The written suite's Playwright run, as a user starts it: its exit code and output. */
function playwright(config: string, project: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  // Nothing of this run's settings: the written suite reads its own .env, which the environment would override.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(BASE_URL|DATABASE_URL|AUTH_SCHEME|HEALTH_PATH|METRICS_PATH|TEST_SERVICE_TOKEN|RUN_ID|PERF_BASELINE|SEED|WORKERS)$/.test(k)),
  );
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'node_modules', '@playwright', 'test', 'cli.js'), 'test', '-c', config, `--project=${project}`, '--reporter=line'], {
      cwd: ROOT,
      env: { ...inherited, CI: '1', PLAYWRIGHT_HTML_OPEN: 'never', FORCE_COLOR: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

test.describe('pressure init', () => {
  test.skip(({ verifyDatabaseUrl }) => !verifyDatabaseUrl, 'needs a PostgreSQL to give conduit a database of its own');

  test('should write a suite for conduit that runs green with no edit, leaves nothing behind, and refuse bad flags', async ({ verifyDatabaseUrl }, testInfo) => {
    test.setTimeout(300_000);
    const name = `conduit_init_w${testInfo.workerIndex}_${Date.now().toString(36)}`;
    await adminQuery(verifyDatabaseUrl!, `CREATE DATABASE ${name}`);
    const url = withDatabase(verifyDatabaseUrl!, name);
    const port = await freePort();
    const conduit = startAppProcess({ PORT: String(port), DATABASE_URL: url }, ROOT, 'examples/conduit/server.ts');
    const baseUrl = `http://127.0.0.1:${port}/api`;
    try {
      await waitHealthy(conduit, baseUrl, 60_000, '/ping');

      // Bad input: refused, naming what is wrong, nothing written.
      const out = testInfo.outputPath('suite');
      const bad = await pressure('init', '--base-url', 'localhost:3000', '--database-url', 'mysql://x', '--roots', 'a b', '--out', out);
      expect(bad.code, bad.output).toBe(2);
      expect(bad.output).toMatch(/--base-url must be an http:\/\/ or https:\/\/ URL, got "localhost:3000"/);
      expect(bad.output).toMatch(/--database-url must be a postgres:\/\/ or postgresql:\/\/ URL/);
      expect(bad.output).toMatch(/--roots must be comma-separated table names/);
      expect(existsSync(out)).toBe(false);
      const down = await pressure('init', '--base-url', `http://127.0.0.1:${await freePort()}`, '--database-url', url, '--out', out);
      expect(down.code, down.output).toBe(1);
      expect(down.output).toMatch(/nothing answers at http:\/\/127\.0\.0\.1:\d+ .*start the backend first/);
      expect(existsSync(out)).toBe(false);

      // The empty database: the domain from the catalog, the routes seen answering.
      const r = await pressure('init', '--base-url', baseUrl, '--database-url', url, '--out', out, '--auth-scheme', 'Token');
      await testInfo.attach('init', { body: r.output, contentType: 'text/plain' });
      expect(r.code, r.output).toBe(0);
      expect(r.output).toContain('domain: users (public.users, a root');
      expect(r.output).toMatch(/articles \(public\.articles under users/);
      expect(r.output).toMatch(/comments \(public\.comments under articles/);
      expect(r.output).toContain('GET/POST /articles (paged) (credential)');
      expect(r.output).not.toContain(`:${new URL(url).password}@`);
      const domain = readFileSync(path.join(out, 'domain.ts'), 'utf8');
      expect(domain).toMatch(/author_id: \(\{ pick \}\) => pick\('users'\)/);
      expect(domain).toMatch(/CREDENTIAL = \{ entity: 'users', of: credentialOf \}/);
      expect(domain).toMatch(/token: \(\{ runId, path \}\) => credentialOf\(runId, path\)/);
      expect(readdirSync(path.join(out, 'tests', 'perf')).sort()).toEqual(['articles-deep_pagination.spec.ts']);
      // Again into the same folder: refused, the suite untouched.
      const again = await pressure('init', '--base-url', baseUrl, '--database-url', url, '--out', out);
      expect(again.code).toBe(2);
      expect(again.output).toMatch(/exists and is not empty: init writes a new folder, never over your files/);

      // Run as written: correctness, then perf, each a run of its own.
      const config = path.join(out, 'playwright.config.ts');
      const env = { PERF_RESULTS_DIR: testInfo.outputPath('perf-results') };
      const correctness = await playwright(config, 'correctness', env);
      await testInfo.attach('correctness', { body: correctness.output, contentType: 'text/plain' });
      expect(correctness.code, correctness.output).toBe(0);
      expect(correctness.output).toMatch(/\b4 passed\b/);
      const perf = await playwright(config, 'perf', env);
      await testInfo.attach('perf', { body: perf.output, contentType: 'text/plain' });
      expect(perf.code, perf.output).toBe(0);
      expect(perf.output).toMatch(/\b2 passed\b/);
      // Every run's rows removed: conduit's tables as empty as before.
      const db = new pg.Client({ connectionString: url });
      await db.connect();
      try {
        const { rows } = await db.query<{ n: number }>('SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM articles) + (SELECT count(*) FROM comments) AS n');
        expect(Number(rows[0]!.n)).toBe(0);

        // A database with data, standing in for production too: conduit's own domain, 100 authors: exactly 90 small, 8 mid, 2 whales.
        await seedSql({ databaseUrl: url, domain: conduitDomain(100), mapping: conduitMapping, seed: 'prod', runId: 'prod-data', ttlSeconds: 600, keep: {} });
        await db.query('ANALYZE');
      } finally {
        await db.end();
      }
      const seeded = testInfo.outputPath('suite-seeded');
      const r2 = await pressure('init', '--base-url', baseUrl, '--database-url', url, '--out', seeded, '--auth-scheme', 'Token', '--shape-from', url);
      await testInfo.attach('init (seeded database, shaped)', { body: r2.output, contentType: 'text/plain' });
      expect(r2.code, r2.output).toBe(0);
      expect(r2.output).toMatch(/shape: 3 tables fitted from postgres:\/\/.*:\*\*\*@.*'s aggregates into shape\.ts/);
      // The domain takes production's tiers and tails from shape.ts: conduit's 90/8/2 authors come back.
      const { domainOf: shaped } = (await import(pathToFileURL(path.join(seeded, 'domain.ts')).href)) as { domainOf: (n: number) => Domain };
      const d = shaped(100);
      expect(d.entities.users!.tiers!.map((t) => [t.label, t.share])).toEqual([
        ['small', 0.9],
        ['mid', 0.08],
        ['whale', 0.02],
      ]);
      expect(Object.keys(d.entities.comments!.perParent as object)).toContain('logNormal');
      expect(r2.output).toContain('GET/POST /articles/{slug}/comments (paged)');
      expect(readdirSync(path.join(seeded, 'tests', 'perf')).sort()).toEqual([
        'articles-deep_pagination.spec.ts',
        'comments-deep_pagination_articles.spec.ts',
        'comments-whale_vs_small_articles.spec.ts',
      ]);
    } finally {
      await conduit.stop();
      await adminQuery(verifyDatabaseUrl!, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  });
});
