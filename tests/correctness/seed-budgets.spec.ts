/**
 * The backend's own budgets on test data: past them a request is refused with a message that
 * names the budget, and writes nothing. Built in-process with small budgets, so the limits are
 * reached in a few requests without slowing down the suite's own app.
 */
import { partitionName } from '../../app/sql/partitions';
import type { FastifyInstance } from 'fastify';
import { expect, test } from '../../fixtures';
import { censusInDatabase, total } from 'pressure-harness/seed';
import { buildAccount, TINY_ACCOUNT } from '../../seed/factories';

test.describe('seed budgets', () => {
  test.skip(({ referenceApp }) => !referenceApp, 'builds app/ in-process with small budgets');

  /** POST seedAccount to the in-process app, from loopback, with the service token. */
  function seedVia(app: FastifyInstance, serviceToken: string, body: ReturnType<typeof buildAccount>) {
    return app.inject({ method: 'POST', url: '/internal/test/seedAccount', headers: { 'x-test-service-token': serviceToken }, remoteAddress: '127.0.0.1', payload: body });
  }

  test('should answer 429 with Retry-After past the accounts-per-minute budget, and create nothing', async ({ inProcessApp, serviceToken, run, seedClient }) => {
    const scratch = `${run.runId}-rate`;
    const app = await inProcessApp({ budgets: { maxRowsPerRun: 1_000_000, maxAccountsPerMinute: 2, maxBatchSize: 100 } });
    try {
      const seed = (n: number) => seedVia(app, serviceToken, buildAccount({ seed: run.seed, runId: scratch, ttlSeconds: 600, path: `rate/${n}`, shape: TINY_ACCOUNT }));
      expect((await seed(0)).statusCode).toBe(201);
      expect((await seed(1)).statusCode).toBe(201);
      const third = await seed(2);
      expect(third.statusCode).toBe(429);
      expect(third.json()).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringContaining('SEED_MAX_ACCOUNTS_PER_MINUTE') });
      expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
      expect((await seedClient.runRows(scratch)).rows.accounts).toBe(2);
    } finally {
      await app.close();
      await seedClient.cleanup(scratch);
    }
  });

  test('should not count requests it refuses for their body against the accounts-per-minute budget', async ({ inProcessApp, serviceToken, run, seedClient }) => {
    const scratch = `${run.runId}-rate-refused`;
    const app = await inProcessApp({ budgets: { maxRowsPerRun: 1_000_000, maxAccountsPerMinute: 2, maxBatchSize: 100 } });
    try {
      const body = (n: number) => buildAccount({ seed: run.seed, runId: scratch, ttlSeconds: 600, path: `refused/${n}`, shape: TINY_ACCOUNT });
      for (let n = 0; n < 3; n++) expect((await seedVia(app, serviceToken, { ...body(n), account: { name: '', email: 'not-an-email' } })).statusCode).toBe(400);
      expect((await seedVia(app, serviceToken, body(10))).statusCode, 'the budget is still whole').toBe(201);
      expect((await seedVia(app, serviceToken, body(11))).statusCode).toBe(201);
      expect((await seedClient.runRows(scratch)).rows.accounts).toBe(2);
    } finally {
      await app.close();
      await seedClient.cleanup(scratch);
    }
  });

  test('should leave no record and no partitions of a run whose first seed failed in the database', async ({ inProcessApp, appPool, serviceToken, run }) => {
    const failing = `${run.runId}-failed-seed`;
    // A database that fails the seed's item insert, as a real one can (a full disk, a bug): the
    // app must not leave the run's record and empty partitions for its TTL.
    const broken = new Proxy(appPool, {
      get(target, prop, receiver) {
        if (prop !== 'connect') return Reflect.get(target, prop, receiver) as unknown;
        // pg's own pool.query connects with a callback: those pass through untouched.
        return async (callback?: Parameters<typeof target.connect>[0]) => {
          if (callback) return target.connect(callback);
          const client = await target.connect();
          return new Proxy(client, {
            get(c, p, r) {
              const v = Reflect.get(c, p, r) as unknown;
              if (p !== 'query' || typeof v !== 'function') return typeof v === 'function' ? v.bind(c) : v;
              return (sql: unknown, ...rest: unknown[]) =>
                typeof sql === 'string' && /INSERT INTO items/.test(sql)
                  ? Promise.reject(Object.assign(new Error('simulated: could not extend file'), { code: '53100' }))
                  : (v as (...a: unknown[]) => unknown).call(c, sql, ...rest);
            },
          });
        };
      },
    });
    const app = await inProcessApp({}, broken);
    try {
      const res = await app.inject({
        method: 'POST',
        url: '/internal/test/seedAccount',
        headers: { 'x-test-service-token': serviceToken },
        remoteAddress: '127.0.0.1',
        payload: buildAccount({ seed: run.seed, runId: failing, ttlSeconds: 600, path: 'failing', shape: { ...TINY_ACCOUNT, projects: 1, itemsPerProject: 2 } }),
      });
      expect(res.statusCode).toBe(500);
      expect((await appPool.query('SELECT 1 FROM test_runs WHERE run_id = $1', [failing])).rowCount, 'no record of the run').toBe(0);
      expect((await appPool.query('SELECT relname FROM pg_class WHERE relname = $1', [partitionName('accounts', failing).replace(/"/g, '')])).rowCount, 'no partitions of the run').toBe(0);
    } finally {
      await app.close();
    }
  });

  test('should answer 413 past the rows-per-run budget, naming it, and write nothing of that request', async ({ inProcessApp, serviceToken, run, seedClient, verifyDatabaseUrl }) => {
    const scratch = `${run.runId}-rows`;
    const app = await inProcessApp({ budgets: { maxRowsPerRun: 60, maxAccountsPerMinute: 100, maxBatchSize: 100 } });
    try {
      const seed = (n: number) =>
        seedVia(app, serviceToken, buildAccount({ seed: run.seed, runId: scratch, ttlSeconds: 600, path: `rows/${n}`, shape: { ...TINY_ACCOUNT, projects: 1, itemsPerProject: 20 } }));
      expect((await seed(0)).statusCode).toBe(201); // 23 rows
      expect((await seed(1)).statusCode).toBe(201); // 46
      const before = await censusInDatabase(verifyDatabaseUrl!, scratch);
      const third = await seed(2); // would be 69 > 60
      expect(third.statusCode).toBe(413);
      expect(third.json().message).toMatch(/run .*-rows may write at most 60 rows \(SEED_MAX_ROWS_PER_RUN\); it has 46 and this request would add up to 23/);
      expect(await censusInDatabase(verifyDatabaseUrl!, scratch)).toEqual(before);
      // Cleaning up an account gives its rows back to the budget.
      await seedClient.cleanup(scratch);
      expect((await seed(3)).statusCode).toBe(201);
      expect(total(await censusInDatabase(verifyDatabaseUrl!, scratch))).toBe(23);
    } finally {
      await app.close();
      await seedClient.cleanup(scratch);
    }
  });
});
