/**
 * Test data by run: seeding (set-based), cleanup by run ID, the TTL reaper, and the row census
 * that proves a run left nothing behind. Runs live in partitions of their own (partitions.ts).
 */
import type { Queryable } from './db.js';
import type pg from 'pg';
import { reserveIds } from './db.js';
import { forgetRun } from './coordination.js';
import { deleteRunJobs } from './jobs.js';
import { dropRunPartitions, type LockPolicy } from './partitions.js';
import type { SeedAccountInput } from '../routes/internal/seed-schema.js';

export { TEST_DATA_TABLES, type RowCounts, type TestDataTable } from './tables.js';
import { ownerColumn, TEST_DATA_TABLES, type RowCounts, type TestDataTable } from './tables.js';

export async function assertTestDataTables(db: Queryable): Promise<void> {
  // Tables, not their partitions: a partition is part of its parent.
  const { rows } = await db.query<{ table_name: string }>(
    `SELECT c.relname AS table_name FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
      WHERE a.attname = 'test_run_id' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
        AND c.relnamespace = current_schema()::regnamespace`,
  );
  const actual = new Set(rows.map((r) => r.table_name));
  const listed = new Set<string>(TEST_DATA_TABLES);
  const missing = [...actual].filter((t) => !listed.has(t));
  const extra = [...listed].filter((t) => !actual.has(t));
  if (missing.length || extra.length) {
    throw new Error(`TEST_DATA_TABLES in app/sql/testdata.ts is out of date with the schema: ` + `not listed: [${missing.join(', ')}]; listed but without test_run_id: [${extra.join(', ')}]`);
  }
}

/** Rows of one run still present, per table, in one round trip. */
export async function countRunRows(db: Queryable, runId: string): Promise<RowCounts> {
  const sql = TEST_DATA_TABLES.map((t) => `SELECT '${t}' AS t, count(*)::int AS n FROM ${t} WHERE test_run_id = $1`).join(' UNION ALL ');
  const { rows } = await db.query<{ t: TestDataTable; n: number }>(sql, [runId]);
  return Object.fromEntries(rows.map((r) => [r.t, r.n])) as RowCounts;
}

const CHUNK = 5000;

/** Each table's key, partition key included: a ctid or an id alone is not unique across partitions. */
const KEY: Record<TestDataTable, string> = {
  notifications: 'id, test_run_id',
  search_documents: 'item_id, test_run_id',
  item_tags: 'item_id, tag_id, test_run_id',
  attachments: 'id, test_run_id',
  comments: 'id, test_run_id',
  items: 'id, test_run_id',
  tags: 'id, test_run_id',
  projects: 'id, test_run_id',
  api_tokens: 'id, test_run_id',
  accounts: 'id, test_run_id',
};

/** A statement PostgreSQL chose as a deadlock victim (40P01) is simply run again, a few times. */
async function retryDeadlock<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (e) {
      if ((e as { code?: string }).code !== '40P01' || attempt >= 3) throw e;
      await new Promise((r) => setTimeout(r, 20 * attempt));
    }
  }
}

/**
 * Runs `fn` only if no other reaper (the endpoint's, any app's sweeper) is running against this
 * database; returns null when one is. One reaper at a time: two would delete the same expired
 * rows and deadlock each other.
 */
export async function asTheOnlyReaper<T>(pool: pg.Pool, fn: () => Promise<T>): Promise<T | null> {
  const client = await pool.connect();
  try {
    const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(727003) AS ok');
    if (!rows[0]!.ok) return null;
    try {
      return await fn();
    } finally {
      await client.query('SELECT pg_advisory_unlock(727003)');
    }
  } finally {
    client.release();
  }
}

/**
 * Deletes one run's rows, or one account's rows of it, table by table, children first, in
 * chunks: each statement holds its locks briefly. With `once`, deletes at most one chunk per
 * table (the sweeper paces itself that way).
 */
export async function deleteChunked(db: Queryable, scope: { runId: string; accountId?: string }, chunk = CHUNK, once = false): Promise<RowCounts> {
  const deleted = {} as RowCounts;
  const params = scope.accountId === undefined ? [scope.runId] : [scope.runId, scope.accountId];
  for (const table of TEST_DATA_TABLES) {
    deleted[table] = 0;
    const scoped = scope.accountId === undefined ? 'test_run_id = $1' : `test_run_id = $1 AND ${ownerColumn(table)} = $2`;
    for (;;) {
      const { rowCount } = await retryDeadlock(() => db.query(`DELETE FROM ${table} WHERE (${KEY[table]}) IN (SELECT ${KEY[table]} FROM ${table} WHERE ${scoped} LIMIT ${chunk})`, params));
      deleted[table] += rowCount ?? 0;
      if (once || (rowCount ?? 0) < chunk) break;
    }
  }
  return deleted;
}

