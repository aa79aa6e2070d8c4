/**
 * Saving a dataset: generate it through the endpoints of an app instance that serves a fresh
 * database of its own, describe it (datasets.meta, datasets.accounts with their tokens), vacuum
 * and analyse it like a production database, then rename it to ds_<name> for runs to clone.
 * Nothing is renamed until all of that succeeded: a failed save leaves the previous dataset.
 */
import { request } from '@playwright/test';
import pg from 'pg';
import { adminQuery, templateName, withDatabase } from '../app/db/clone.js';
import { appServerEnv, mintRunId, type Settings } from '../config/settings.js';
import { SeedClient } from '../seed/client.js';
import { datasetName, generateDataset, type SeededDataset } from '../seed/dataset.js';
import type { DatasetKnobs } from '../seed/profiles.js';
import { type AppProcess, startAppProcess, waitHealthy } from './app-process.js';

/** The app instance that generates the dataset, on its own port and database. */
async function startApp(appEnv: Record<string, string>, databaseUrl: string, port: number): Promise<AppProcess> {
  // APP_DATASET empty: the dataset is being made, not restored.
  const app = startAppProcess({ ...appEnv, PORT: String(port), DATABASE_URL: databaseUrl, APP_LOG_FILE: '.run/dataset-app.log', APP_DATASET: '' });
  await waitHealthy(app, `http://127.0.0.1:${port}`);
  return app;
}

export type SavedDataset = SeededDataset & { template: string };

export type SaveOptions = {
  /** The database server (any database on it): the dataset gets a database of its own there. */
  databaseUrl: string;
  serviceToken: string;
  /** Where the app instance that generates the dataset listens. */
  port: number;
  /** Environment of that app instance (appServerEnv of the settings). */
  appEnv: Record<string, string>;
  profile: string;
  seed: string;
  knobs: DatasetKnobs;
  log?: (msg: string) => void;
  beforeSave?: (db: pg.Client, ds: SeededDataset & { runId: string }) => Promise<void>;
};

/** saveDataset's server, token, port and app environment from the settings. */
export function saveOptionsOf(settings: Settings): Pick<SaveOptions, 'databaseUrl' | 'serviceToken' | 'port' | 'appEnv'> {
  if (!settings.verifyDatabaseUrl) throw new Error('saving a dataset needs the database: set DATABASE_URL (or leave BASE_URL unset for the embedded one)');
  return { databaseUrl: settings.verifyDatabaseUrl, serviceToken: settings.serviceToken, port: settings.appPort + 7, appEnv: appServerEnv(settings) };
}

export async function saveDataset(o: SaveOptions): Promise<SavedDataset> {
  const base = o.databaseUrl;
  const name = datasetName(o.profile, o.seed, o.knobs);
  const template = templateName(name);
  const building = `${template}_building`;
  const runId = `${mintRunId()}-ds`;
  const log = o.log ?? (() => {});

  await adminQuery(base, `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(building)} WITH (FORCE)`);
  await adminQuery(base, `CREATE DATABASE ${pg.escapeIdentifier(building)}`);
  const url = withDatabase(base, building);
  const port = o.port;
  let app: AppProcess | undefined = await startApp(o.appEnv, url, port);
  try {
    const service = await request.newContext({ baseURL: `http://127.0.0.1:${port}`, extraHTTPHeaders: { 'x-test-service-token': o.serviceToken }, timeout: 0 });
    let ds;
    try {
      log(`generating ${o.profile} (${o.knobs.accounts} accounts, seed "${o.seed}") into ${building}…`);
      const client = new SeedClient(service, { baseURL: `http://127.0.0.1:${port}`, headers: { 'x-test-service-token': o.serviceToken } });
      try {
        ds = await generateDataset(client, { seed: o.seed, runId, ttlSeconds: 7 * 24 * 3600, profile: o.profile, knobs: o.knobs });
      } finally {
        await client.close();
      }
    } finally {
      await service.dispose();
    }
    await app.stop();
    app = undefined;

    const db = new pg.Client({ connectionString: url, application_name: 'pressure-datasets' });
    await db.connect();
    try {
      await o.beforeSave?.(db, { ...ds, runId });
      await db.query('BEGIN');
      await db.query(
        `INSERT INTO datasets.meta (name, profile, seed, schema_version, counts, source_run_id)
                      SELECT $1, $2, $3, max(version), $4, $5 FROM schema_migrations`,
        [name, o.profile, o.seed, JSON.stringify(ds.rows), runId],
      );
      await db.query(
        `INSERT INTO datasets.accounts (idx, tier, account_id, email, token)
         SELECT * FROM unnest($1::int[], $2::text[], $3::bigint[], $4::text[], $5::text[])`,
        [ds.accounts.map((a) => a.index), ds.accounts.map((a) => a.tier), ds.accounts.map((a) => a.id), ds.accounts.map((a) => a.email), ds.accounts.map((a) => a.token)],
      );
      // The dataset's tokens work for as long as the dataset exists, in every clone.
      await db.query(`UPDATE api_tokens SET expires_at = 'infinity' WHERE test_run_id = $1`, [runId]);
      await db.query('COMMIT');
      await db.query('VACUUM (ANALYZE)');
    } finally {
      await db.end();
    }
    await adminQuery(base, `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(template)} WITH (FORCE)`);
    await adminQuery(base, `ALTER DATABASE ${pg.escapeIdentifier(building)} RENAME TO ${pg.escapeIdentifier(template)}`);
    return { ...ds, template };
  } catch (e) {
    await app?.stop();
    await adminQuery(base, `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(building)} WITH (FORCE)`).catch(() => {});
    throw e;
  }
}

export async function listDatasets(settings: Settings): Promise<{ database: string; name: string; profile: string; schemaVersion: number; rows: number }[]> {
  const base = settings.verifyDatabaseUrl;
  if (!base) throw new Error('listing datasets needs the database: set DATABASE_URL');
  const dbs = await adminQuery<{ datname: string }>(base, `SELECT datname FROM pg_database WHERE datname LIKE 'ds\\_%' AND datname NOT LIKE '%\\_building' ORDER BY 1`);
  const out = [];
  for (const { datname } of dbs.rows) {
    const c = new pg.Client({ connectionString: withDatabase(base, datname) });
    await c.connect();
    try {
      const m = await c.query<{ name: string; profile: string; schema_version: number; counts: Record<string, number> }>('SELECT name, profile, schema_version, counts FROM datasets.meta');
      for (const r of m.rows) {
        out.push({ database: datname, name: r.name, profile: r.profile, schemaVersion: r.schema_version, rows: Object.values(r.counts).reduce((a, b) => a + b, 0) });
      }
    } finally {
      await c.end();
    }
  }
  return out;
}
