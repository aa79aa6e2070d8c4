/**
 * The sweeper of the reference app, driven tick by tick in-process. It sweeps every run of its
 * database, so each test gets a database of its own (tests/support/scratch-db.ts): other tests
 * running in parallel neither feed it runs nor make it back off.
 */
import pg from 'pg';
import { partitionName } from '../../app/sql/partitions';
import { ownerColumn, TEST_DATA_TABLES } from '../../app/sql/tables';
import { expect, test } from '../../fixtures';
import type { InProcessApp } from '../../fixtures/in-process';
import { censusInDatabase, total } from 'pressure-harness/seed';
import { buildAccount, TINY_ACCOUNT } from '../../seed/factories';
import { withScratchDatabase } from '../support/scratch-db';

const shape = { ...TINY_ACCOUNT, projects: 2, itemsPerProject: 5, commentDepth: 2, attachmentRate: 0.5, tagsPerItem: 2 };
/** Ticks only when the test says so: the interval is an hour. */
const SWEEPER = { intervalMs: 3_600_000, chunkRows: 50, maxRowsPerSecond: 100_000, slowMs: 5_000, maxBackoffMs: 86_400_000 };

async function sweeperApp(inProcessApp: InProcessApp, pool: pg.Pool, serviceToken: string) {
  const app = await inProcessApp({ sweeper: SWEEPER }, pool);
  const seed = async (runId: string, path: string) => {
    const res = await app.inject({
      method: 'POST',
      url: '/internal/test/seedAccount',
      headers: { 'x-test-service-token': serviceToken },
      remoteAddress: '127.0.0.1',
      payload: buildAccount({ seed: 'sweeper', runId, ttlSeconds: 600, path, shape }),
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { account: { id: string }; rows: Record<string, number> };
  };
  /** Moves a run (or one account of it) past its expiry. */
  const age = async (runId: string, accountId?: string) => {
    for (const table of TEST_DATA_TABLES) {
      await pool.query(
        `UPDATE ${table} SET expires_at = now() - interval '1 minute' WHERE test_run_id = $1 ${accountId ? `AND ${ownerColumn(table)} = $2` : ''}`,
        accountId ? [runId, accountId] : [runId],
      );
    }
    if (!accountId) await pool.query(`UPDATE test_runs SET expires_at = now() - interval '1 minute' WHERE run_id = $1`, [runId]);
  };
  await app.ready();
  return { app, seed, age };
}

test.describe('sweeper', () => {
  test.skip(({ referenceApp, verifyDatabaseUrl }) => !referenceApp || !verifyDatabaseUrl, 'drives the reference app sweeper in a database of its own');

  test('should drop an expired run and delete rows that expired before their run', async ({ inProcessApp, run, serviceToken, verifyDatabaseUrl }) => {
    await withScratchDatabase(verifyDatabaseUrl!, `sweep_a_${run.runId}`, async (pool, url) => {
      const { app, seed, age } = await sweeperApp(inProcessApp, pool, serviceToken);
      try {
        await seed('run-gone', 'g');
        const early = await seed('run-live', 'e');
        const kept = await seed('run-live', 'k');
        await age('run-gone');
        await age('run-live', early.account.id);

        await app.sweeper.tick();
        expect(app.sweeper.state).toMatchObject({ runsDropped: 1, rowsDeleted: total(early.rows), backoffs: 0 });
        expect(total(await censusInDatabase(url, 'run-gone'))).toBe(0);
        expect(total(await censusInDatabase(url, 'run-live'))).toBe(total(kept.rows));
      } finally {
        await app.close();
      }
    });
  });

  test('should back off, not wait, while a run is locked or sessions wait on locks, then finish', async ({ inProcessApp, run, serviceToken, verifyDatabaseUrl }) => {
    await withScratchDatabase(verifyDatabaseUrl!, `sweep_b_${run.runId}`, async (pool, url) => {
      const { app, seed, age } = await sweeperApp(inProcessApp, pool, serviceToken);
      const holder = new pg.Client({ connectionString: url });
      const waiter = new pg.Client({ connectionString: url });
      await holder.connect();
      await waiter.connect();
      try {
        await seed('run-busy', 'b');
        await age('run-busy');

        // Somebody's long transaction reads the run's items: dropping the run would have to wait.
        await holder.query('BEGIN');
        await holder.query(`SELECT count(*) FROM ${partitionName('items', 'run-busy')}`);
        await app.sweeper.tick();
        expect(app.sweeper.state).toMatchObject({ backoffs: 1, runsDropped: 0, intervalMs: 2 * SWEEPER.intervalMs });
        expect(app.sweeper.state.lastBackoff?.reason).toBe('lock timeout dropping run run-busy');

        // Another session now waits behind the holder: the sweeper does nothing at all.
        await waiter.query('BEGIN');
        const waiting = waiter.query(`LOCK TABLE ${partitionName('items', 'run-busy')} IN ACCESS EXCLUSIVE MODE`);
        await expect.poll(async () => (await pool.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock'`)).rows[0].n).toBe(1);
        await app.sweeper.tick();
        expect(app.sweeper.state).toMatchObject({ backoffs: 2, runsDropped: 0, intervalMs: 4 * SWEEPER.intervalMs });
        expect(app.sweeper.state.lastBackoff?.reason).toBe('1 session(s) waiting on locks');
        // (Not the items partition: reading it now would queue behind the waiter, as the
        // sweeper would have, had it not given up after its short lock_timeout.)
        expect((await pool.query(`SELECT count(*)::int AS n FROM accounts WHERE test_run_id = 'run-busy'`)).rows[0].n).toBe(1);

        await holder.query('ROLLBACK');
        await waiting;
        await waiter.query('COMMIT');
        await app.sweeper.tick(); // quiet again: the run goes, and the pace comes back by half
        expect(app.sweeper.state).toMatchObject({ backoffs: 2, runsDropped: 1, intervalMs: 2 * SWEEPER.intervalMs });
        expect(total(await censusInDatabase(url, 'run-busy'))).toBe(0);
      } finally {
        await holder.end();
        await waiter.end();
        await app.close();
      }
    });
  });
});