/**
 * Removes one run: its partitions are detached and dropped (sql/partitions.ts). With an
 * account, removes only that account's rows of the run, in chunks, and gives them back to the
 * run's row budget.
 */
export async function cleanupRun(pool: pg.Pool, runId: string, accountId?: string, policy?: LockPolicy): Promise<RowCounts> {
  if (accountId !== undefined) {
    const deleted = await deleteChunked(pool, { runId, accountId });
    await releaseRunRows(
      pool,
      runId,
      Object.values(deleted).reduce((a, b) => a + b, 0),
    );
    return deleted;
  }
  const deleted = await dropRunPartitions(pool, runId, policy);
  await deleteRunJobs(pool, runId);
  await forgetRun(pool, runId);
  await pool.query(`UPDATE test_runs SET cleaned_at = now(), rows_reserved = 0 WHERE run_id = $1`, [runId]);
  return deleted;
}

/** A restored dataset's rows live and die with their database (db/clone.ts), never by expiry. */
const NOT_A_DATASET = `NOT IN (SELECT source_run_id FROM datasets.meta)`;

/** Accounts of live runs whose own expiry has passed (seeded with a shorter TTL than their run). */
export async function expiredAccounts(db: Queryable, limit: number): Promise<{ runId: string; accountId: string }[]> {
  const { rows } = await db.query<{ runId: string; accountId: string }>(
    `SELECT test_run_id AS "runId", id::text AS "accountId" FROM accounts
      WHERE expires_at < now() AND test_run_id <> '' AND test_run_id NOT IN (SELECT source_run_id FROM datasets.meta)
      ORDER BY expires_at LIMIT $1`,
    [limit],
  );
  return rows;
}

/** Runs whose expiry has passed and whose partitions may still exist. */
export async function expiredRuns(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ run_id: string }>(`SELECT run_id FROM test_runs WHERE expires_at < now() AND cleaned_at IS NULL AND run_id ${NOT_A_DATASET} ORDER BY expires_at`);
  return rows.map((r) => r.run_id);
}

/**
 * How long the record of cleaned runs (test_runs) and of test-endpoint calls (audit_log) is kept:
 * long enough to debug last week's failed nightly run from it, short enough not to grow forever.
 */
export const HISTORY_RETENTION = '14 days';

/** Forgets cleaned runs and audit entries older than HISTORY_RETENTION, in bounded chunks. */
export async function pruneHistory(db: Queryable): Promise<{ runs: number; audit: number }> {
  const runs = await db.query(`DELETE FROM test_runs WHERE run_id IN (SELECT run_id FROM test_runs WHERE cleaned_at < now() - $1::interval LIMIT 10000)`, [HISTORY_RETENTION]);
  const audit = await db.query(`DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < now() - $1::interval ORDER BY at LIMIT 50000)`, [HISTORY_RETENTION]);
  return { runs: runs.rowCount ?? 0, audit: audit.rowCount ?? 0 };
}

/**
 * The crash safety net: drops every expired run's partitions, then deletes rows that expired
 * before their run did (an account seeded with a shorter TTL).
 */
export async function reapExpired(pool: pg.Pool): Promise<{ deleted: RowCounts; runs: string[] }> {
  const reaped = await asTheOnlyReaper(pool, async () => {
    const runs = await expiredRuns(pool);
    const deleted = {} as RowCounts;
    const add = (c: RowCounts) => Object.entries(c).forEach(([t, n]) => (deleted[t as TestDataTable] = (deleted[t as TestDataTable] ?? 0) + n));
    for (const runId of runs) add(await cleanupRun(pool, runId));
    for (;;) {
      const accounts = await expiredAccounts(pool, 100);
      for (const a of accounts) add(await cleanupRun(pool, a.runId, a.accountId));
      if (accounts.length < 100) break;
    }
    await pruneHistory(pool);
    return { deleted, runs };
  });
  // Another reaper is at work: what it removes is as good as removed by us; wait for it.
  return reaped ?? (await new Promise((r) => setTimeout(r, 200)), reapExpired(pool));
}

// ---------------------------------------------------------------------------------------------
// Seeding

/** Rows the seed input would write, per table (plus the account and its token). */
export function countSeedRows(input: SeedAccountInput): RowCounts {
  const c: RowCounts = { accounts: 1, api_tokens: 1, projects: 0, items: 0, comments: 0, attachments: 0, tags: 0, item_tags: 0, notifications: 0, search_documents: 0 };
  const tags = new Set<string>();
  for (const p of input.projects ?? []) {
    c.projects++;
    for (const i of p.items ?? []) {
      c.items++;
      c.comments += i.comments?.length ?? 0;
      c.attachments += i.attachments?.length ?? 0;
      const own = new Set(i.tags ?? []);
      c.item_tags += own.size;
      own.forEach((t) => tags.add(t));
    }
  }
  c.tags = tags.size;
  return c;
}

