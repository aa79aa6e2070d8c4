import pg from 'pg';
import { expect, test } from '../../fixtures';
import { censusInDatabase, total } from 'pressure-harness/seed';
import { buildAccount, TINY_ACCOUNT } from '../../seed/factories';

const shape = { ...TINY_ACCOUNT, projects: 2, itemsPerProject: 5, commentDepth: 2, attachmentRate: 0.5, tagsPerItem: 2 };

test.describe('cleanup by run', () => {
  test("should remove every row of a run and none of another run's", async ({ seedClient, run, verifyDatabaseUrl }) => {
    const [doomed, kept] = [`${run.runId}-doomed`, `${run.runId}-kept`];
    try {
      for (const runId of [doomed, kept]) {
        for (const n of [0, 1]) await seedClient.seedAccount(buildAccount({ seed: run.seed, runId, ttlSeconds: 600, path: `cleanup/${n}`, shape }));
      }
      const keptBefore = await seedClient.runRows(kept);
      expect(keptBefore.rows).toMatchObject({ accounts: 2, projects: 4, items: 20 });

      const { deleted, remaining } = await seedClient.cleanup(doomed);
      expect(total(deleted)).toBe(keptBefore.total); // same shape, same seed paths, same row count
      expect(total(remaining)).toBe(0);
      expect(await seedClient.runRows(kept)).toEqual(keptBefore);
      if (verifyDatabaseUrl) expect(total(await censusInDatabase(verifyDatabaseUrl, doomed))).toBe(0);
    } finally {
      await seedClient.cleanup(doomed);
      await seedClient.cleanup(kept);
    }
  });

  test('should remove only the named account when cleaning up by run and account', async ({ seedClient, run }) => {
    const scratch = `${run.runId}-acct`;
    try {
      const a = await seedClient.seedAccount(buildAccount({ seed: run.seed, runId: scratch, ttlSeconds: 600, path: 'a', shape }));
      const b = await seedClient.seedAccount(buildAccount({ seed: run.seed, runId: scratch, ttlSeconds: 600, path: 'b', shape }));
      await seedClient.cleanup(scratch, a.account.id);
      const left = await seedClient.runRows(scratch);
      expect(left.total).toBe(total(b.rows));
    } finally {
      await seedClient.cleanup(scratch);
    }
  });

  test("should tag rows a test account creates through the public API with the account's run", async ({ seedClient, run, apiFor }) => {
    const scratch = `${run.runId}-public`;
    try {
      const seeded = await seedClient.seedAccount(buildAccount({ seed: run.seed, runId: scratch, ttlSeconds: 600, path: 'p', shape: TINY_ACCOUNT }));
      const api = await apiFor({ ...seeded.account, token: seeded.token, projectIds: [] });
      const project = await (await api.post('/v1/projects', { data: { name: 'made via API' } })).json();
      const item = await (await api.post(`/v1/projects/${project.id}/items`, { data: { title: 'made via API' } })).json();
      await api.post(`/v1/items/${item.id}/comments`, { data: { body: 'made via API' } });
      await api.post(`/v1/items/${item.id}/attachments`, { data: { filename: 'a.txt', contentType: 'text/plain', sizeBytes: 1 } });
      expect((await seedClient.runRows(scratch)).rows).toMatchObject({ accounts: 1, projects: 1, items: 1, comments: 1, attachments: 1 });
      await seedClient.cleanup(scratch);
      expect((await seedClient.runRows(scratch)).total).toBe(0);
    } finally {
      await seedClient.cleanup(scratch);
    }
  });

  test('should reap rows whose expiry has passed and keep unexpired ones', async ({ seedClient, run, verifyDatabaseUrl }) => {
    test.skip(!verifyDatabaseUrl, 'ages rows by writing expires_at in the database directly');
    const [expired, fresh] = [`${run.runId}-expired`, `${run.runId}-fresh`];
    const db = new pg.Client({ connectionString: verifyDatabaseUrl });
    await db.connect();
    try {
      await seedClient.seedAccount(buildAccount({ seed: run.seed, runId: expired, ttlSeconds: 600, path: 'x', shape }));
      await seedClient.seedAccount(buildAccount({ seed: run.seed, runId: fresh, ttlSeconds: 600, path: 'y', shape }));
      // Simulate a run that crashed an hour ago: the run and its rows are past their expiry.
      // The tables holding its rows (not a partition of another run's, detached for a moment as its cleanup drops it).
      for (const [table] of Object.entries(await censusInDatabase(verifyDatabaseUrl!, expired)).filter(([, n]) => n > 0)) {
        await db.query(`UPDATE ${table} SET expires_at = now() - interval '1 hour' WHERE test_run_id = $1`, [expired]);
      }
      await db.query(`UPDATE test_runs SET expires_at = now() - interval '1 hour' WHERE run_id = $1`, [expired]);
      const freshBefore = await seedClient.runRows(fresh);
      // The reaper is global: another run or an app's sweeper may get there first. What matters
      // is the outcome, and that the fresh run is never among the reaped.
      const reaped = await seedClient.reapExpired();
      expect(reaped.runs).not.toContain(fresh);
      expect(total(await censusInDatabase(verifyDatabaseUrl!, expired))).toBe(0);
      expect(await seedClient.runRows(fresh)).toEqual(freshBefore);
    } finally {
      await db.end();
      await seedClient.cleanup(expired);
      await seedClient.cleanup(fresh);
    }
  });

  test('should forget cleaned runs and audit entries older than two weeks when reaping, and keep recent ones', async ({ seedClient, run, verifyDatabaseUrl }) => {
    test.skip(!verifyDatabaseUrl, 'ages history rows by writing their times in the database directly');
    const db = new pg.Client({ connectionString: verifyDatabaseUrl });
    await db.connect();
    const [old, recent] = [`${run.runId}-old-hist`, `${run.runId}-new-hist`];
    try {
      for (const [id, age] of [
        [old, '15 days'],
        [recent, '1 day'],
      ] as const) {
        await db.query(`INSERT INTO test_runs (run_id, expires_at, cleaned_at) VALUES ($1, now() - $2::interval, now() - $2::interval)`, [id, age]);
        await db.query(
          `INSERT INTO audit_log (at, method, route, outcome, remote_addr, run_id, request_id) VALUES (now() - $2::interval, 'POST', '/internal/test/x', 'status 200', '127.0.0.1', $1, $1)`,
          [id, age],
        );
      }
      await seedClient.reapExpired();
      const left = async (sql: string) => (await db.query<{ id: string }>(sql, [[old, recent]])).rows.map((r) => r.id).sort();
      expect(await left('SELECT run_id AS id FROM test_runs WHERE run_id = ANY($1)')).toEqual([recent]);
      expect(await left('SELECT run_id AS id FROM audit_log WHERE run_id = ANY($1)')).toEqual([recent]);
    } finally {
      await db.query('DELETE FROM test_runs WHERE run_id = ANY($1)', [[old, recent]]);
      await db.query('DELETE FROM audit_log WHERE run_id = ANY($1)', [[old, recent]]);
      await db.end();
    }
  });
});
