/**
 * Public bulk writes: one statement per batch, whatever its size. With an externalId a row is
 * upserted (sent again, it updates instead of duplicating); the state machine still holds,
 * since an upsert only ever changes text, never state.
 */
import type { Queryable } from './db.js';
import type { ItemState } from './items.js';

export type BatchItem = { externalId?: string; title: string; body?: string; state?: ItemState };
export type BatchComment = { itemId: string; externalId?: string; body: string; parentId?: string };
export type BatchResult = { id: string; externalId: string | null; created: boolean }[];

export async function projectOwned(db: Queryable, accountId: string, projectId: string): Promise<boolean> {
  const { rowCount } = await db.query(`SELECT 1 FROM projects WHERE id = $1 AND account_id = $2`, [projectId, accountId]);
  return rowCount === 1;
}

/** External ids of the batch that exist already (RETURNING cannot tell on a partitioned table). */
async function existingKeys(db: Queryable, table: 'items' | 'comments', parent: string, pairs: { parentId: string; externalId?: string }[]): Promise<Set<string>> {
  const keyed = pairs.filter((p) => p.externalId !== undefined);
  if (keyed.length === 0) return new Set();
  const { rows } = await db.query<{ k: string }>(
    `SELECT t.${parent}::text || '/' || t.external_id AS k FROM ${table} t
       JOIN unnest($1::bigint[], $2::text[]) AS u(parent, ext) ON t.${parent} = u.parent AND t.external_id = u.ext`,
    [keyed.map((p) => p.parentId), keyed.map((p) => p.externalId)],
  );
  return new Set(rows.map((r) => r.k));
}

/** Must run in a transaction: `created` is judged against the keys present when it began. */
export async function upsertItems(db: Queryable, projectId: string, items: BatchItem[]): Promise<BatchResult> {
  const before = await existingKeys(
    db,
    'items',
    'project_id',
    items.map((i) => ({ parentId: projectId, externalId: i.externalId })),
  );
  const { rows } = await db.query<{ id: string; externalId: string | null }>(
    `INSERT INTO items (project_id, account_id, test_run_id, expires_at, external_id, title, body, state, published_at, archived_at)
     SELECT p.id, p.account_id, p.test_run_id, p.expires_at, b.external_id, b.title, b.body, b.state,
            CASE WHEN b.state <> 'draft' THEN now() END,
            -- An item imported as archived was published and archived at once: the state machine's
            -- timestamps hold (archived_at >= published_at) for it as for any other.
            CASE WHEN b.state = 'archived' THEN now() END
       FROM projects p,
            unnest($2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS b(external_id, title, body, state, ord)
      WHERE p.id = $1
      ORDER BY b.ord
     ON CONFLICT (project_id, external_id, test_run_id) WHERE external_id IS NOT NULL
     DO UPDATE SET title = EXCLUDED.title, body = EXCLUDED.body, updated_at = now()
     RETURNING id::text, external_id AS "externalId"`,
    [projectId, items.map((i) => i.externalId ?? null), items.map((i) => i.title), items.map((i) => i.body ?? ''), items.map((i) => i.state ?? 'draft')],
  );
  return rows.map((r) => ({ ...r, created: r.externalId === null || !before.has(`${projectId}/${r.externalId}`) }));
}

/** Item ids of the batch that are not the account's (dangling or another tenant's). */
export async function foreignItems(db: Queryable, accountId: string, itemIds: string[]): Promise<Set<string>> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT u.id::text FROM unnest($2::bigint[]) AS u(id)
      WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.id = u.id AND i.account_id = $1)`,
    [accountId, itemIds],
  );
  return new Set(rows.map((r) => r.id));
}

/** Indexes of comments whose parentId is not a comment on the same item. */
export async function badParents(db: Queryable, comments: BatchComment[]): Promise<number[]> {
  const withParent = comments.map((c, k) => ({ ...c, k })).filter((c) => c.parentId !== undefined);
  if (withParent.length === 0) return [];
  const { rows } = await db.query<{ k: number }>(
    `SELECT u.k FROM unnest($1::int[], $2::bigint[], $3::bigint[]) AS u(k, item_id, parent_id)
      WHERE NOT EXISTS (SELECT 1 FROM comments c WHERE c.id = u.parent_id AND c.item_id = u.item_id)`,
    [withParent.map((c) => c.k), withParent.map((c) => c.itemId), withParent.map((c) => c.parentId)],
  );
  return rows.map((r) => r.k).sort((a, b) => a - b);
}

/** Must run in a transaction, as upsertItems. */
export async function upsertComments(db: Queryable, author: string, comments: BatchComment[]): Promise<BatchResult> {
  const before = await existingKeys(
    db,
    'comments',
    'item_id',
    comments.map((c) => ({ parentId: c.itemId, externalId: c.externalId })),
  );
  const { rows } = await db.query<{ id: string; itemId: string; externalId: string | null }>(
    `INSERT INTO comments (item_id, account_id, test_run_id, expires_at, external_id, parent_id, author, body)
     SELECT i.id, i.account_id, i.test_run_id, i.expires_at, b.external_id, b.parent_id, $1, b.body
       FROM unnest($2::bigint[], $3::text[], $4::bigint[], $5::text[]) WITH ORDINALITY AS b(item_id, external_id, parent_id, body, ord)
       JOIN items i ON i.id = b.item_id
      ORDER BY b.ord
     ON CONFLICT (item_id, external_id, test_run_id) WHERE external_id IS NOT NULL
     DO UPDATE SET body = EXCLUDED.body
     RETURNING id::text, item_id::text AS "itemId", external_id AS "externalId"`,
    [author, comments.map((c) => c.itemId), comments.map((c) => c.externalId ?? null), comments.map((c) => c.parentId ?? null), comments.map((c) => c.body)],
  );
  return rows.map(({ itemId, ...r }) => ({ ...r, created: r.externalId === null || !before.has(`${itemId}/${r.externalId}`) }));
}
