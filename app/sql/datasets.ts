/**
 * Saved datasets: the rows of a seeded run copied into the `datasets` schema, restorable under a
 * new run ID in a fraction of the time generating them takes (no text generation, no JSON, no
 * HTTP: one INSERT … SELECT per table).
 *
 * Restoring gives every row a fresh id from its table's sequence (through temp old→new maps,
 * so concurrent writers never collide), remaps every foreign key, re-tags the rows with the new
 * run and expiry, and issues new API tokens. Column lists come from the catalogue, so a column
 * added by a later migration is carried without touching this file; a dataset saved under an
 * older schema version is refused instead of restored half-right.
 */
import type { Queryable } from './db.js';
import { TEST_DATA_TABLES, type RowCounts } from './testdata.js';

/** Per table: the columns that hold ids, and the table whose old→new map translates them. */
const REMAP: Record<string, Record<string, string>> = {
  accounts: { id: 'accounts' },
  projects: { id: 'projects', account_id: 'accounts' },
  items: { id: 'items', project_id: 'projects', account_id: 'accounts' },
  comments: { id: 'comments', item_id: 'items', account_id: 'accounts', parent_id: 'comments' },
  attachments: { item_id: 'items', account_id: 'accounts' },
  tags: { id: 'tags', account_id: 'accounts' },
  item_tags: { item_id: 'items', tag_id: 'tags', account_id: 'accounts' },
};
/** Tables restored in this order (parents first); api_tokens are issued anew, never copied. */
const RESTORE_ORDER = ['accounts', 'projects', 'items', 'comments', 'attachments', 'tags', 'item_tags'] as const;
const MAPPED = ['accounts', 'projects', 'items', 'comments', 'tags'] as const;

const snapshot = (table: string, version: number) => `datasets.${table}_v${version}`;

export type DatasetInfo = { name: string; profile: string | null; seed: string | null; schemaVersion: number; counts: RowCounts; sourceRunId: string; createdAt: string };

export async function listDatasets(db: Queryable): Promise<DatasetInfo[]> {
  const { rows } = await db.query<DatasetInfo>(
    `SELECT name, profile, seed, schema_version AS "schemaVersion", counts, source_run_id AS "sourceRunId", created_at AS "createdAt"
       FROM datasets.catalog ORDER BY name`,
  );
  return rows;
}

/** Copies a run's rows into the dataset `name`, replacing any dataset of that name. */
export async function saveDataset(db: Queryable, o: { name: string; runId: string; profile?: string; seed?: string; schemaVersion: number }): Promise<RowCounts> {
  const counts = {} as RowCounts;
  await db.query(`DELETE FROM datasets.catalog WHERE name = $1`, [o.name]);
  for (const table of TEST_DATA_TABLES) {
    const snap = snapshot(table, o.schemaVersion);
    await db.query(`CREATE TABLE IF NOT EXISTS ${snap} (dataset text NOT NULL, LIKE public.${table})`);
    await db.query(`CREATE INDEX IF NOT EXISTS ${table}_v${o.schemaVersion}_dataset_idx ON ${snap} (dataset)`);
    await db.query(`DELETE FROM ${snap} WHERE dataset = $1`, [o.name]);
    const r = await db.query(`INSERT INTO ${snap} SELECT $1, t.* FROM public.${table} t WHERE t.test_run_id = $2`, [o.name, o.runId]);
    counts[table] = r.rowCount ?? 0;
  }
  await db.query(
    `INSERT INTO datasets.catalog (name, profile, seed, schema_version, counts, source_run_id) VALUES ($1, $2, $3, $4, $5, $6)`,
    [o.name, o.profile ?? null, o.seed ?? null, o.schemaVersion, JSON.stringify(counts), o.runId],
  );
  return counts;
}

export type RestoreOutcome =
  | { restored: { counts: RowCounts; accounts: { oldId: string; id: string; email: string }[] } }
  | { missing: string[] }
  | { stale: number };

/** Must run in a transaction: the temp maps are dropped at commit. */
export async function restoreDataset(
  db: Queryable,
  o: { name: string; runId: string; ttlSeconds: number; schemaVersion: number },
): Promise<RestoreOutcome> {
  const info = await db.query<{ schema_version: number; source_run_id: string }>(`SELECT schema_version, source_run_id FROM datasets.catalog WHERE name = $1`, [o.name]);
  if (!info.rows[0]) return { missing: (await listDatasets(db)).map((d) => d.name) };
  if (info.rows[0].schema_version !== o.schemaVersion) return { stale: info.rows[0].schema_version };
  const sourceRun = info.rows[0].source_run_id;

  for (const table of MAPPED) {
    await db.query(
      `CREATE TEMP TABLE map_${table} ON COMMIT DROP AS
       SELECT id AS old, nextval(pg_get_serial_sequence('public.${table}', 'id')) AS new
         FROM ${snapshot(table, o.schemaVersion)} WHERE dataset = $1`,
      [o.name],
    );
    await db.query(`CREATE UNIQUE INDEX ON map_${table} (old)`);
    await db.query(`ANALYZE map_${table}`);
  }

  const counts = {} as RowCounts;
  counts.api_tokens = 0;
  for (const table of RESTORE_ORDER) {
    const cols = (
      await db.query<{ column_name: string }>(
        `SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
        [table],
      )
    ).rows.map((r) => r.column_name);
    const remap = REMAP[table]!;
    const joins: string[] = [];
    const target: string[] = [];
    const values: string[] = [];
    for (const c of cols) {
      if (c === 'id' && !remap.id) continue; // a leaf table: let the identity assign it
      target.push(c);
      if (remap[c]) {
        joins.push(`${c === 'parent_id' ? 'LEFT ' : ''}JOIN map_${remap[c]} m_${c} ON m_${c}.old = s.${c}`);
        values.push(`m_${c}.new`);
      } else if (c === 'test_run_id') values.push('$2');
      else if (c === 'expires_at') values.push('now() + make_interval(secs => $3)');
      else if (table === 'accounts' && c === 'email') values.push('replace(s.email, $4, $2)'); // emails carry the run ID
      else values.push(`s.${c}`);
    }
    const r = await db.query(
      `INSERT INTO public.${table} (${target.join(', ')}) ${remap.id ? 'OVERRIDING SYSTEM VALUE' : ''}
       SELECT ${values.join(', ')} FROM ${snapshot(table, o.schemaVersion)} s ${joins.join(' ')}
        WHERE s.dataset = $1`,
      // $4 (the source run, inside emails) appears only in the accounts statement.
      table === 'accounts' ? [o.name, o.runId, o.ttlSeconds, sourceRun] : [o.name, o.runId, o.ttlSeconds],
    );
    counts[table] = r.rowCount ?? 0;
  }
  const accounts = await db.query<{ oldId: string; id: string; email: string }>(
    `SELECT m.old::text AS "oldId", a.id::text, a.email FROM map_accounts m JOIN accounts a ON a.id = m.new ORDER BY m.old`,
  );
  return { restored: { counts, accounts: accounts.rows } };
}

export async function issueTokens(db: Queryable, runId: string, ttlSeconds: number, accountIds: string[], tokenHashes: Buffer[]): Promise<void> {
  await db.query(
    `INSERT INTO api_tokens (test_run_id, expires_at, account_id, token_hash)
     SELECT $1, now() + make_interval(secs => $2), a, h FROM unnest($3::bigint[], $4::bytea[]) AS u(a, h)`,
    [runId, ttlSeconds, accountIds, tokenHashes],
  );
}
