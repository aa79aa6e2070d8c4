import { seedApi } from 'pressure-harness/seed';
import { seedSql } from 'pressure-harness/seed';
import { apiMapping } from '../../domain.js';
import { expect, ledgerDir, resources, test } from '../../fixtures.js';

test.describe('seeding adapters', () => {
  test('should seed the declared domain through the public API, then remove all of it by run', async ({ run, databaseUrl, authScheme }, testInfo) => {
    const scratch = `${run.runId}-api`;
    const baseUrl = testInfo.project.use.baseURL!;
    const { domain, sql, api } = resources({ databaseUrl, baseURL: baseUrl, authScheme, authors: 5 });
    const r = await seedApi({ domain, seed: run.seed, runId: scratch, ttlSeconds: 600, baseUrl, auth: authScheme, api: apiMapping, ledgerDir, ...(sql && { recordKeys: sql.recordKeys }) });
    expect(r.rows.author).toBe(5);
    const total = Object.values(r.rows).reduce((a, b) => a + b, 0);
    expect(await api.cleanup(scratch)).toBeGreaterThanOrEqual(total);
    expect(await api.remaining(scratch)).toEqual({});
  });

  test('should refuse a mapping that does not fit the schema, naming every problem, and write nothing', async ({ run, databaseUrl, authors, authScheme }, testInfo) => {
    test.skip(!databaseUrl, 'needs DATABASE_URL');
    const { domain, sql } = resources({ databaseUrl, baseURL: testInfo.project.use.baseURL!, authScheme, authors });
    const mapping = { author: { table: 'users' }, article: { table: 'posts' }, comment: { table: 'comments', columns: { body: 'text' } } };
    const seeding = seedSql({ databaseUrl: databaseUrl!, domain, mapping, seed: run.seed, runId: `${run.runId}-bad`, ttlSeconds: 60 });
    await expect(seeding).rejects.toThrow(
      /3 problems\)\n {2}- article: table "posts" does not exist\n {2}- comment: "comments" needs a foreign key to "posts".*\n {2}- comment\.body: no column "text" in comments/,
    );
    expect(await sql!.remaining(`${run.runId}-bad`)).toEqual({});
  });
});
