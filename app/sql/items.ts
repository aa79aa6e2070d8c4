/**
 * Items and their state machine. Listing is keyset-paginated, newest first, on
 * (created_at, id): the cursor carries both, created_at with its microseconds (see pool.ts).
 */
import type pg from 'pg';
import { inTransaction, type Queryable } from './db.js';

export const ITEM_STATES = ['draft', 'published', 'archived'] as const;
export type ItemState = (typeof ITEM_STATES)[number];

/** The only moves allowed; everything else is INVALID_TRANSITION. */
export const TRANSITIONS: Record<ItemState, readonly ItemState[]> = {
  draft: ['published'],
  published: ['archived'],
  archived: [],
};

const SUMMARY = `id::text, project_id::text AS "projectId", title, state, created_at AS "createdAt",
  updated_at AS "updatedAt", published_at AS "publishedAt", archived_at AS "archivedAt"`;
const FULL = `${SUMMARY}, body, version`;

export type ItemSummary = {
  id: string;
  projectId: string;
  title: string;
  state: ItemState;
  createdAt: string;
  updatedAt: string;
  publishedAt: string | null;
  archivedAt: string | null;
};
export type Item = ItemSummary & { body: string; version: number };

export async function createItem(db: pg.Pool, accountId: string, projectId: string, i: { title: string; body?: string }, serial = false): Promise<Item | undefined> {
  // One statement: the project's ownership check is the INSERT's own WHERE, and the new row
  // inherits the project's run tag (test data stays test data).
  const insert = (q: Queryable) =>
    q
      .query<Item>(
        `INSERT INTO items (project_id, account_id, title, body, test_run_id, expires_at)
     SELECT p.id, p.account_id, $3, $4, p.test_run_id, p.expires_at FROM projects p WHERE p.id = $1 AND p.account_id = $2
     RETURNING ${FULL}`,
        [projectId, accountId, i.title, i.body ?? ''],
      )
      .then((r) => r.rows[0]);
  if (!serial) return insert(db);
  // APP_FAULTS=serial_writes: a transaction takes one advisory lock for every insert of every
  // tenant, then inserts, then commits: the lock is held across two round trips, each of which
  // waits for this process's event loop, so under load every writer queues behind the slowest.
  return inTransaction(db, async (client) => {
    await client.query(`SELECT pg_advisory_xact_lock(${SERIAL_WRITES_LOCK})`);
    return insert(client);
  });
}

export async function getItem(db: Queryable, accountId: string, id: string) {
  const { rows } = await db.query<Item>(`SELECT ${FULL} FROM items WHERE id = $1 AND account_id = $2`, [id, accountId]);
  return rows[0];
}

export type Cursor = { createdAt: string; id: string };

export async function listItems(
  db: Queryable,
  projectId: string,
  opts: { limit: number; after: Cursor | null; state: ItemState | null; offset?: number; full?: boolean; total?: boolean },
): Promise<{ rows: ItemSummary[]; next: Cursor | null; more: boolean; total?: number }> {
  const where = ['project_id = $1'];
  const params: unknown[] = [projectId, opts.limit + 1];
  if (opts.state) {
    params.push(opts.state);
    where.push(`state = $${params.length}`);
  }
  if (opts.after) {
    params.push(opts.after.createdAt, opts.after.id);
    where.push(`(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::bigint)`);
  }
  // APP_FAULTS=full_rows selects the body too; APP_FAULTS=exact_totals counts every matching row
  // (the window runs before the LIMIT: the whole project is read for each page).
  const { rows } = await db.query<ItemSummary & { total?: number }>(
    `SELECT ${opts.full ? FULL : SUMMARY}${opts.total ? ', count(*) OVER ()::int AS total' : ''} FROM items
      WHERE ${where.join(' AND ')}
      ORDER BY items.created_at DESC, items.id DESC LIMIT $2${opts.offset ? ` OFFSET ${Math.trunc(opts.offset)}` : ''}`,
    params,
  );
  const more = rows.length > opts.limit;
  const page = more ? rows.slice(0, opts.limit) : rows;
  const last = page.at(-1);
  const total = opts.total ? (rows[0]?.total ?? 0) : undefined;
  if (opts.total) for (const r of page) delete r.total;
  return {
    rows: page,
    next: more && last ? { createdAt: last.createdAt, id: last.id } : null,
    more,
    ...(total !== undefined && { total }),
  };
}

