/**
 * Counts a run's rows directly in the database, independently of the backend: every table with
 * a test_run_id column, found in the catalogue (so a new table cannot hide a leak).
 */
import pg from 'pg';
import { adminQuery } from '../pg/url.js';

export async function censusInDatabase(databaseUrl: string, runId: string): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'pressure-harness' });
  await client.connect();
  try {
    // A table listed may be dropped before it is counted (a backend detaching and dropping another
    // run's partitions meanwhile): listed again, a few times.
    for (let attempt = 1; ; attempt++) {
      try {
        return await countOnce(client, runId);
      } catch (e) {
        if ((e as { code?: string }).code !== '42P01' || attempt >= 5) throw e;
      }
    }
  } finally {
    await client.end();
  }
}

async function countOnce(client: pg.Client, runId: string): Promise<Record<string, number>> {
  // Tables, not their partitions (a partition's rows are counted through its parent).
  const tables = await client.query<{ table_name: string }>(
    `SELECT c.relname AS table_name FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
      WHERE a.attname = 'test_run_id' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
        AND c.relnamespace = current_schema()::regnamespace
      ORDER BY 1`,
  );
  if (tables.rows.length === 0) return {};
  const sql = tables.rows.map((t) => `SELECT ${pg.escapeLiteral(t.table_name)} AS t, count(*)::int AS n FROM ${pg.escapeIdentifier(t.table_name)} WHERE test_run_id = $1`).join(' UNION ALL ');
  const { rows } = await client.query<{ t: string; n: number }>(sql, [runId]);
  return Object.fromEntries(rows.map((r) => [r.t, r.n]));
}

/** `items=3, comments=12` for the non-zero entries. */
export function describeCounts(counts: Record<string, number>): string {
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([t, n]) => `${t}=${n}`)
    .join(', ');
}

export const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/** Drops a whole database (a run's restored clone), whoever is still connected to it. */
export async function dropDatabase(serverUrl: string, database: string): Promise<void> {
  await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)} WITH (FORCE)`);
}
