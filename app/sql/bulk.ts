/**
 * Bulk seeding for datasets: rows arrive in PostgreSQL's COPY text format and stream straight
 * into the run's own partitions. The app parses nothing per row, so writing costs what COPY
 * costs; the partition's bound still refuses a row of another run (23514), and every foreign
 * key is checked set-based once the caller says the dataset is complete (verifyRunReferences).
 */
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { idSequence, inTransaction, type Queryable } from './db.js';
import { PARTITION_FKS, partitionName } from './partitions.js';
import { TEST_DATA_TABLES, type TestDataTable } from './tables.js';

/**
 * The columns a bulk request carries per table, in this order: part of the seeding contract
 * (the OpenAPI description of POST /internal/test/bulk/rows/{table} lists them). Ids are sent
 * for the tables others reference; they come from POST /internal/test/bulk/ids.
 */
export const BULK_COLUMNS = {
  projects: ['id', 'account_id', 'name', 'description', 'created_at', 'updated_at', 'test_run_id', 'expires_at'],
  items: ['id', 'project_id', 'account_id', 'title', 'body', 'state', 'created_at', 'updated_at', 'published_at', 'archived_at', 'test_run_id', 'expires_at'],
  comments: ['id', 'item_id', 'account_id', 'parent_id', 'author', 'body', 'created_at', 'test_run_id', 'expires_at'],
  attachments: ['item_id', 'account_id', 'filename', 'content_type', 'size_bytes', 'created_at', 'test_run_id', 'expires_at'],
  tags: ['id', 'account_id', 'name', 'test_run_id', 'expires_at'],
  item_tags: ['item_id', 'tag_id', 'account_id', 'test_run_id', 'expires_at'],
} as const satisfies Partial<Record<TestDataTable, readonly string[]>>;

export type BulkTable = keyof typeof BULK_COLUMNS;
export const BULK_TABLES = Object.keys(BULK_COLUMNS) as BulkTable[];
/** Tables whose ids the caller reserves (the others take theirs from their identity). */
export const ID_TABLES = ['projects', 'items', 'comments', 'tags'] as const;
export type IdTable = (typeof ID_TABLES)[number];

/**
 * Reserves `n` ids from the table's identity sequence and returns them as inclusive ranges
 * (usually one): nextval per id, so a concurrent writer of the same table never collides.
 */
export async function reserveIdRanges(db: Queryable, table: IdTable, n: number): Promise<[string, string][]> {
  if (n === 0) return [];
  const { rows } = await db.query<{ lo: string; hi: string }>(
    `SELECT min(id)::text AS lo, max(id)::text AS hi
       FROM (SELECT id, id - row_number() OVER (ORDER BY id) AS island
               FROM (SELECT nextval($1::regclass) AS id FROM generate_series(1, $2)) s) t
      GROUP BY island ORDER BY 1`,
    [await idSequence(db, table), n],
  );
  return rows.map((r) => [r.lo, r.hi]);
}

/**
 * Stops a body past `maxBytes` (the request body is a stream, passed to COPY unparsed), and
 * hands COPY blocks of at least BLOCK bytes: the socket's 64 KB reads, one CopyData message and
 * one write to PostgreSQL each, cost the app a third of a second per medium dataset in syscalls.
 */
class ByteLimit extends Transform {
  private static readonly BLOCK = 1 << 20;
  private bytes = 0;
  private held: Buffer[] = [];
  private heldBytes = 0;
  constructor(private readonly maxBytes: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null, data?: Buffer) => void) {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) return cb(new BodyTooLarge(this.maxBytes));
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    if (this.heldBytes < ByteLimit.BLOCK) return cb();
    this.release(cb);
  }
  override _flush(cb: (e?: Error | null, data?: Buffer) => void) {
    if (!this.heldBytes) return cb();
    this.release(cb);
  }
  private release(cb: (e?: Error | null, data?: Buffer) => void) {
    const block = this.held.length === 1 ? this.held[0]! : Buffer.concat(this.held, this.heldBytes);
    this.held = [];
    this.heldBytes = 0;
    cb(null, block);
  }
}

export class BodyTooLarge extends Error {
  constructor(readonly maxBytes: number) {
    super(`the body is larger than ${maxBytes} bytes`);
  }
}

/** Streams `body` into the run's partition of `table` with COPY, inside the caller's transaction; returns the rows written. */
export async function copyRows(client: pg.PoolClient, table: BulkTable, runId: string, body: Readable, maxBytes: number): Promise<number> {
  const copy = client.query(copyStreams.from(`COPY ${partitionName(table, runId)} (${BULK_COLUMNS[table].join(', ')}) FROM STDIN`));
  await pipeline(body, new ByteLimit(maxBytes), copy);
  return Number(copy.rowCount ?? 0);
}

/** One table's span in a run: its rows, its own ids' bounds (a parent), each key column's bounds (a child). Bounds are null when there is nothing to bound. */
export type TableSpan = { rows: bigint; id?: [bigint, bigint] | null; keys: Record<string, [bigint, bigint] | null> };

/**
 * The keys that the tables' spans alone prove whole: the parent's ids fill their span with no
 * gap (ids are unique in a partition, so rows = max − min + 1 says every id between is there)
 * and the child's values lie inside it (or there are none). Bulk datasets take their ids from
 * ranges reserved in one go, so this holds for them and costs one scan per table, bounds and a
 * count. A key it leaves out is not broken: it needs the exact check.
 */
