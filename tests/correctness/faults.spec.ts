/**
 * The faults verify:faults plants (app/faults.ts) do what they say: otherwise a fault "caught" by
 * the perf project would prove nothing. app/ built in-process with the faults on, on the suite's
 * database; each test seeds its own scratch run and removes it.
 */
import pg from 'pg';
import type { Fault } from '../../app/faults';
import { expect, test } from '../../fixtures';
import type { InProcessApp } from '../../fixtures/in-process';
import { buildAccount } from '../../seed/factories';

test.describe('APP_FAULTS', () => {
  test.skip(({ referenceApp }) => !referenceApp, 'builds app/ in-process with faults on');

  /** An in-process app with `faults`, and one seeded account of a scratch run. */
  /** A second session with a transaction open, as a concurrent writer holds one; rolled back and closed after `fn`. */
  async function inTransaction(url: string, fn: (holder: pg.Client) => Promise<void>): Promise<void> {
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await fn(holder);
    } finally {
      await holder.query('ROLLBACK').catch(() => {});
      await holder.end();
    }
  }

  async function faulty(inProcessApp: InProcessApp, faults: Fault[], serviceToken: string, runId: string, seed: string) {
    const app = await inProcessApp({ faults: new Set(faults) });
    const body = buildAccount({ seed, runId, ttlSeconds: 600, path: 'faults/0', shape: { projects: 1, itemsPerProject: 12, commentDepth: 0, attachmentRate: 0, tagsPerItem: 0 } });
    const res = await app.inject({ method: 'POST', url: '/internal/test/seedAccount', headers: { 'x-test-service-token': serviceToken }, remoteAddress: '127.0.0.1', payload: body });
    expect(res.statusCode, res.body).toBe(201);
    const seeded = res.json() as { token: string; projectIds: string[] };
    const get = (url: string) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${seeded.token}` } });
    return { app, project: seeded.projectIds[0]!, token: seeded.token, get };
  }

  test('full_rows and exact_totals: listings carry each body and the exact total', async ({ inProcessApp, serviceToken, run, seedClient }) => {
    const scratch = `${run.runId}-fault-rows`;
    const f = await faulty(inProcessApp, ['full_rows', 'exact_totals'], serviceToken, scratch, run.seed);
    try {
      const page = (await f.get(`/v1/projects/${f.project}/items?limit=5`)).json() as { data: { body?: string }[]; total?: number };
      expect(page.data).toHaveLength(5);
      expect(page.data.every((i) => typeof i.body === 'string')).toBe(true);
      expect(page.total).toBe(12);
    } finally {
      await f.app.close();
      await seedClient.cleanup(scratch);
    }
  });

  test('token_kdf and sliding_expiry: a token seeded by the faulty app works, and each use writes its expiry', async ({ inProcessApp, serviceToken, run, seedClient, verifyDatabaseUrl }) => {
    const scratch = `${run.runId}-fault-token`;
    const f = await faulty(inProcessApp, ['token_kdf', 'sliding_expiry'], serviceToken, scratch, run.seed);
    const db = new pg.Client({ connectionString: verifyDatabaseUrl! });
    await db.connect();
    try {
      const version = async () => (await db.query<{ xmin: string }>(`SELECT xmin::text FROM api_tokens WHERE test_run_id = $1`, [scratch])).rows[0]!.xmin;
      const before = await version();
      expect((await f.get('/v1/me')).statusCode).toBe(200);
      expect(await version(), 'the read wrote a new row version').not.toBe(before);
    } finally {
      await db.end();
      await f.app.close();
      await seedClient.cleanup(scratch);
    }
  });

  test('serializable_updates: the second of two writers of a project fails with 503 where it would have waited', async ({ inProcessApp, serviceToken, run, seedClient, verifyDatabaseUrl }) => {
    const scratch = `${run.runId}-fault-serializable`;
    const f = await faulty(inProcessApp, ['serializable_updates'], serviceToken, scratch, run.seed);
    try {
      await inTransaction(verifyDatabaseUrl!, async (holder) => {
        // Through the project's own partition, not the partitioned parent: a lock on the parent
        // would hold up another test's cleanup (it drops its run's partitions under an exclusive
        // lock of the parent), and the PATCH would queue behind that cleanup instead of the row.
        const part = (await holder.query<{ t: string }>(`SELECT tableoid::regclass::text AS t FROM projects WHERE id = $1`, [f.project])).rows[0]!.t;
        await holder.query(`UPDATE ${part} SET version = version + 1 WHERE id = $1`, [f.project]);
        const patch = f.app.inject({ method: 'PATCH', url: `/v1/projects/${f.project}`, headers: { authorization: `Bearer ${f.token}` }, payload: { name: 'renamed' } });
        // The PATCH waits for the holder's transaction to end, as a second writer of one row does:
        // a lock wait on the holder's transaction ID, which nothing but a writer of a row the
        // holder changed takes (a session queued behind a table lock is not that); the holder's
        // commit then makes the PATCH fail.
        // pg_locks shows the 32-bit xid; pg_current_xact_id() the 64-bit one with its epoch.
        const xid = (await holder.query<{ x: string }>('SELECT (pg_current_xact_id()::text::bigint % 4294967296)::text AS x')).rows[0]!.x;
        await expect
          .poll(
            async () => (await holder.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted AND transactionid::text = $1`, [xid])).rows[0]!.n,
          )
          .toBeGreaterThan(0);
        await holder.query('COMMIT');
        const res = await patch;
        expect(res.statusCode, res.body).toBe(503);
        expect(res.headers['retry-after']).toBeDefined();
      });
    } finally {
      await f.app.close();
      await seedClient.cleanup(scratch);
    }
  });

  test('serial_writes: an item insert waits for the one advisory lock every insert takes', async ({ inProcessApp, serviceToken, run, seedClient, verifyDatabaseUrl }) => {
    const scratch = `${run.runId}-fault-serial`;
    const f = await faulty(inProcessApp, ['serial_writes'], serviceToken, scratch, run.seed);
    try {
      await inTransaction(verifyDatabaseUrl!, async (holder) => {
        await holder.query('SELECT pg_advisory_xact_lock(7340001)');
        const post = f.app.inject({ method: 'POST', url: `/v1/projects/${f.project}/items`, headers: { authorization: `Bearer ${f.token}` }, payload: { title: 'queued' } });
        await expect
          .poll(async () => (await holder.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = 7340001 AND NOT granted`)).rows[0]!.n)
          .toBeGreaterThan(0);
        await holder.query('COMMIT');
        expect((await post).statusCode).toBe(201);
      });
    } finally {
      await f.app.close();
      await seedClient.cleanup(scratch);
    }
  });

  test("broad_invalidation: one account's write drops another account's cached dashboard", async ({ inProcessApp, serviceToken, run, seedClient }) => {
    const scratch = `${run.runId}-fault-broad`;
    for (const [faults, expected] of [
      [['broad_invalidation'], /miss/],
      [[], /hit/],
    ] as const) {
      const f = await faulty(inProcessApp, [...faults], serviceToken, scratch, run.seed);
      try {
        const other = buildAccount({
          seed: `${run.seed}-other`,
          runId: scratch,
          ttlSeconds: 600,
          path: 'faults/1',
          shape: { projects: 1, itemsPerProject: 2, commentDepth: 0, attachmentRate: 0, tagsPerItem: 0 },
        });
        const seeded = (
          await f.app.inject({ method: 'POST', url: '/internal/test/seedAccount', headers: { 'x-test-service-token': serviceToken }, remoteAddress: '127.0.0.1', payload: other })
        ).json() as { token: string; projectIds: string[] };
        await f.get('/v1/dashboard');
        expect(String((await f.get('/v1/dashboard')).headers['x-cache'])).toMatch(/hit/);
        const write = await f.app.inject({ method: 'POST', url: `/v1/projects/${seeded.projectIds[0]}/items`, headers: { authorization: `Bearer ${seeded.token}` }, payload: { title: 'elsewhere' } });
        expect(write.statusCode).toBe(201);
        expect(String((await f.get('/v1/dashboard')).headers['x-cache']), `faults: ${faults.join(', ') || 'none'}`).toMatch(expected);
      } finally {
        await f.app.close();
        await seedClient.cleanup(scratch);
      }
    }
  });

  test('tenant_connection: each item listing opens a connection of its own and closes it', async ({ inProcessApp, serviceToken, run, seedClient }) => {
    // The app runs in this process: its connections are pg.Client instances of this module, so
    // their ends are counted here. A pooled client is kept after its request; an own one is not.
    const end = pg.Client.prototype.end;
    let ended = 0;
    pg.Client.prototype.end = function (this: pg.Client, ...args: unknown[]) {
      ended++;
      return (end as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof end;
    try {
      for (const [faults, expected] of [
        [['tenant_connection'], 2],
        [[], 0],
      ] as const) {
        const scratch = `${run.runId}-fault-conn-${expected}`;
        const f = await faulty(inProcessApp, [...faults], serviceToken, scratch, run.seed);
        try {
          ended = 0;
          for (let i = 0; i < 2; i++) {
            const page = await f.get(`/v1/projects/${f.project}/items?limit=5`);
            expect(page.statusCode, page.body).toBe(200);
            expect((page.json() as { data: unknown[] }).data).toHaveLength(5);
          }
          expect(ended, `connections closed by two listings, faults: ${faults.join(', ') || 'none'}`).toBe(expected);
        } finally {
          await f.app.close();
          await seedClient.cleanup(scratch);
        }
      }
    } finally {
      pg.Client.prototype.end = end;
    }
  });
});