/**
 * Writes one account with its whole tree in a fixed number of set-based statements (ids are
 * reserved from the sequences first, so children can reference parents without round trips).
 * Must run inside a transaction: a failure writes nothing.
 */
export async function seedAccount(db: Queryable, input: SeedAccountInput, tokenHash: Buffer) {
  const tag = [input.runId, input.ttlSeconds] as const;
  const expires = `now() + make_interval(secs => $2)`;
  const account = (
    await db.query<{ id: string; name: string; email: string }>(
      `INSERT INTO accounts (test_run_id, expires_at, name, email) VALUES ($1, ${expires}, $3, $4)
       RETURNING id::text, name, email`,
      [...tag, input.account.name, input.account.email],
    )
  ).rows[0]!;
  await db.query(`INSERT INTO api_tokens (test_run_id, expires_at, account_id, token_hash) VALUES ($1, ${expires}, $3, $4)`, [...tag, account.id, tokenHash]);

  const projects = input.projects ?? [];
  const items = projects.flatMap((p, pi) => (p.items ?? []).map((it) => ({ it, pi })));
  const comments = items.flatMap(({ it }, ii) => (it.comments ?? []).map((c, ci) => ({ c, ii, ci })));
  const attachments = items.flatMap(({ it }, ii) => (it.attachments ?? []).map((a) => ({ a, ii })));
  const tagNames = [...new Set(items.flatMap(({ it }) => it.tags ?? []))];

  const projectIds = await reserveIds(db, 'projects', projects.length);
  const itemIds = await reserveIds(db, 'items', items.length);
  const commentIds = await reserveIds(db, 'comments', comments.length);
  const tagIds = await reserveIds(db, 'tags', tagNames.length);

  if (projects.length) {
    await db.query(
      `INSERT INTO projects (id, test_run_id, expires_at, account_id, name, description, created_at, updated_at)
       OVERRIDING SYSTEM VALUE
       SELECT id, $1, ${expires}, $3, name, description, COALESCE(created, now()), COALESCE(created, now())
         FROM unnest($4::bigint[], $5::text[], $6::text[], $7::timestamptz[]) AS t(id, name, description, created)`,
      [...tag, account.id, projectIds, projects.map((p) => p.name), projects.map((p) => p.description ?? ''), projects.map((p) => p.createdAt ?? null)],
    );
  }
  if (items.length) {
    await db.query(
      `INSERT INTO items (id, test_run_id, expires_at, account_id, project_id, title, body, state,
                          created_at, updated_at, published_at, archived_at)
       OVERRIDING SYSTEM VALUE
       SELECT id, $1, ${expires}, $3, project_id, title, body, state,
              COALESCE(created, now()), GREATEST(COALESCE(created, now()), published, archived), published, archived
         FROM unnest($4::bigint[], $5::bigint[], $6::text[], $7::text[], $8::text[],
                     $9::timestamptz[], $10::timestamptz[], $11::timestamptz[])
           AS t(id, project_id, title, body, state, created, published, archived)`,
      [
        ...tag,
        account.id,
        itemIds,
        items.map(({ pi }) => projectIds[pi]),
        items.map(({ it }) => it.title),
        items.map(({ it }) => it.body ?? ''),
        items.map(({ it }) => it.state ?? 'draft'),
        items.map(({ it }) => it.createdAt ?? null),
        items.map(({ it }) => it.publishedAt ?? null),
        items.map(({ it }) => it.archivedAt ?? null),
      ],
    );
  }
  if (tagNames.length) {
    await db.query(
      `INSERT INTO tags (id, test_run_id, expires_at, account_id, name) OVERRIDING SYSTEM VALUE
       SELECT id, $1, ${expires}, $3, name FROM unnest($4::bigint[], $5::text[]) AS t(id, name)`,
      [...tag, account.id, tagIds, tagNames],
    );
    const tagId = new Map(tagNames.map((n, i) => [n, tagIds[i]!]));
    const pairs = items.flatMap(({ it }, ii) => [...new Set(it.tags ?? [])].map((t) => [itemIds[ii]!, tagId.get(t)!] as const));
    await db.query(
      `INSERT INTO item_tags (test_run_id, expires_at, account_id, item_id, tag_id)
       SELECT $1, ${expires}, $3, item_id, tag_id FROM unnest($4::bigint[], $5::bigint[]) AS t(item_id, tag_id)`,
      [...tag, account.id, pairs.map((p) => p[0]), pairs.map((p) => p[1])],
    );
  }
  if (comments.length) {
    // A reply names its parent by index within the same item's list: map it to the reserved id.
    const firstOfItem = new Map<number, number>();
    comments.forEach(({ ii }, k) => firstOfItem.has(ii) || firstOfItem.set(ii, k));
    await db.query(
      `INSERT INTO comments (id, test_run_id, expires_at, account_id, item_id, parent_id, author, body, created_at)
       OVERRIDING SYSTEM VALUE
       SELECT id, $1, ${expires}, $3, item_id, parent_id, $4, body, COALESCE(created, now())
         FROM unnest($5::bigint[], $6::bigint[], $7::bigint[], $8::text[], $9::timestamptz[])
           AS t(id, item_id, parent_id, body, created)`,
      [
        ...tag,
        account.id,
        input.account.name,
        commentIds,
        comments.map(({ ii }) => itemIds[ii]),
        comments.map(({ c, ii }) => (c.replyTo === undefined ? null : commentIds[firstOfItem.get(ii)! + c.replyTo])),
        comments.map(({ c }) => c.body),
        comments.map(({ c }) => c.createdAt ?? null),
      ],
    );
  }
  if (attachments.length) {
    await db.query(
      `INSERT INTO attachments (test_run_id, expires_at, account_id, item_id, filename, content_type, size_bytes, created_at)
       SELECT $1, ${expires}, $3, item_id, filename, content_type, size_bytes, COALESCE(created, now())
         FROM unnest($4::bigint[], $5::text[], $6::text[], $7::bigint[], $8::timestamptz[])
           AS t(item_id, filename, content_type, size_bytes, created)`,
      [
        ...tag,
        account.id,
        attachments.map(({ ii }) => itemIds[ii]),
        attachments.map(({ a }) => a.filename),
        attachments.map(({ a }) => a.contentType),
        attachments.map(({ a }) => a.sizeBytes),
        attachments.map(({ a }) => a.createdAt ?? null),
      ],
    );
  }
  return { account, projectIds, itemIds };
}

