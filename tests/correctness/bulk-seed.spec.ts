/**
 * The bulk seeding endpoints datasets are written through (app/routes/internal/bulk.ts): rows
 * in COPY text go into the run's partition, every bad body is refused with a message naming the
 * table, line and column and what is accepted, and a refused request writes nothing.
 */
import pg from 'pg';
import { expect, test } from '../../fixtures';
import { partitionName } from '../../app/sql/partitions';
import { BULK_COLUMNS } from '../../app/sql/bulk';
import { copyRow } from 'pressure-harness/seed';
import type { SeedClient } from '../../seed/client';

const TSV = { 'content-type': 'text/tab-separated-values' };

/** One bare account of the run, and the expiry its rows carry. */
async function owner(seedClient: SeedClient, runId: string) {
  const [account] = await seedClient.bulkAccounts({ runId, ttlSeconds: 600, accounts: [{ name: 'Bulk Owner', email: `bulk@${runId}.test.invalid` }] });
  return { account: account!, expires: new Date(Date.now() + 600_000).toISOString() };
}

test.describe('bulk seeding', () => {
  test.skip(({ referenceApp }) => !referenceApp, 'app/ offers the bulk endpoints');

  test('should write rows given as COPY text, tagged with the run, and find every reference intact', async ({ testService, seedClient, run, verifyDatabaseUrl }) => {
    const runId = `${run.runId}-bulk-ok`;
    const autovacuumOff = async () => {
      const db = new pg.Client({ connectionString: verifyDatabaseUrl });
      await db.connect();
      try {
        const { rows } = await db.query<{ off: boolean }>(`SELECT coalesce('autovacuum_enabled=false' = ANY(reloptions), false) AS off FROM pg_class WHERE relname = $1`, [
          partitionName('items', runId),
        ]);
        return rows[0]!.off;
      } finally {
        await db.end();
      }
    };
    try {
      await seedClient.bulkBegin(runId);
      if (verifyDatabaseUrl) expect(await autovacuumOff(), 'autovacuum paused while loading').toBe(true);
      const { account, expires } = await owner(seedClient, runId);
      const ids = await seedClient.bulkIds(runId, { projects: 1, items: 2 });
      const [projectId] = ids.projects[0]!;
      const [first, last] = ids.items[0]!;
      expect(Number(last) - Number(first)).toBe(1);
      const project = copyRow([projectId, account.id, 'Tab\tand newline\nin a name', 'A description', '2024-05-01T10:00:00Z', '2024-05-01T10:00:00Z', runId, expires]);
      const items = [first, last]
        .map((id, k) => copyRow([id, projectId, account.id, `Item ${k}`, 'Body\\with a backslash', 'draft', '2024-05-02T10:00:00Z', '2024-05-02T10:00:00Z', null, null, runId, expires]))
        .join('');
      await seedClient.bulkRows('projects', { runId, ttlSeconds: 600, rows: 1 }, Buffer.from(project));
      await seedClient.bulkRows('items', { runId, ttlSeconds: 600, rows: 2 }, Buffer.from(items));
      await seedClient.bulkVerify(runId);
      if (verifyDatabaseUrl) expect(await autovacuumOff(), 'autovacuum back on once the dataset is complete').toBe(false);

      const rows = await seedClient.runRows(runId);
      expect(rows.total).toBe(5); // account, token, project, two items
      // What was written reads back as sent: escapes undone, the owner's token works.
      const res = await testService.get(`/v1/projects/${projectId}`, { headers: { authorization: `Bearer ${account.token}` } });
      expect(res.status()).toBe(200);
      expect((await res.json()).name).toBe('Tab\tand newline\nin a name');
    } finally {
      await seedClient.cleanup(runId);
    }
  });

  test('should refuse bad rows with the table, line, column and the columns it accepts, and write none of them', async ({ testService, seedClient, run }) => {
    const runId = `${run.runId}-bulk-bad`;
    try {
      const { account, expires } = await owner(seedClient, runId);
      const ok = copyRow(['1', account.id, 'sometag', runId, expires]);
      const post = (table: string, body: string, rows: number, headers: Record<string, string> = TSV) =>
        testService.post(`/internal/test/bulk/rows/${table}`, { params: { runId, ttlSeconds: '600', rows: String(rows) }, headers, data: Buffer.from(body), failOnStatusCode: false });

      const badLine = await post('tags', `${ok}2\t${account.id}\n`, 2);
      expect(badLine.status()).toBe(400);
      const body = await badLine.json();
      expect(body.code).toBe('VALIDATION_FAILED');
      expect(body.message).toContain('tags (line 2');
      expect(body.message).toContain(BULK_COLUMNS.tags.join(', '));

      const badValue = await post('items', copyRow(['1', '1', account.id, 't', 'b', 'sleeping', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', null, null, runId, expires]), 1);
      expect(badValue.status()).toBe(400);
      expect((await badValue.json()).message).toMatch(/items .*line 1/);

      const otherRun = await post('tags', copyRow(['3', account.id, 'x', `${runId}-other`, expires]), 1);
      expect(otherRun.status()).toBe(400);
      expect((await otherRun.json()).message).toContain('test_run_id must be the run ID the request names');

      const miscounted = await post('tags', ok, 2);
      expect(miscounted.status()).toBe(400);
      expect((await miscounted.json()).message).toContain('rows=2, the body holds 1');

      const json = await post('tags', ok, 1, { 'content-type': 'application/json' });
      expect(json.status()).toBe(415);

      const table = await post('users', ok, 1);
      expect(table.status()).toBe(400);
      expect((await table.json()).message).toContain('params.table');

      const noRows = await testService.post('/internal/test/bulk/rows/tags', { params: { runId, ttlSeconds: '600' }, headers: TSV, data: Buffer.from(ok), failOnStatusCode: false });
      expect(noRows.status()).toBe(400);
      expect((await noRows.json()).message).toContain('rows');

      // Nothing of any refused request was written: the account and its token only.
      expect((await seedClient.runRows(runId)).total).toBe(2);
    } finally {
      await seedClient.cleanup(runId);
    }
  });

  test('should name the broken references of a run, and answer 404 for a run without rows', async ({ testService, seedClient, run }) => {
    const runId = `${run.runId}-bulk-refs`;
    try {
      const { account, expires } = await owner(seedClient, runId);
      const [[itemId]] = (await seedClient.bulkIds(runId, { items: 1 })).items as [[string, string]];
      // An item whose project was never written: COPY takes it (keys are checked set-based at the end).
      await seedClient.bulkRows(
        'items',
        { runId, ttlSeconds: 600, rows: 1 },
        Buffer.from(copyRow([itemId, '999999999', account.id, 't', 'b', 'draft', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', null, null, runId, expires])),
      );
      const verify = await testService.post('/internal/test/bulk/verify', { data: { runId }, failOnStatusCode: false });
      expect(verify.status()).toBe(409);
      expect((await verify.json()).message).toContain('1 items row(s) whose project_id has no projects row');

      // Projects with a gap in their ids (the first and third of three reserved), and items that
      // refer to each of the three: only the one whose project is the gap is broken, though its
      // value lies between the first and the last project's.
      const idsOf = (ranges: [string, string][]) => ranges.flatMap(([a, b]) => Array.from({ length: Number(BigInt(b) - BigInt(a)) + 1 }, (_, k) => String(BigInt(a) + BigInt(k))));
      const projects = idsOf((await seedClient.bulkIds(runId, { projects: 3 })).projects);
      const project = (id: string) => copyRow([id, account.id, `P${id}`, 'd', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', runId, expires]);
      await seedClient.bulkRows('projects', { runId, ttlSeconds: 600, rows: 2 }, Buffer.from(project(projects[0]!) + project(projects[2]!)));
      const items = idsOf((await seedClient.bulkIds(runId, { items: 3 })).items);
      const item = (id: string, projectId: string) => copyRow([id, projectId, account.id, 't', 'b', 'draft', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', null, null, runId, expires]);
      await seedClient.bulkRows('items', { runId, ttlSeconds: 600, rows: 3 }, Buffer.from(items.map((id, k) => item(id, projects[k]!)).join('')));
      const gap = await testService.post('/internal/test/bulk/verify', { data: { runId }, failOnStatusCode: false });
      expect(gap.status()).toBe(409);
      expect((await gap.json()).message).toContain('2 items row(s) whose project_id has no projects row');

      const none = await testService.post('/internal/test/bulk/verify', { data: { runId: `${runId}-none` }, failOnStatusCode: false });
      expect(none.status()).toBe(404);

      const tooMany = await testService.post('/internal/test/bulk/ids', { data: { runId, counts: { items: 5_000_000 } }, failOnStatusCode: false });
      expect(tooMany.status()).toBe(400);
      expect((await tooMany.json()).message).toMatch(/items.*2000000/);
    } finally {
      await seedClient.cleanup(runId);
    }
  });
});
