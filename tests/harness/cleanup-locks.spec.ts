/**
 * Cleanup by run at any size: the run's partitions are detached without queueing for their
 * parents' exclusive lock (so nobody's queries wait behind a cleanup), lock waits are bounded
 * and backed off, and a cleanup that gives up says what it waited for; the next one finishes
 * what it left. At SEED_PROFILE=large the old cleanup answered 503 "busy" until its client gave
 * up and left 37 GB behind. Each test has a database of its own (tests/support/scratch-db.ts).
 */
import pg from 'pg';
import { dropRunPartitions, LockWaitTimeout, partitionName } from '../../app/sql/partitions';
import { TEST_DATA_TABLES } from '../../app/sql/tables';
import { expect, test } from '../../fixtures';
import type { InProcessApp } from '../../fixtures/in-process';
import { censusInDatabase, total } from 'pressure-harness/seed';
import { buildAccount, TINY_ACCOUNT } from '../../seed/factories';
import { withScratchDatabase } from '../support/scratch-db';

const shape = { ...TINY_ACCOUNT, projects: 2, itemsPerProject: 5, commentDepth: 2, attachmentRate: 0.5, tagsPerItem: 2 };
const SWEEPER = { intervalMs: 3_600_000, chunkRows: 50, maxRowsPerSecond: 100_000, slowMs: 5_000, maxBackoffMs: 86_400_000 };
const partitionsLeft = async (db: pg.Pool, runId: string) =>
  (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_class WHERE relname = ANY($1)`, [TEST_DATA_TABLES.map((t) => partitionName(t, runId))])).rows[0]!.n;

test.describe('cleanup by run under locks', () => {
  test.skip(({ referenceApp, verifyDatabaseUrl }) => !referenceApp || !verifyDatabaseUrl, 'drives the reference app in a database of its own');

  async function seeded(inProcessApp: InProcessApp, pool: pg.Pool, serviceToken: string, runId: string) {
    const app = await inProcessApp({ sweeper: SWEEPER }, pool);
    await app.ready();
    const res = await app.inject({
      method: 'POST',
      url: '/internal/test/seedAccount',
      headers: { 'x-test-service-token': serviceToken },
      remoteAddress: '127.0.0.1',
      payload: buildAccount({ seed: 'cleanup-locks', runId, ttlSeconds: 600, path: 'a', shape }),
    });
    expect(res.statusCode, res.body).toBe(201);
    return { app, rows: (res.json() as { rows: Record<string, number> }).rows };
  }

  test("should never queue for a parent table's exclusive lock, and wait out a long reader", async ({ inProcessApp, run, serviceToken, verifyDatabaseUrl }) => {
    await withScratchDatabase(verifyDatabaseUrl!, `cleanup_a_${run.runId}`, async (pool, url) => {
      const { app, rows } = await seeded(inProcessApp, pool, serviceToken, 'run-a');
      const holder = new pg.Client({ connectionString: url, application_name: 'long-report' });
      await holder.connect();
      let dropping: Promise<unknown> | undefined;
      try {
        // A long report holds the items table (the parent alone): the cleanup must wait for it,
        // but without making everyone else's queries on items wait behind the cleanup.
        await holder.query('BEGIN');
        await holder.query('LOCK TABLE ONLY items IN ACCESS SHARE MODE');
        dropping = dropRunPartitions(pool, 'run-a', { lockTimeoutMs: 100, attempts: 50 });
        const parents = [...TEST_DATA_TABLES];
        let exclusiveWaits = 0;
        let pending = false;
        for (let i = 0; i < 400 && !pending; i++) {
          const w = await pool.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE NOT l.granted AND l.mode = 'AccessExclusiveLock' AND c.relname = ANY($1)`,
            [parents],
          );
          exclusiveWaits += w.rows[0]!.n;
          // Another tenant's read of items goes on while the cleanup waits (a 1 s lock wait at most).
          await pool.query(`SELECT count(*) FROM items WHERE test_run_id = 'someone-else'`);
          pending =
            (await pool.query(`SELECT 1 FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhrelid WHERE p.relname = $1 AND i.inhdetachpending`, [partitionName('items', 'run-a')])).rowCount === 1;
          await new Promise((r) => setTimeout(r, 25));
        }
        expect(exclusiveWaits, 'requests for ACCESS EXCLUSIVE on a parent table seen waiting').toBe(0);
        expect(pending, 'the items partition is being detached while the report runs').toBe(true);
        await holder.query('COMMIT');
        const deleted = (await dropping) as Record<string, number>;
        expect(total(deleted)).toBe(total(rows));
        expect(await partitionsLeft(pool, 'run-a')).toBe(0);
        expect(total(await censusInDatabase(url, 'run-a'))).toBe(0);
      } finally {
        // On a failure above, the cleanup still running must end before its pool does.
        await holder.query('ROLLBACK').catch(() => {});
        await dropping?.catch(() => {});
        await holder.end();
        await app.close();
      }
    });
  });

  test('should give up after bounded lock waits naming what held the lock, and finish on the next cleanup', async ({ inProcessApp, run, serviceToken, verifyDatabaseUrl }) => {
    await withScratchDatabase(verifyDatabaseUrl!, `cleanup_b_${run.runId}`, async (pool, url) => {
      const { app, rows } = await seeded(inProcessApp, pool, serviceToken, 'run-b');
      const holder = new pg.Client({ connectionString: url, application_name: 'nightly-report' });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query(`SELECT count(*) FROM ${partitionName('items', 'run-b')}`);
        const error = await dropRunPartitions(pool, 'run-b', { lockTimeoutMs: 50, attempts: 3 }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(LockWaitTimeout);
        const e = error as LockWaitTimeout;
        expect(e.statusCode).toBe(503);
        expect(e.headers?.['retry-after']).toBe('5');
        expect(e.message).toMatch(
          new RegExp(
            `dropping \\w+_r_[0-9a-f]{16}: gave up after [\\d.]+ s of lock waits; held by pid \\d+ \\(client backend, nightly-report, idle in transaction, \\d+ s\\) with AccessShareLock on ${partitionName('items', 'run-b')}: SELECT count`,
          ),
        );
        // What the cleanup did before giving up stays done; the rest is not lost: still countable.
        expect(total(await censusInDatabase(url, 'run-b'))).toBeGreaterThan(0);

        await holder.query('ROLLBACK');
        await dropRunPartitions(pool, 'run-b');
        expect(await partitionsLeft(pool, 'run-b')).toBe(0);
        expect(total(await censusInDatabase(url, 'run-b'))).toBe(0);
        expect(total(rows)).toBeGreaterThan(0);
      } finally {
        await holder.end();
        await app.close();
      }
    });
  });

  test('should finish a detach left pending by a cleanup that died, so that other runs can still be removed', async ({ inProcessApp, run, serviceToken, verifyDatabaseUrl }) => {
    await withScratchDatabase(verifyDatabaseUrl!, `cleanup_c_${run.runId}`, async (pool, url) => {
      const { app } = await seeded(inProcessApp, pool, serviceToken, 'run-c');
      const other = await app.inject({
        method: 'POST',
        url: '/internal/test/seedAccount',
        headers: { 'x-test-service-token': serviceToken },
        remoteAddress: '127.0.0.1',
        payload: buildAccount({ seed: 'cleanup-locks', runId: 'run-d', ttlSeconds: 600, path: 'd', shape }),
      });
      expect(other.statusCode, other.body).toBe(201);
      const holder = new pg.Client({ connectionString: url });
      const dying = new pg.Client({ connectionString: url });
      await holder.connect();
      await dying.connect();
      try {
        // A cleanup of run-c gets through the first phase of its detach, then gives up (here: a
        // lock timeout behind a report on tags), as one killed between the phases would.
        await holder.query('BEGIN');
        await holder.query('LOCK TABLE ONLY tags IN ACCESS SHARE MODE');
        await dying.query(`SET lock_timeout = '100ms'`);
        await expect(dying.query(`ALTER TABLE tags DETACH PARTITION ${partitionName('tags', 'run-c')} CONCURRENTLY`)).rejects.toThrow(/lock timeout/);
        await dying.end();
        await holder.query('COMMIT');
        const pending = await pool.query(`SELECT 1 FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhrelid WHERE p.relname = $1 AND i.inhdetachpending`, [partitionName('tags', 'run-c')]);
        expect(pending.rowCount, 'run-c tags partition left pending detach').toBe(1);

        // PostgreSQL allows one pending detach per table: run-d's cleanup must finish run-c's first.
        await dropRunPartitions(pool, 'run-d', { lockTimeoutMs: 100, attempts: 10 });
        expect(await partitionsLeft(pool, 'run-d')).toBe(0);
        await dropRunPartitions(pool, 'run-c', { lockTimeoutMs: 100, attempts: 10 });
        expect(await partitionsLeft(pool, 'run-c')).toBe(0);
        expect(total(await censusInDatabase(url, 'run-c')) + total(await censusInDatabase(url, 'run-d'))).toBe(0);
      } finally {
        await holder.end();
        await dying.end().catch(() => {});
        await app.close();
      }
    });
  });
});
