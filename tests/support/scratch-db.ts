/**
 * A database of a test's own on the suite's server, migrated like the app's: for tests of
 * global behaviour (the sweeper sweeps every run) that other tests running in parallel would
 * otherwise disturb, and be disturbed by.
 */
import pg from 'pg';
import { adminQuery, withDatabase } from '../../app/db/clone';
import { migrate } from '../../app/db/migrate';
import { createPool } from '../../app/db/pool';
import { assertPartitionForeignKeys } from '../../app/sql/partitions';

export async function withScratchDatabase<T>(serverUrl: string, name: string, fn: (pool: pg.Pool, url: string) => Promise<T>): Promise<T> {
  const database = name.replace(/[^a-z0-9_]/g, '_').slice(0, 60);
  await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await adminQuery(serverUrl, `CREATE DATABASE ${database}`);
  const url = withDatabase(serverUrl, database);
  const pool = createPool(url, 6);
  try {
    await migrate(pool, () => {});
    await assertPartitionForeignKeys(pool);
    return await fn(pool, url);
  } finally {
    await pool.end();
    await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }
}

/** One statement on a connection of its own to `url`, its rows returned. */
export async function query<T extends pg.QueryResultRow = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}
