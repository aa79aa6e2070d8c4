/**
 * A run's partitions: one per test-data table, named <table>_r_<hash of the run ID>, created
 * before the run's first row is written and detached and dropped when the run is cleaned up.
 * They reference each other (PARTITION_FKS), never another run's.
 *
 * Creating is DDL on the parent tables (ACCESS EXCLUSIVE for a few milliseconds); dropping
 * detaches CONCURRENTLY where PostgreSQL allows it. Both run with a short lock_timeout so that
 * they never queue behind a long query and stall everything queued behind them; on a timeout
 * they back off and try again before giving up loudly, naming what held the locks.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { AppError } from '../errors.js';
import { inTransaction } from './db.js';
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
 * deadlock. Retries back off exponentially (capped at BACKOFF_CAP_MS, with jitter): 20 attempts
 * wait about a minute and a half in all before giving up with the names of what held the locks.
 */
const PATIENT: LockPolicy = { lockTimeoutMs: 500, attempts: 20 };
const BACKOFF_CAP_MS = 5_000;
const backoffMs = (attempt: number) => Math.min(BACKOFF_CAP_MS, 50 * 2 ** attempt) * (0.5 + Math.random());

/**
 * A lock the cleanup could not get within its policy: 503 with Retry-After, and the message names
 * who held it (pid, what kind of session, since when, doing what), so that a person can act.
 * Carries PostgreSQL's code too, for callers that back off on a lock timeout (the sweeper).
 */
export class LockWaitTimeout extends AppError {
  readonly pgCode = '55P03';
  constructor(what: string, blockers: Blocker[], waitedMs: number) {
    const who = blockers.length ? blockers.map(describeBlocker).join('; ') : 'nobody holds it now (it was released as the cleanup gave up)';
    super('UNAVAILABLE', `${what}: gave up after ${(waitedMs / 1000).toFixed(1)} s of lock waits; held by ${who}`, { blockers }, { 'retry-after': '5' });
  }
}

export const isLockTimeout = (e: unknown) => e instanceof LockWaitTimeout || (e as { code?: string })?.code === '55P03';

type Blocker = { pid: number; kind: string; application: string; state: string; seconds: number; query: string; relation: string; mode: string };
const describeBlocker = (b: Blocker) => `pid ${b.pid} (${b.kind}${b.application ? `, ${b.application}` : ''}, ${b.state}, ${b.seconds} s) with ${b.mode} on ${b.relation}: ${b.query || '(no query)'}`;

/** Sessions other than ours holding locks on these relations: what a cleanup that waits waited for. */
async function blockersOf(db: Pick<pg.Pool, 'query'>, relations: string[]): Promise<Blocker[]> {
  const { rows } = await db.query<Blocker>(
    `SELECT a.pid, coalesce(a.backend_type, '') AS kind, coalesce(a.application_name, '') AS application, coalesce(a.state, '') AS state,
            coalesce(extract(epoch FROM now() - coalesce(a.xact_start, a.query_start))::int, 0) AS seconds,
            left(regexp_replace(coalesce(a.query, ''), '\s+', ' ', 'g'), 120) AS query, c.relname AS relation, l.mode
       FROM pg_locks l JOIN pg_class c ON c.oid = l.relation JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.granted AND c.relname = ANY($1) AND l.pid <> pg_backend_pid()
      ORDER BY seconds DESC LIMIT 5`,
    [relations],
  );
  return rows;
}

/**
 * Autovacuum never yields to a lock_timeout shorter than deadlock_timeout (PostgreSQL cancels it
 * only for a waiter that has waited that long), and on a partition of tens of millions of rows
 * it runs for minutes: a run's cleanup at SEED_PROFILE=large waited for it until it gave up. The
 * partitions are about to be dropped, so their vacuum is wasted work: cancelled, nothing else.
 */
async function cancelAutovacuumOn(db: Pick<pg.Pool, 'query'>, relations: string[]): Promise<number> {
  const { rows } = await db.query<{ ok: boolean }>(
    `SELECT pg_cancel_backend(a.pid) AS ok FROM pg_stat_activity a
      WHERE a.backend_type = 'autovacuum worker'
        AND EXISTS (SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE l.pid = a.pid AND c.relname = ANY($1))`,
    [relations],
  );
  return rows.filter((r) => r.ok).length;
}

