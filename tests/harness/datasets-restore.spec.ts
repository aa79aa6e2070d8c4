/**
 * Saved datasets end to end: save one (a database of its own, made a template), start an app
 * that restores it into the run's database, act as one of its accounts, stop the app and find
 * the run's database gone; and refuse a dataset saved under another schema version.
 */
import { latestSchemaVersion } from '../../app/db/migrate.js';
import pg from 'pg';
import { withDatabase } from '../../app/db/clone';
import { expect, test } from '../../fixtures';
import type { DatasetKnobs } from '../../seed/profiles';
import { adminQuery } from '../../app/db/clone';
import { saveDataset } from '../../scripts/datasets';
import { freePort, startAppProcess as startApp, waitHealthy } from '../../scripts/app-process';

const KNOBS: DatasetKnobs = {
  accounts: 3,
  projectsPerAccount: [{ label: 'small', share: 1, min: 1, max: 2 }],
  itemsPerProject: { p50: 3, p95: 8, max: 10 },
  attachmentRate: 0.25,
  commentDepth: 2,
  tagsPerItem: 1,
};

/** Saves a dataset on the suite's server through an app instance of its own. */
const save = async (databaseUrl: string, serviceToken: string, profile: string, seed: string, knobs: DatasetKnobs) =>
  saveDataset({ databaseUrl, serviceToken, port: await freePort(), appEnv: { TEST_SERVICE_TOKEN: serviceToken, LOG_LEVEL: 'silent' }, profile, seed, knobs });

const databases = async (url: string, like: string) => (await adminQuery<{ datname: string }>(url, `SELECT datname FROM pg_database WHERE datname LIKE $1`, [like])).rows.map((r) => r.datname);

test.describe('saved datasets', () => {
  test.skip(({ referenceApp, verifyDatabaseUrl }) => !referenceApp || !verifyDatabaseUrl, 'saves and clones databases of the reference app');

  test('should restore a saved dataset into the run database, usable at once, and drop it at shutdown', async ({ run, serviceToken, verifyDatabaseUrl }, testInfo) => {
    test.setTimeout(120_000);
    const port = await freePort();
    const seed = `${run.runId}-restore`;
    const saved = await save(verifyDatabaseUrl!, serviceToken, 'restoretest', seed, KNOBS);
    const runDb = `pressure_run_restoretest_w${testInfo.workerIndex}`;
    try {
      const app = startApp({
        LOG_LEVEL: 'silent',
        APP_LOG_FILE: '',
        PORT: String(port),
        DATABASE_URL: verifyDatabaseUrl!,
        TEST_SERVICE_TOKEN: serviceToken,
        APP_DATASET: saved.name,
        APP_DATASET_MODE: 'restore',
        APP_RUN_DATABASE: runDb,
      });
      const base = `http://127.0.0.1:${port}`;
      try {
        await waitHealthy(app, base);
        expect(((await (await fetch(`${base}/healthz`)).json()) as { database: string }).database).toBe(runDb);

        const described = (await (await fetch(`${base}/internal/test/dataset`, { headers: { 'x-test-service-token': serviceToken } })).json()) as {
          accounts: { email: string; token: string }[];
        };
        expect(described).toMatchObject({ name: saved.name, profile: 'restoretest', seed, counts: saved.rows });
        expect(described.accounts).toHaveLength(3);
        const me = await fetch(`${base}/v1/me`, { headers: { authorization: `Bearer ${described.accounts[0]!.token}` } });
        expect(me.status).toBe(200);
        expect(((await me.json()) as { email: string }).email).toBe(described.accounts[0]!.email);

        // Every row of the dataset is there, and the reaper leaves a restored dataset alone.
        const reaped = (await (await fetch(`${base}/internal/test/reap`, { method: 'POST', headers: { 'x-test-service-token': serviceToken } })).json()) as { runs: string[] };
        expect(reaped.runs).toEqual([]);
        const db = new pg.Client({ connectionString: withDatabase(verifyDatabaseUrl!, runDb) });
        await db.connect();
        const items = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM items`)).rows[0]!.n;
        await db.end();
        expect(items).toBe(saved.rows.items);
      } finally {
        expect(await app.stop()).toBe(0);
      }
      expect(await databases(verifyDatabaseUrl!, runDb)).toEqual([]);
    } finally {
      await adminQuery(verifyDatabaseUrl!, `DROP DATABASE IF EXISTS ${saved.template} WITH (FORCE)`);
    }
  });

  test('should refuse to restore a dataset saved under another schema version', async ({ run, serviceToken, verifyDatabaseUrl }, testInfo) => {
    test.setTimeout(120_000);
    const saved = await save(verifyDatabaseUrl!, serviceToken, 'staletest', `${run.runId}-stale`, { ...KNOBS, accounts: 1 });
    const runDb = `pressure_run_staletest_w${testInfo.workerIndex}`;
    try {
      const tpl = new pg.Client({ connectionString: withDatabase(verifyDatabaseUrl!, saved.template) });
      await tpl.connect();
      await tpl.query(`UPDATE datasets.meta SET schema_version = 1`);
      await tpl.end();

      const app = startApp({
        LOG_LEVEL: 'silent',
        APP_LOG_FILE: '',
        PORT: String(await freePort()),
        DATABASE_URL: verifyDatabaseUrl!,
        TEST_SERVICE_TOKEN: serviceToken,
        APP_DATASET: saved.name,
        APP_DATASET_MODE: 'restore',
        APP_RUN_DATABASE: runDb,
      });
      expect(await app.exited).toBe(1);
      expect(app.output()).toContain(`dataset "${saved.name}" was saved with schema version 1, this app is at ${latestSchemaVersion()}`);
      expect(app.output()).toContain('save it again (npm run dataset:save)');
      expect(await databases(verifyDatabaseUrl!, runDb)).toEqual([]);
    } finally {
      await adminQuery(verifyDatabaseUrl!, `DROP DATABASE IF EXISTS ${saved.template} WITH (FORCE)`);
    }
  });
});
