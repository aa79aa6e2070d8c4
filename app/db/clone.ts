/**
 * Restoring a saved dataset: the app's database for this run is created as a file-level copy of
 * the dataset's template database (CREATE DATABASE … TEMPLATE), which takes about as long as
 * copying the files, and is dropped again when the app stops.
 *
 * The app keeps one owner connection for the clone's whole life, named after it. It drops the
 * clone through that connection at shutdown (when the suite stops the app, PostgreSQL has been
 * signalled too and refuses new connections, but lets open sessions finish), and its presence
 * tells every other start that the clone is in use. A clone without its owner belongs to an app
 * that was killed: the next start drops it.
 *
 * A dataset saved under another schema version is refused (restore) or skipped (auto).
 */
import pg from 'pg';
import { latestSchemaVersion } from './migrate.js';

export type CloneMode = 'auto' | 'restore';
export type Clone = { url: string; database: string; dataset: string; drop: () => Promise<void> };

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export const databaseOf = (url: string) => decodeURIComponent(new URL(url).pathname.replace(/^\//, '')) || 'postgres';

/** The database a dataset is saved in: `ds_<name>` with dashes and dots as underscores. */
export const templateName = (dataset: string) => `ds_${dataset.replace(/[^a-z0-9]+/g, '_')}`;

const OWNER = 'pressure-clone-owner:';

/**
 * Runs `fn` on a connection to the server's maintenance database (`postgres`): where databases
 * are created, cloned and dropped. `url` may name any database of the server.
 */
export async function withAdmin<T>(url: string, fn: (c: pg.Client) => Promise<T>, applicationName = 'pressure-admin'): Promise<T> {
  const c = new pg.Client({ connectionString: withDatabase(url, 'postgres'), application_name: applicationName });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** One statement on the maintenance database. */
export const adminQuery = <T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []) => withAdmin(url, (c) => c.query<T>(sql, params));

/** Drops the run clones of `url`'s database whose owner session is gone (their app was killed). */
export async function dropOrphanClones(url: string, log: (msg: string, extra?: object) => void, except?: string): Promise<void> {
  await withAdmin(url, async (c) => {
    const orphans = await c.query<{ datname: string }>(
      `SELECT d.datname FROM pg_database d
        WHERE d.datname LIKE $1 AND d.datname IS DISTINCT FROM $2
          AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.application_name = left($3 || d.datname, 63))`,
      [`${databaseOf(url)}\\_run\\_%`, except ?? null, OWNER],
    );
    for (const { datname } of orphans.rows) {
      log('dropping the clone of a killed run', { database: datname });
      await c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(datname)} WITH (FORCE)`);
    }
  });
}

export async function cloneDataset(o: { url: string; dataset: string; target: string; mode: CloneMode; log: (msg: string, extra?: object) => void }): Promise<Clone | null> {
  const template = templateName(o.dataset);
  const owner = new pg.Client({ connectionString: withDatabase(o.url, 'postgres'), application_name: `${OWNER}${o.target}`.slice(0, 63) });
  await owner.connect();
  // The server may end this session first (a process-group signal reaches it too): not a crash.
  owner.on('error', (e) => o.log('clone owner connection closed', { error: e.message }));
  const drop = async () => {
    await owner.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(o.target)} WITH (FORCE)`);
    await owner.end();
  };
  try {
    const exists = await owner.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [template]);
    if (exists.rowCount === 0) {
      if (o.mode === 'restore') {
        throw new Error(`no saved dataset "${o.dataset}" (database ${template}). Recommended fix: npm run dataset:save -- --profile <the run's SEED_PROFILE>, or SEED_DATASET=auto`);
      }
      o.log('no saved dataset to restore; the run generates its data', { dataset: o.dataset });
      await owner.end();
      return null;
    }
    const version = (await owner.query<{ n: number }>(`SELECT current_setting('server_version_num')::int AS n`)).rows[0]!.n;
    const strategy = version >= 150000 ? ' STRATEGY FILE_COPY' : '';
    await owner.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(o.target)} WITH (FORCE)`);
    const started = Date.now();
    await owner.query(`CREATE DATABASE ${pg.escapeIdentifier(o.target)} TEMPLATE ${pg.escapeIdentifier(template)}${strategy}`);
    o.log("restored dataset into this run's database", { dataset: o.dataset, database: o.target, ms: Date.now() - started });

    const url = withDatabase(o.url, o.target);
    const check = new pg.Client({ connectionString: url });
    await check.connect();
    const saved = await check.query<{ schema_version: number }>(`SELECT schema_version FROM datasets.meta WHERE name = $1`, [o.dataset]).finally(() => check.end());
    const savedVersion = saved.rows[0]?.schema_version;
    if (savedVersion !== latestSchemaVersion()) {
      await drop();
      const why = `dataset "${o.dataset}" was saved with schema version ${savedVersion ?? 'unknown'}, this app is at ${latestSchemaVersion()}`;
      if (o.mode === 'restore') throw new Error(`${why}. Recommended fix: save it again (npm run dataset:save)`);
      o.log(`${why}: not restored; the run generates its data`);
      return null;
    }
    return { url, database: o.target, dataset: o.dataset, drop };
  } catch (e) {
    await owner.end().catch(() => {});
    throw e;
  }
}