/**
 * One statement (or one transaction of them) under the lock policy: retried on a lock timeout or
 * a deadlock, with backoff, autovacuum on `relations` cancelled before each retry; past the
 * last attempt, a LockWaitTimeout that says what held the locks.
 */
async function underLockPolicy(pool: pg.Pool, what: string, relations: string[], policy: LockPolicy, step: () => Promise<void>): Promise<void> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (e) {
      // 55P03 lock_not_available: somebody holds the table; let them finish first. 40P01: chosen
      // as a deadlock victim (should not happen with the timeout above), nothing was done: again.
      const code = (e as { code?: string }).code;
      if (code !== '55P03' && code !== '40P01') throw e;
      if (attempt >= policy.attempts) throw new LockWaitTimeout(what, await blockersOf(pool, relations).catch(() => []), Date.now() - started);
      await cancelAutovacuumOn(pool, relations).catch(() => 0);
      await new Promise((r) => setTimeout(r, backoffMs(attempt)));
    }
  }
}

async function ddl(pool: pg.Pool, runId: string, statements: (client: pg.PoolClient) => Promise<void>, policy: LockPolicy = PATIENT): Promise<void> {
  const relations = [...TEST_DATA_TABLES, ...TEST_DATA_TABLES.map((t) => partitionName(t, runId))];
  await underLockPolicy(pool, `DDL on the partitions of run ${runId}`, relations, policy, () =>
    inTransaction(pool, async (client) => {
      await client.query(`SET LOCAL lock_timeout = '${Math.round(policy.lockTimeoutMs)}ms'`);
      // One run's partitions are made or dropped by one caller at a time.
      await client.query('SELECT pg_advisory_xact_lock(727002, hashtext($1))', [runId]);
      await statements(client);
    }),
  );
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

/** No timeout of the pool's for counting a run's rows: at SEED_PROFILE=large a partition holds tens of millions. */
const UNBOUNDED = { query_timeout: 24 * 3_600_000 };

/** PostgreSQL 14 and later detach a partition without blocking readers of its parent (CONCURRENTLY). */
async function detachesConcurrently(db: Pick<pg.Pool, 'query'>): Promise<boolean> {
  const { rows } = await db.query<{ v: number }>(`SELECT current_setting('server_version_num')::int AS v`);
  return rows[0]!.v >= 140000;
}

/**
 * PostgreSQL lets one partition of a table be pending detach at a time (55000 "already pending
 * detach"): two runs cleaned up at once meet here. The other cleanup finishes in moments: this
 * one waits its turn under the lock policy (rethrown as a lock timeout). A pending detach that
 * nobody holds any more (its cleanup died between the two phases) is finished here, as its
 * cleanup wanted; its table stays, detached, until its own run's cleanup drops it by name.
 */
async function yieldToOtherDetach(pool: pg.Pool, client: pg.PoolClient, table: string, e: unknown): Promise<never> {
  const other = (e as { code?: string }).code === '55000' ? /partition "([^"]+)" already pending detach/.exec((e as Error).message)?.[1] : undefined;
  if (!other) throw e;
  if ((await blockersOf(pool, [other])).length === 0) await client.query(`ALTER TABLE ${table} DETACH PARTITION ${pg.escapeIdentifier(other)} FINALIZE`).catch(() => {});
  throw Object.assign(new Error(`partition ${other} of ${table} is being detached by another cleanup`), { code: '55P03' });
}

type PartitionState = { relname: string; attached: boolean; pending: boolean };

/** The run's partitions that exist, attached or not: a cleanup interrupted between detach and drop left some detached. */
async function partitionsOf(db: Pick<pg.Pool, 'query'>, runId: string, concurrent: boolean): Promise<Map<string, PartitionState>> {
  const { rows } = await db.query<PartitionState>(
    `SELECT c.relname, i.inhrelid IS NOT NULL AS attached, ${concurrent ? 'coalesce(i.inhdetachpending, false)' : 'false'} AS pending
       FROM pg_class c LEFT JOIN pg_inherits i ON i.inhrelid = c.oid
      WHERE c.relname = ANY($1) AND c.relkind = 'r'`,
    [TEST_DATA_TABLES.map((t) => partitionName(t, runId))],
  );
  return new Map(rows.map((r) => [r.relname, r]));
}

