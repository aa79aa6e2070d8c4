/**
 * `pressure dataset import` as a user runs it: a database standing in for production (conduit's
 * schema, seeded by its domain, its users then given personal-looking emails and bios with phone
 * numbers), a subset of it imported into another database as a run: every foreign key resolves,
 * no original email, username or token is left anywhere in it, and conduit's own suite cleans it
 * up by its run ID like any seeded run; or saved as a dataset (`--name`) that restores like the others.
 * Bad input is refused before anything is read or written.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { adminQuery, withDatabase } from 'pressure-harness/pg';
import { seedSql, sqlResources } from 'pressure-harness/seed';
import { domainOf, sqlMapping } from '../../examples/conduit/suite/domain';
import { expect, test } from '../../fixtures';
import { pressure as cli } from '../support/pressure-cli';
import { query } from '../support/scratch-db';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const pressure = (...args: string[]) => cli('dataset', 'import', ...args);

test.describe('importing an anonymized subset of production', () => {
  test.skip(({ verifyDatabaseUrl }) => !verifyDatabaseUrl, 'needs a PostgreSQL for both databases');

  test('should load a consistent subset with no original personal value, tagged as a run its suite cleans up', async ({ verifyDatabaseUrl }, testInfo) => {
    test.setTimeout(120_000);
    const tag = `w${testInfo.workerIndex}_${Date.now().toString(36)}`;
    const [prodDb, testDb] = [`conduit_prod_${tag}`, `conduit_test_${tag}`];
    const dsName = `imported_${tag}`;
    const [prod, dest] = [withDatabase(verifyDatabaseUrl!, prodDb), withDatabase(verifyDatabaseUrl!, testDb)];
    const schema = readFileSync(path.join(ROOT, 'examples', 'conduit', 'schema.sql'), 'utf8');
    try {
      for (const db of [prodDb, testDb]) await adminQuery(verifyDatabaseUrl!, `CREATE DATABASE ${db}`);
      for (const url of [prod, dest]) await query(url, schema);
      await seedSql({ databaseUrl: prod, domain: domainOf(30), mapping: sqlMapping, seed: 'prod', runId: 'prod-data', ttlSeconds: 600, keep: {} });
      // Personal-looking: real-shaped addresses, and phone numbers in bios.
      await query(prod, `UPDATE users SET email = lower(regexp_replace(username, '_.*$', '')) || '.' || id || '@gmail.com', bio = 'Call me on +1 415 555 ' || lpad(id::text, 4, '0') || '. ' || bio`);
      await query(prod, 'ANALYZE');
      const originals = (await query(prod, 'SELECT email, username, token, password_hash FROM users')) as Record<string, string>[];

      // Bad input: named, exit 2, nothing read.
      for (const [args, message] of [
        [['--from', prod, '--to', dest], /import needs --subset/],
        [['--from', prod, '--to', dest, '--subset', 'users'], /--subset "users" names no share, filter or whales/],
        [['--from', prod, '--to', dest, '--subset', 'users=10%', '--mask', 'users.email=scramble'], /--mask must be table\.column=kind or column=kind, kind one of email, name/],
        [['--from', prod, '--to', dest, '--subset', 'users=10%', '--run-id', 'Bad_ID'], /--run-id must be 4-64 lowercase letters/],
        [
          ['--from', prod, '--to', dest, '--subset', 'users=10%', '--secret-env', 'NO_SUCH_VARIABLE_SET'],
          /--secret-env NO_SUCH_VARIABLE_SET: the variable must hold a key of 16 characters or more; it is not set/,
        ],
      ] as const) {
        const x = await pressure(...args);
        expect(x.code, x.output).toBe(2);
        expect(x.output).toMatch(message);
      }
      // Too large a subset: stopped while reading, nothing loaded.
      const big = await pressure('--from', prod, '--to', dest, '--subset', 'users=100%', '--max-rows', '50');
      expect(big.code, big.output).toBe(1);
      expect(big.output).toMatch(/the subset passed 50 rows \(--max-rows\)/);
      expect(await query(dest, 'SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM articles)::int AS articles')).toEqual([{ users: 0, articles: 0 }]);

      const runId = `import-${tag.replace(/_/g, '-')}`;
      const json = testInfo.outputPath('import.json');
      const r = await pressure('--from', prod, '--to', dest, '--subset', 'users=30%+whales:1', '--run-id', runId, '--json', json);
      await testInfo.attach('dataset import', { body: r.output, contentType: 'text/plain' });
      expect(r.code, r.output).toBe(0);
      expect(r.output).toMatch(/email: email \(named email\)/);
      expect(r.output).toMatch(/bio: text/);
      expect(r.output).toMatch(/checked: none of [\d,]+ original values of the anonymized columns appears in them/);
      const report = JSON.parse(readFileSync(json, 'utf8')) as { report: { tables: { table: string; rows: number }[] } };
      const counts = Object.fromEntries(report.report.tables.map((t) => [t.table, t.rows]));
      expect(counts['public.articles']).toBeGreaterThan(0);
      expect(await query(dest, 'SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM articles)::int AS articles, (SELECT count(*) FROM comments)::int AS comments')).toEqual([
        { users: counts['public.users'], articles: counts['public.articles'], comments: counts['public.comments'] },
      ]);
      // Every foreign key resolves (the constraints hold them; checked here all the same).
      expect(
        await query(
          dest,
          `SELECT (SELECT count(*) FROM articles a WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = a.author_id))::int AS articles,
                  (SELECT count(*) FROM comments c WHERE NOT EXISTS (SELECT 1 FROM articles a WHERE a.id = c.article_id) OR NOT EXISTS (SELECT 1 FROM users u WHERE u.id = c.author_id))::int AS comments`,
        ),
      ).toEqual([{ articles: 0, comments: 0 }]);
      // No original email, username, token or hash anywhere in the database loaded into.
      for (const column of ['email', 'username', 'token', 'password_hash']) {
        const values = originals.map((o) => o[column]!);
        expect(await query(dest, `SELECT count(*)::int AS n FROM users WHERE ${column} = ANY($1)`, [values])).toEqual([{ n: 0 }]);
      }
      const texts = (await query(dest, "SELECT string_agg(bio, ' ') AS t FROM users")) as { t: string }[];
      expect(texts[0]!.t).not.toMatch(/gmail\.com|555 \d{4}/);
      // Shapes kept: an email is an email, a token as long as before.
      expect(((await query(dest, "SELECT count(*)::int AS n FROM users WHERE email !~ '^[a-z0-9._-]+@example\\.com$'")) as { n: number }[])[0]!.n).toBe(0);
      expect(await query(dest, 'SELECT DISTINCT length(password_hash) AS n FROM users')).toEqual([{ n: 64 }]);

      // Cleaned up by run, by conduit's own suite, like any seeded run.
      const resources = sqlResources({ databaseUrl: dest, domain: domainOf(30), mapping: sqlMapping });
      expect(await resources.cleanup(runId)).toBe(counts['public.users']! + counts['public.articles']! + counts['public.comments']!);
      expect(Object.values(await resources.remaining(runId)).reduce((a, b) => a + b, 0)).toBe(0);
      expect(await query(dest, 'SELECT (SELECT count(*) FROM users)::int + (SELECT count(*) FROM articles)::int + (SELECT count(*) FROM comments)::int AS n')).toEqual([{ n: 0 }]);

      // Saved as a dataset: a copy of the database loaded into, the subset in it for good, restored like any other.
      const saved = await pressure('--from', prod, '--to', dest, '--subset', 'users=30%', '--run-id', `${runId}-s`, '--name', dsName);
      await testInfo.attach('dataset import --name', { body: saved.output, contentType: 'text/plain' });
      expect(saved.code, saved.output).toBe(0);
      expect(saved.output).toContain(`dataset: saved the imported subset as ${dsName} (database pressure_ds_${dsName}, run ${runId}-s)`);
      expect(await query(dest, 'SELECT count(*)::int AS n FROM users'), 'the database loaded into is left as it was').toEqual([{ n: 0 }]);
      const [meta] = (await query(verifyDatabaseUrl!, `SELECT shobj_description(oid, 'pg_database') AS c FROM pg_database WHERE datname = $1`, [`pressure_ds_${dsName}`])) as { c: string }[];
      expect(JSON.parse(meta!.c)).toMatchObject({ name: dsName, runId: `${runId}-s`, config: expect.stringMatching(/^dataset import from postgres:\/\/.*:\*\*\*@/) });
      await adminQuery(verifyDatabaseUrl!, `CREATE DATABASE ${dsName}_copy TEMPLATE pressure_ds_${dsName}`);
      const copy = withDatabase(verifyDatabaseUrl!, `${dsName}_copy`);
      expect(((await query(copy, 'SELECT count(*)::int AS n FROM users')) as { n: number }[])[0]!.n).toBeGreaterThan(0);
      expect(await query(copy, `SELECT count(*)::int AS n FROM pressure_ledger WHERE run_id = $1 AND expires_at <> 'infinity'`, [`${runId}-s`]), 'kept for good: no reaper takes them').toEqual([
        { n: 0 },
      ]);
      const again = await pressure('--from', prod, '--to', dest, '--subset', 'users=30%', '--name', dsName);
      expect(again.code, again.output).toBe(1);
      expect(again.output).toMatch(new RegExp(`"${dsName}" exists .*pass --force`));
    } finally {
      for (const db of [prodDb, testDb, `pressure_ds_${dsName}`, `${dsName}_copy`]) await adminQuery(verifyDatabaseUrl!, `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    }
  });
});