export async function updateItem(
  db: Queryable,
  accountId: string,
  id: string,
  patch: { title?: string; body?: string; state?: ItemState },
  /** If-Match's version: the update applies only to it. */
  expectedVersion: number | null = null,
): Promise<{ row: Item } | { invalidFrom: ItemState } | { conflict: number } | undefined> {
  // Allowed source states for the requested target; the same state is a no-op, not a move.
  const from = patch.state ? [patch.state, ...ITEM_STATES.filter((s) => TRANSITIONS[s].includes(patch.state!))] : [...ITEM_STATES];
  const { rows } = await db.query<Item>(
    `UPDATE items SET
        title = COALESCE($3, title),
        body = COALESCE($4, body),
        published_at = CASE WHEN $5::text = 'published' AND state <> 'published' THEN now() ELSE published_at END,
        archived_at  = CASE WHEN $5::text = 'archived'  AND state <> 'archived'  THEN now() ELSE archived_at END,
        state = COALESCE($5, state),
        version = version + 1,
        updated_at = now()
      WHERE id = $1 AND account_id = $2 AND state = ANY($6::text[]) AND ($7::int IS NULL OR version = $7::int)
      RETURNING ${FULL}`,
    [id, accountId, patch.title ?? null, patch.body ?? null, patch.state ?? null, from, expectedVersion],
  );
  if (rows[0]) return { row: rows[0] };
  const current = await getItem(db, accountId, id);
  if (!current) return undefined;
  // Another version first: a state the item is in now may well allow the move.
  return expectedVersion !== null && current.version !== expectedVersion ? { conflict: current.version } : { invalidFrom: current.state };
}

/** Deletes the item (at `expectedVersion`, when If-Match names one): true, or why not. */
export async function deleteItem(db: Queryable, accountId: string, id: string, expectedVersion: number | null = null): Promise<true | { conflict: number } | undefined> {
  const { rowCount } = await db.query(`DELETE FROM items WHERE id = $1 AND account_id = $2 AND ($3::int IS NULL OR version = $3::int)`, [id, accountId, expectedVersion]);
  if (rowCount === 1) return true;
  const current = expectedVersion === null ? undefined : await getItem(db, accountId, id);
  return current ? { conflict: current.version } : undefined;
}

export async function itemExists(db: Queryable, accountId: string, id: string): Promise<boolean> {
  const { rowCount } = await db.query(`SELECT 1 FROM items WHERE id = $1 AND account_id = $2`, [id, accountId]);
  return rowCount === 1;
}

/**
 * The composite index item listing lives on: present normally, absent with
 * APP_FAULTS=drop_index (made again at the next start without it). On a partitioned table the
 * index is made on every partition.
 */
/** The advisory lock key of APP_FAULTS=serial_writes. */
const SERIAL_WRITES_LOCK = 7_340_001;

/**
 * APP_FAULTS=audit_trigger: a row-level trigger on items copies each insert and update into
 * audit_log inside the writer's transaction; without the fault, no such trigger.
 */
export async function ensureAuditTrigger(db: Queryable, present: boolean): Promise<void> {
  if (!present) {
    await db.query(`DROP TRIGGER IF EXISTS items_audit ON items`);
    return;
  }
  await db.query(`CREATE OR REPLACE FUNCTION items_audit() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO audit_log (method, route, outcome, remote_addr, run_id, request_id, detail)
      VALUES (TG_OP, 'items', 'row', '', NEW.test_run_id::text, '', to_jsonb(NEW));
      RETURN NEW;
    END $$`);
  await db.query(`CREATE OR REPLACE TRIGGER items_audit AFTER INSERT OR UPDATE ON items FOR EACH ROW EXECUTE FUNCTION items_audit()`);
}

export async function ensureListingIndex(db: Queryable, present: boolean): Promise<void> {
  await db.query(present ? `CREATE INDEX IF NOT EXISTS items_project_created_idx ON items (project_id, created_at DESC, id DESC)` : `DROP INDEX IF EXISTS items_project_created_idx`);
}
