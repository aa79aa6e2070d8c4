/**
 * A run's partitions: one per test-data table, named <table>_r_<hash of the run ID>, created
 * before the run's first row is written and detached and dropped when the run is cleaned up.
 * They reference each other (PARTITION_FKS), never another run's.
 *
 * Both are DDL on the parent tables (ACCESS EXCLUSIVE for a few milliseconds). They run with a
 * short lock_timeout so that they never queue behind a long query and stall everything queued
 * behind them; on a timeout they back off and try again a few times before giving up loudly.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { ownerColumn, TEST_DATA_TABLES, type RowCounts, type TestDataTable } from './tables.js';

/** Real data ('') lives in <table>_real; a run in <table>_r_<hash of its ID>. */
export const partitionName = (table: string, runId: string) => (runId === '' ? `${table}_real` : `${table}_r_${createHash('sha256').update(runId).digest('hex').slice(0, 16)}`);

/** The foreign keys of a run's partitions, between themselves: (table, column) → parent table. */
export const PARTITION_FKS: readonly [TestDataTable, string, TestDataTable][] = [
  ['api_tokens', 'account_id', 'accounts'],
  ['projects', 'account_id', 'accounts'],
  ['items', 'project_id', 'projects'],
  ['items', 'account_id', 'accounts'],
  ['comments', 'item_id', 'items'],
  ['comments', 'account_id', 'accounts'],
  ['comments', 'parent_id', 'comments'],
  ['attachments', 'item_id', 'items'],
  ['attachments', 'account_id', 'accounts'],
  ['tags', 'account_id', 'accounts'],
  ['item_tags', 'item_id', 'items'],
  ['item_tags', 'tag_id', 'tags'],
  ['item_tags', 'account_id', 'accounts'],
];

const fkName = (table: string, column: string, runId: string) => `${partitionName(table, runId)}_${column}_fk`;

function fkStatement(table: TestDataTable, column: string, parent: TestDataTable, runId: string): string {
  return `ALTER TABLE ${partitionName(table, runId)} ADD CONSTRAINT ${fkName(table, column, runId)}
          FOREIGN KEY (${column}, test_run_id) REFERENCES ${partitionName(parent, runId)} (id, test_run_id) ON DELETE CASCADE`;
}

/** At start: the real partitions (made by the migrations) carry exactly the foreign keys runs get. */
export async function assertPartitionForeignKeys(db: Pick<pg.Pool, 'query'>): Promise<void> {
  const wanted = PARTITION_FKS.map(([t, c]) => fkName(t, c, ''));
  const { rows } = await db.query<{ conname: string }>(`SELECT conname FROM pg_constraint WHERE contype = 'f' AND conname = ANY($1)`, [wanted]);
  const have = new Set(rows.map((r) => r.conname));
  const missing = wanted.filter((n) => !have.has(n));
  if (missing.length) throw new Error(`the real partitions lack foreign keys that sql/partitions.ts gives every run: ${missing.join(', ')}`);
}

/** Parents first: a child's partition references its parents' partitions. */
const CREATE_ORDER = [...TEST_DATA_TABLES].reverse();

/** How DDL waits for locks: the suite's own calls retry; the sweeper tries once and backs off. */
export type LockPolicy = { lockTimeoutMs: number; attempts: number };
/**
 * Shorter than deadlock_timeout (1 s by default), on purpose: DDL on the shared parents always
 * yields, to real traffic and to another run's DDL (creating takes the parents' locks
 * parents-first, dropping children-first), instead of waiting long enough to be drawn into a
 * deadlock. Retries, with jitter, outlast what holds the locks meanwhile, an autovacuum of the
 * run's fresh partitions included.
 */
const PATIENT: LockPolicy = { lockTimeoutMs: 500, attempts: 8 };

async function ddl(pool: pg.Pool, runId: string, statements: (client: pg.PoolClient) => Promise<void>, policy: LockPolicy = PATIENT): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SET LOCAL lock_timeout = '${Math.round(policy.lockTimeoutMs)}ms'`);
      // One run's partitions are made or dropped by one caller at a time.
      await client.query('SELECT pg_advisory_xact_lock(727002, hashtext($1))', [runId]);
      await statements(client);
      await client.query('COMMIT');
      return;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      // 55P03 lock_not_available: somebody holds the table; let them finish first. 40P01: chosen
      // as a deadlock victim (should not happen with the timeout above), nothing was done: again.
      const code = (e as { code?: string }).code;
      if ((code !== '55P03' && code !== '40P01') || attempt >= policy.attempts) throw e;
      await new Promise((r) => setTimeout(r, 50 * 2 ** attempt * (0.5 + Math.random())));
    } finally {
      client.release();
    }
  }
}

/**
 * Creates the run's partitions if they do not exist yet. Checked in the catalogue every time, not
 * cached: another app instance may have dropped them since (one cheap query when they exist).
 */
export async function ensureRunPartitions(pool: pg.Pool, runId: string): Promise<void> {
  const names = CREATE_ORDER.map((t) => partitionName(t, runId));
  const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_class WHERE relname = ANY($1)`, [names]);
  if (rows[0]!.n === names.length) return;
  await ddl(pool, runId, async (c) => {
    const existing = await c.query<{ relname: string }>(`SELECT relname FROM pg_class WHERE relname = ANY($1)`, [CREATE_ORDER.map((t) => partitionName(t, runId))]);
    const have = new Set(existing.rows.map((r) => r.relname));
    for (const table of CREATE_ORDER) {
      const name = partitionName(table, runId);
      if (have.has(name)) continue;
      await c.query(`CREATE TABLE ${name} PARTITION OF ${table} FOR VALUES IN (${pg.escapeLiteral(runId)})`);
      // Its foreign keys point at partitions made before it (CREATE_ORDER is parents first).
      for (const [t, column, parent] of PARTITION_FKS) if (t === table) await c.query(fkStatement(t, column, parent, runId));
    }
  });
}