/** Records what was seeded for a run, adding to what earlier calls of the same run recorded. */
export async function recordSeed(db: Queryable, input: Pick<SeedAccountInput, 'runId' | 'ttlSeconds' | 'seed' | 'profile'>, counts: RowCounts, ms: number) {
  await db.query(
    `INSERT INTO test_runs (run_id, expires_at, seed, profile, counts, seed_ms)
     VALUES ($1, now() + make_interval(secs => $2), $3, $4, $5::jsonb, $6)
     ON CONFLICT (run_id) DO UPDATE SET
       expires_at = GREATEST(test_runs.expires_at, EXCLUDED.expires_at),
       seed = COALESCE(EXCLUDED.seed, test_runs.seed),
       profile = COALESCE(EXCLUDED.profile, test_runs.profile),
       counts = (SELECT jsonb_object_agg(k, COALESCE((test_runs.counts->>k)::bigint, 0) + COALESCE((EXCLUDED.counts->>k)::bigint, 0))
                   FROM (SELECT jsonb_object_keys(test_runs.counts || EXCLUDED.counts) AS k) keys),
       seed_ms = test_runs.seed_ms + EXCLUDED.seed_ms,
       cleaned_at = NULL`,
    [input.runId, input.ttlSeconds, input.seed ?? null, input.profile ?? null, JSON.stringify(counts), Math.round(ms)],
  );
}

// ---------------------------------------------------------------------------------------------
// The per-run row budget. A request reserves its rows before writing (one short autocommit
// statement, so concurrent seeders of one run do not serialise on a lock for the whole seed),
// and gives back what it did not write.

/** Reserves `rows` for the run; returns null when that would pass `max`, else the new total. */
export async function reserveRunRows(db: Queryable, runId: string, ttlSeconds: number, rows: number, max: number): Promise<{ reserved: number } | { over: number }> {
  if (rows > max) return { over: 0 };
  const { rows: r } = await db.query<{ rows_reserved: string }>(
    `INSERT INTO test_runs (run_id, expires_at, rows_reserved) VALUES ($1, now() + make_interval(secs => $2), $3)
     ON CONFLICT (run_id) DO UPDATE SET rows_reserved = test_runs.rows_reserved + EXCLUDED.rows_reserved,
                                        expires_at = GREATEST(test_runs.expires_at, EXCLUDED.expires_at)
      WHERE test_runs.rows_reserved + EXCLUDED.rows_reserved <= $4
     RETURNING rows_reserved::text`,
    [runId, ttlSeconds, rows, max],
  );
  if (r[0]) return { reserved: Number(r[0].rows_reserved) };
  const current = await db.query<{ n: string }>(`SELECT rows_reserved::text AS n FROM test_runs WHERE run_id = $1`, [runId]);
  return { over: Number(current.rows[0]?.n ?? 0) };
}

export async function releaseRunRows(db: Queryable, runId: string, rows: number): Promise<void> {
  if (rows <= 0) return;
  await db.query(`UPDATE test_runs SET rows_reserved = GREATEST(0, rows_reserved - $2) WHERE run_id = $1`, [runId, rows]);
}
