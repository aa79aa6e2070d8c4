/**
 * Restoring a saved dataset: the app's database for this run is created as a file-level copy of
 * the dataset's template database (CREATE DATABASE … TEMPLATE), which takes about as long as
 * copying the files, and is dropped again when the app stops. A clone left by a killed app is
 * dropped at a later start once it is older than a day (its name carries the run's start time).
 *
 * A dataset saved under another schema version is refused (restore) or skipped (auto).
 */
import pg from 'pg';
import { latestSchemaVersion } from './migrate.js';

export type CloneMode = 'auto' | 'restore';
export type Clone = { url: string; database: string; dataset: string | null; drop: () => Promise<void> };

const STALE_HOURS = 24;

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export const databaseOf = (url: string) => decodeURIComponent(new URL(url).pathname.replace(/^\//, '')) || 'postgres';

/** The database a dataset is saved in: `ds_<name>` with dashes and dots as underscores. */
export const templateName = (dataset: string) => `ds_${dataset.replace(/[^a-z0-9]+/g, '_')}`;

async function admin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: withDatabase(url, 'postgres'), application_name: 'pressure-app-admin' });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** `…_run_r20261125_114702_3fa9c1` → its start time, or null for a run ID without one. */
function runStartOf(database: string): number | null {
  const m = /_run_r(\d{8})_(\d{6})/.exec(database);
  if (!m) return null;
  const [d, t] = [m[1]!, m[2]!];
  return Date.parse(`${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6)}T${t.slice(0, 2)}:${t.slice(2, 4)}:${t.slice(4)}Z`);
}

export async function cloneDataset(o: {
  url: string;
  dataset: string;
  target: string;
  mode: CloneMode;
  log: (msg: string, extra?: object) => void;
}): Promise<Clone | null> {
  const template = templateName(o.dataset);
  const base = databaseOf(o.url);
  const cloned = await admin(o.url, async (c) => {
    // Clones of killed runs: old enough that no live run can still be using them.
    const stale = await c.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`${base}\\_run\\_%`]);
    for (const { datname } of stale.rows) {
      const started = runStartOf(datname);
      if (datname !== o.target && started !== null && Date.now() - started > STALE_HOURS * 3600_000) {
        o.log('dropping the clone of an earlier run', { database: datname });
        await c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(datname)} WITH (FORCE)`);
      }
    }
    const exists = await c.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [template]);
    if (exists.rowCount === 0) {
      if (o.mode === 'restore') {
        throw new Error(`no saved dataset "${o.dataset}" (database ${template}). Recommended fix: npm run dataset:save -- --profile <the run's SEED_PROFILE>, or SEED_DATASET=auto`);
      }
      o.log('no saved dataset to restore; the run generates its data', { dataset: o.dataset });
      return false;
    }
    const version = (await c.query<{ n: number }>(`SELECT current_setting('server_version_num')::int AS n`)).rows[0]!.n;
    const strategy = version >= 150000 ? ' STRATEGY FILE_COPY' : '';
    await c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(o.target)} WITH (FORCE)`);
    const started = Date.now();
    await c.query(`CREATE DATABASE ${pg.escapeIdentifier(o.target)} TEMPLATE ${pg.escapeIdentifier(template)}${strategy}`);
    o.log('restored dataset into this run\'s database', { dataset: o.dataset, database: o.target, ms: Date.now() - started });
    return true;
  });
  if (!cloned) return null;

  const url = withDatabase(o.url, o.target);
  const drop = () => admin(o.url, (c) => c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(o.target)} WITH (FORCE)`)).then(() => undefined);
  const check = new pg.Client({ connectionString: url });
  await check.connect();
  const saved = await check
    .query<{ schema_version: number }>(`SELECT schema_version FROM datasets.meta WHERE name = $1`, [o.dataset])
    .finally(() => check.end());
  const savedVersion = saved.rows[0]?.schema_version;
  if (savedVersion !== latestSchemaVersion()) {
    await drop();
    const why = `dataset "${o.dataset}" was saved with schema version ${savedVersion ?? 'unknown'}, this app is at ${latestSchemaVersion()}`;
    if (o.mode === 'restore') throw new Error(`${why}. Recommended fix: save it again (npm run dataset:save)`);
    o.log(`${why}: not restored; the run generates its data`);
    return null;
  }
  return { url, database: o.target, dataset: o.dataset, drop };
}
