/**
 * `pressure dataset import` on app/'s own schema, the hardest one here: tables partitioned by
 * run, keyed (id, test_run_id), related by foreign keys declared on partitions only, tokens kept
 * as sha256 bytes. A database standing in for production (app/'s migrations, then real rows with
 * personal-looking names, emails, token digests and emails inside comment bodies) gives a subset
 * to another database of the same schema: every reference of it resolves, no original email,
 * name or token digest is left anywhere, and the SQL adapter's cleanup by the run's ID removes it
 * all, the partition it made for the run included.
 */
import { createHash } from 'node:crypto';
import { readSubset } from 'pressure-harness/pg';
import { importPlan, sqlResources } from 'pressure-harness/seed';
import { expect, test } from '../../fixtures';
import { pressure as cli } from '../support/pressure-cli';
import { query, withScratchDatabase } from '../support/scratch-db';

const pressure = (...args: string[]) => cli('dataset', 'import', ...args);

test.describe("importing a subset of app/'s own schema", () => {
  test.skip(({ verifyDatabaseUrl }) => !verifyDatabaseUrl, 'needs a PostgreSQL for both databases');

  test('should load a subset whose references resolve, with no original personal value, removed by its run', async ({ verifyDatabaseUrl }, testInfo) => {
    test.setTimeout(120_000);
    const tag = `w${testInfo.workerIndex}_${Date.now().toString(36)}`;
    // Two databases migrated like app/'s, removed after (tests/support/scratch-db.ts).
    await withScratchDatabase(verifyDatabaseUrl!, `app_prod_${tag}`, (_prod, prod) =>
      withScratchDatabase(verifyDatabaseUrl!, `app_test_${tag}`, async (_dest, dest) => {
        // Production's own rows (test_run_id ''): 20 accounts, the first a whale of 30 projects.
        await query(
          prod,
          `INSERT INTO accounts (name, email) SELECT 'Alice Smith ' || i, 'alice.' || i || '@gmail.com' FROM generate_series(1, 20) i;
         INSERT INTO api_tokens (account_id, token_hash) SELECT id, sha256(convert_to('pst_secret_' || id || '_' || k, 'UTF8')) FROM accounts, generate_series(1, 2) k;
         INSERT INTO projects (account_id, name) SELECT id, 'Project ' || k || ' of ' || name FROM accounts, generate_series(1, CASE WHEN email = 'alice.1@gmail.com' THEN 30 ELSE 2 END) k;
         INSERT INTO items (project_id, account_id, title, body, state, published_at)
           SELECT p.id, p.account_id, 'Item ' || k, 'Write to ' || a.email || ' about it', CASE WHEN k = 1 THEN 'published' ELSE 'draft' END, CASE WHEN k = 1 THEN now() END
             FROM projects p JOIN accounts a ON a.id = p.account_id, generate_series(1, 3) k;
         INSERT INTO comments (item_id, account_id, author, body) SELECT i.id, i.account_id, 'Bob Jones', 'Call +1 415 555 0' || i.id % 1000 || ' or mail bob.' || i.id || '@yahoo.com' FROM items i;
         ANALYZE;`,
        );
        const originals = {
          emails: (await query<{ v: string }>(prod, 'SELECT email AS v FROM accounts')).map((r) => r.v),
          names: (await query<{ v: string }>(prod, 'SELECT name AS v FROM accounts')).map((r) => r.v),
          tokens: (await query<{ v: string }>(prod, "SELECT encode(token_hash, 'hex') AS v FROM api_tokens")).map((r) => r.v),
        };

        const runId = `import-app-${tag.replace(/_/g, '-')}`;
        const r = await pressure('--from', prod, '--to', dest, '--subset', 'public.accounts=50%+whales:1', '--run-id', runId);
        await testInfo.attach('dataset import', { body: r.output, contentType: 'text/plain' });
        expect(r.code, r.output).toBe(0);
        expect(r.output).toMatch(/token_hash: token \(bytes named token_hash\)/);
        expect(r.output).toMatch(/checked: none of [\d,]+ original values of the anonymized columns appears in them/);

        // Every reference of the run's rows resolves to a row of the run (the partitions it was written
        // into carry no foreign keys of their own: checked here).
        const dangling = await query<{ n: number }>(
          dest,
          `SELECT ((SELECT count(*) FROM projects p WHERE p.test_run_id = $1 AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = p.account_id AND a.test_run_id = $1))
              + (SELECT count(*) FROM api_tokens t WHERE t.test_run_id = $1 AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = t.account_id AND a.test_run_id = $1))
              + (SELECT count(*) FROM items i WHERE i.test_run_id = $1 AND NOT EXISTS (SELECT 1 FROM projects p WHERE p.id = i.project_id AND p.test_run_id = $1 AND p.account_id = i.account_id))
              + (SELECT count(*) FROM comments c WHERE c.test_run_id = $1 AND NOT EXISTS (SELECT 1 FROM items i WHERE i.id = c.item_id AND i.test_run_id = $1)))::int AS n`,
          [runId],
        );
        expect(dangling).toEqual([{ n: 0 }]);
        const [counts] = await query<{ accounts: number; projects: number; comments: number }>(
          dest,
          'SELECT (SELECT count(*) FROM accounts WHERE test_run_id = $1)::int AS accounts, (SELECT count(*) FROM projects WHERE test_run_id = $1)::int AS projects, (SELECT count(*) FROM comments WHERE test_run_id = $1)::int AS comments',
          [runId],
        );
        expect(counts!.accounts).toBeGreaterThanOrEqual(10);
        expect(counts!.projects, 'the whale came along').toBeGreaterThanOrEqual(30);
        expect(counts!.comments).toBeGreaterThan(0);

        // No original email, name or token digest anywhere, nor an original email inside a text.
        const [left] = await query<{ emails: number; names: number; tokens: number; inside: number }>(
          dest,
          `SELECT (SELECT count(*) FROM accounts WHERE email = ANY($1))::int AS emails, (SELECT count(*) FROM accounts WHERE name = ANY($2))::int AS names,
                (SELECT count(*) FROM api_tokens WHERE encode(token_hash, 'hex') = ANY($3))::int AS tokens,
                ((SELECT count(*) FROM items WHERE body ~ '@gmail\\.com') + (SELECT count(*) FROM comments WHERE body ~ '@yahoo\\.com|555 0'))::int AS inside`,
          [originals.emails, originals.names, originals.tokens],
        );
        expect(left).toEqual({ emails: 0, names: 0, tokens: 0, inside: 0 });
        expect(originals.tokens[0]).toBe(createHash('sha256').update('pst_secret_1_1').digest('hex'));

        // Removed by its run ID, as any seeded run: the SQL adapter's cleanup over the same tables.
        const plan = importPlan(await readSubset(prod, { roots: [{ table: 'public.accounts', share: 0.5, whales: 1 }], maxRows: 50_000 }), { secret: 'x'.repeat(32) });
        const resources = sqlResources({ databaseUrl: dest, domain: plan.domain, mapping: plan.mapping });
        expect(await resources.cleanup(runId)).toBeGreaterThan(0);
        expect(await resources.remaining(runId)).toEqual({});
        const [after] = await query<{ rows: number; partitions: number }>(
          dest,
          `SELECT (SELECT count(*) FROM accounts WHERE test_run_id = $1)::int + (SELECT count(*) FROM comments WHERE test_run_id = $1)::int AS rows,
                (SELECT count(*) FROM pg_class WHERE relname ~ '_pr_[0-9a-f]{12}$')::int AS partitions`,
          [runId],
        );
        expect(after).toEqual({ rows: 0, partitions: 0 });
      }),
    );
  });
});