/**
 * Detaches and drops the run's partitions, children first, in one transaction; returns how many
 * rows each held. Nothing of any other run is read or written.
 */
export async function dropRunPartitions(pool: pg.Pool, runId: string, policy?: LockPolicy): Promise<RowCounts> {
  // Counted first, outside the DDL: counting a big partition while holding the parents'
  // ACCESS EXCLUSIVE locks would make everyone's queries on those tables wait for it.
  const counts = {} as RowCounts;
  const attached = await pool.query<{ relname: string }>(`SELECT p.relname FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhrelid WHERE p.relname = ANY($1)`, [
    TEST_DATA_TABLES.map((t) => partitionName(t, runId)),
  ]);
  const present = new Set(attached.rows.map((r) => r.relname));
  for (const table of TEST_DATA_TABLES) {
    const name = partitionName(table, runId);
    counts[table] = present.has(name) ? Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${name}`)).rows[0]!.n) : 0;
  }
  await ddl(
    pool,
    runId,
    async (c) => {
      for (const table of TEST_DATA_TABLES) {
        const name = partitionName(table, runId);
        const still = await c.query(`SELECT 1 FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhrelid WHERE p.relname = $1`, [name]);
        if (still.rowCount === 0) continue; // dropped meanwhile by another cleanup
        await c.query(`ALTER TABLE ${table} DETACH PARTITION ${name}`);
        await c.query(`DROP TABLE ${name}`);
      }
    },
    policy,
  );
  return counts;
}

/**
 * A run whose seeding failed before any seed of it succeeded leaves nothing but its record and
 * empty partitions: they go now, not at its TTL. Under the run's record lock (which every
 * reservation of the run waits for), and only while no request of the run is in flight
 * (rows_reserved = 0) and no seed ever succeeded (counts empty), so nothing written is dropped.
 * Returns whether the run was forgotten.
 */
export async function forgetFailedRun(pool: pg.Pool, runId: string): Promise<boolean> {
  let forgotten = false;
  await ddl(pool, runId, async (c) => {
    const { rows } = await c.query<{ reserved: string; seeds: number }>(
      `SELECT rows_reserved::text AS reserved, (SELECT count(*) FROM jsonb_object_keys(counts))::int AS seeds FROM test_runs WHERE run_id = $1 FOR UPDATE`,
      [runId],
    );
    if (!rows[0] || Number(rows[0].reserved) > 0 || rows[0].seeds > 0) return;
    for (const table of TEST_DATA_TABLES) {
      const name = partitionName(table, runId);
      const attached = await c.query(`SELECT 1 FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhrelid WHERE p.relname = $1`, [name]);
      if (attached.rowCount === 0) continue;
      await c.query(`ALTER TABLE ${table} DETACH PARTITION ${name}`);
      await c.query(`DROP TABLE ${name}`);
    }
    await c.query(`DELETE FROM test_runs WHERE run_id = $1`, [runId]);
    forgotten = true;
  });
  return forgotten;
}

/**
 * Bulk seeding as pg_restore does it: per-row foreign-key triggers off (they cost as much as the
 * writes themselves), every key of the account's rows checked afterwards in one set-based pass
 * per key. Needs a superuser (session_replication_role); elsewhere the triggers stay on.
 * Call at the start of a seeding transaction; returns whether the triggers are off.
 */
export async function bulkLoadMode(client: pg.PoolClient): Promise<boolean> {
  // Asked once per server and role, not once per seed transaction: the answer does not change.
  const key = `${client.host}:${client.port}/${client.user}`;
  let superuser = superusers.get(key);
  if (superuser === undefined) {
    const { rows } = await client.query<{ su: boolean }>(`SELECT rolsuper AS su FROM pg_roles WHERE rolname = current_user`);
    superuser = rows[0]?.su === true;
    superusers.set(key, superuser);
  }
  if (!superuser) return false;
  await client.query(`SET LOCAL session_replication_role = replica`);
  return true;
}

const superusers = new Map<string, boolean>();

/** Every foreign key of one account's rows in its run, checked set-based. Throws on the first broken one. */
export async function verifyAccountReferences(db: Pick<pg.Pool, 'query'>, runId: string, accountId: string): Promise<void> {
  for (const [table, column, parent] of PARTITION_FKS) {
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${table} c
        WHERE c.test_run_id = $1 AND c.${ownerColumn(table)} = $2 AND c.${column} IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM ${parent} p WHERE p.test_run_id = $1 AND p.id = c.${column})`,
      [runId, accountId],
    );
    if (rows[0]!.n > 0) throw new Error(`seeding wrote ${rows[0]!.n} ${table} row(s) whose ${column} has no ${parent} row: nothing of the account is kept`);
  }
}