/**
 * Detaches and drops the run's partitions, children first; returns how many rows each held.
 * Nothing of any other run is read or written.
 *
 * At any size: the counts are taken first with no statement timeout and no lock but a reader's;
 * each partition is then detached CONCURRENTLY where PostgreSQL allows it (14+: the parent only
 * takes SHARE UPDATE EXCLUSIVE, so nobody's queries wait behind the cleanup) and dropped, each
 * step under the lock policy (short lock waits, backoff, autovacuum of the run's partitions
 * cancelled). A cleanup interrupted between steps leaves partitions detached or pending detach:
 * found by name and finished by the next cleanup of the run (its own, or the reaper's).
 */
export async function dropRunPartitions(pool: pg.Pool, runId: string, policy: LockPolicy = PATIENT): Promise<RowCounts> {
  const concurrent = await detachesConcurrently(pool);
  const present = await partitionsOf(pool, runId, concurrent);
  const counts = {} as RowCounts;
  for (const table of TEST_DATA_TABLES) counts[table] = 0;
  if (!present.size) return counts;
  await inTransaction(pool, async (c) => {
    await c.query('SET LOCAL statement_timeout = 0');
    for (const table of TEST_DATA_TABLES) {
      const name = partitionName(table, runId);
      if (present.has(name)) counts[table] = Number((await c.query<{ n: string }>({ text: `SELECT count(*) AS n FROM ${name}`, ...UNBOUNDED })).rows[0]!.n);
    }
  });
  if (!concurrent) {
    // Before PostgreSQL 14: detach and drop in one transaction (ACCESS EXCLUSIVE on the parents, briefly).
    await ddl(
      pool,
      runId,
      async (c) => {
        const now = await partitionsOf(c, runId, false);
        for (const table of TEST_DATA_TABLES) {
          const name = partitionName(table, runId);
          if (now.get(name)?.attached) await c.query(`ALTER TABLE ${table} DETACH PARTITION ${name}`);
          if (now.has(name)) await c.query(`DROP TABLE ${name}`);
        }
      },
      policy,
    );
    return counts;
  }
  // Whose locks a step can wait for: the run's partitions (dropping one removes its foreign
  // keys, which locks the partitions they point at), and for a detach the parent too.
  const relations = [...present.keys()];
  const client = await pool.connect();
  try {
    await client.query(`SET lock_timeout = '${Math.round(policy.lockTimeoutMs)}ms'`);
    // One run's partitions are made or dropped by one caller at a time (ensureRunPartitions takes
    // the same key per transaction). Session-level: DETACH … CONCURRENTLY runs in no transaction block.
    await underLockPolicy(pool, `waiting for another cleanup of run ${runId}`, relations, policy, async () => {
      await client.query('SELECT pg_advisory_lock(727002, hashtext($1))', [runId]);
    });
    try {
      for (const table of TEST_DATA_TABLES) {
        const name = partitionName(table, runId);
        const state = (await partitionsOf(client, runId, true)).get(name);
        if (!state) continue; // dropped meanwhile by another cleanup
        if (state.attached) {
          await underLockPolicy(pool, `detaching ${name} from ${table}`, [table, ...relations], policy, async () => {
            const again = (await partitionsOf(client, runId, true)).get(name);
            if (!again?.attached) return;
            // A timeout in the second phase of CONCURRENTLY leaves the detach pending: finished next time.
            try {
              await client.query(`ALTER TABLE ${table} DETACH PARTITION ${name} ${again.pending ? 'FINALIZE' : 'CONCURRENTLY'}`);
            } catch (e) {
              await yieldToOtherDetach(pool, client, table, e);
            }
          });
        }
        await underLockPolicy(pool, `dropping ${name}`, relations, policy, async () => {
          await client.query(`DROP TABLE IF EXISTS ${name}`);
        });
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock(727002, hashtext($1))', [runId]).catch(() => {});
    }
  } finally {
    await client.query('RESET lock_timeout').catch(() => {});
    client.release();
  }
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