export function keysProvenBySpan(spans: ReadonlyMap<string, TableSpan>, fks: readonly (readonly [string, string, string])[] = PARTITION_FKS): Set<string> {
  const proven = new Set<string>();
  for (const [table, column, parent] of fks) {
    const child = spans.get(table)?.keys[column];
    const p = spans.get(parent);
    if (child === undefined || !p) continue;
    if (child === null) {
      proven.add(`${table}.${column}`); // no non-null value refers to anything
      continue;
    }
    const ids = p.id;
    if (!ids || p.rows !== ids[1] - ids[0] + 1n) continue;
    if (child[0] >= ids[0] && child[1] <= ids[1]) proven.add(`${table}.${column}`);
  }
  return proven;
}

const bounds = (lo: string | null, hi: string | null): [bigint, bigint] | null => (lo === null || hi === null ? null : [BigInt(lo), BigInt(hi)]);

/**
 * A query of the check, in its own transaction with the plan settings it needs. The queries
 * already run side by side, so no parallel workers on top of them.
 */
async function checkQuery<R extends pg.QueryResultRow>(db: pg.Pool, sql: string, settings = ''): Promise<R> {
  return inTransaction(db, async (c) => {
    await c.query(`SET LOCAL max_parallel_workers_per_gather = 0${settings}`);
    return (await c.query<R>(sql)).rows[0]!;
  });
}

/**
 * Every foreign key of the run's partitions, checked set-based over the whole run: what the
 * per-row triggers that bulk loading skips would have checked. Returns the broken ones, empty
 * when all hold; null when the run has no partitions here.
 *
 * First one scan per table, all side by side: its rows, its ids' bounds, its key columns'
 * bounds. Keys those prove (keysProvenBySpan) are done; any other gets the exact check, one
 * anti-join (a hash of the parent's ids, the child's rows that find none counted). On medium
 * (566k rows) the scans took 110 ms against 275–320 ms for the anti-joins of every key: those
 * hash the 123k item ids three times and the 247k comment ids once, on rows just written.
 */
export async function brokenRunReferences(db: pg.Pool, runId: string): Promise<{ table: string; column: string; parent: string; rows: number }[] | null> {
  const names = [...new Set(PARTITION_FKS.flatMap(([t, , p]) => [partitionName(t, runId), partitionName(p, runId)]))];
  const present = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_class WHERE relname = ANY($1)`, [names]);
  if (present.rows[0]!.n < names.length) return null;

  const tables = [...new Set(PARTITION_FKS.flatMap(([t, , p]) => [t, p]))];
  const parents = new Set(PARTITION_FKS.map(([, , p]) => p));
  const spans = new Map(
    await Promise.all(
      tables.map(async (table) => {
        const columns = PARTITION_FKS.filter(([t]) => t === table).map(([, c]) => c);
        const bounded = [...(parents.has(table) ? ['id'] : []), ...columns];
        const r = await checkQuery<Record<string, string | null>>(
          db,
          `SELECT count(*)::text AS rows, ${bounded.map((c) => `min(${c})::text AS lo_${c}, max(${c})::text AS hi_${c}`).join(', ')} FROM ${partitionName(table, runId)}`,
        );
        const span: TableSpan = { rows: BigInt(r.rows!), keys: Object.fromEntries(columns.map((c) => [c, bounds(r[`lo_${c}`]!, r[`hi_${c}`]!)])) };
        if (parents.has(table)) span.id = bounds(r.lo_id!, r.hi_id!);
        return [table, span] as const;
      }),
    ),
  );
  const proven = keysProvenBySpan(spans);

  // The exact check. work_mem holds a million-row parent's ids in memory (at the default 4 MB it
  // spills to temp files). The plan is fixed: a freshly loaded partition has no statistics yet,
  // and the planner, guessing, chose sorts, merge joins and per-row index probes that took twice
  // as long. (A join per child table for all its keys at once, counting the misses with FILTER,
  // carried every matched row through every join: 0.29 CPU-s on medium against 0.17.)
  const found = await Promise.all(
    PARTITION_FKS.filter(([table, column]) => !proven.has(`${table}.${column}`)).map(async ([table, column, parent]) => {
      const r = await checkQuery<{ n: number }>(
        db,
        `SELECT count(*)::int AS n FROM ${partitionName(table, runId)} c
          WHERE c.${column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${partitionName(parent, runId)} p WHERE p.id = c.${column})`,
        `; SET LOCAL work_mem = '256MB'; SET LOCAL enable_mergejoin = off; SET LOCAL enable_nestloop = off`,
      );
      return { table, column, parent, rows: r.n };
    }),
  );
  return found.filter((c) => c.rows > 0);
}

/**
 * Autovacuum off on the run's partitions while a dataset is loaded into them, and back on when it
 * is complete: vacuuming and analysing tables that grow by millions of rows took a third of the
 * machine's CPU on `xl` (each big partition three times over), and their statistics would be
 * stale again a second later. ShareUpdateExclusive: reads and writes go on.
 */
export async function setAutovacuum(db: Queryable, runId: string, on: boolean): Promise<void> {
  for (const table of TEST_DATA_TABLES) {
    await db.query(on ? `ALTER TABLE ${partitionName(table, runId)} RESET (autovacuum_enabled)` : `ALTER TABLE ${partitionName(table, runId)} SET (autovacuum_enabled = false)`);
  }
}
