import type { Queryable } from './db.js';

const COLUMNS = `id::text, item_id::text AS "itemId", parent_id::text AS "parentId", author, body, created_at AS "createdAt"`;

export type Comment = { id: string; itemId: string; parentId: string | null; author: string; body: string; createdAt: string };

/**
 * Adds a comment to an item the account owns; a reply's parent must be on the same item.
 * Returns `missing` naming which of the two was not found.
 */
export async function createComment(
  db: Queryable,
  account: { id: string; name: string },
  itemId: string,
  c: { body: string; parentId?: string },
): Promise<{ row: Comment } | { missing: 'item' | 'parent' }> {
  const { rows } = await db.query<Comment>(
    `INSERT INTO comments (item_id, account_id, parent_id, author, body, test_run_id, expires_at)
     SELECT i.id, i.account_id, $4::bigint, $3, $5, i.test_run_id, i.expires_at FROM items i
      WHERE i.id = $1 AND i.account_id = $2
        AND ($4::bigint IS NULL OR EXISTS (SELECT 1 FROM comments p WHERE p.id = $4::bigint AND p.item_id = i.id))
     RETURNING ${COLUMNS}`,
    [itemId, account.id, account.name, c.parentId ?? null, c.body],
  );
  if (rows[0]) return { row: rows[0] };
  if (!c.parentId) return { missing: 'item' };
  const item = await db.query(`SELECT 1 FROM items WHERE id = $1 AND account_id = $2`, [itemId, account.id]);
  return { missing: item.rowCount ? 'parent' : 'item' };
}

/** Oldest first (threads read top-down); the cursor is the last comment's id, ordered by (created_at, id). */
export async function listComments(db: Queryable, itemId: string, limit: number, afterId: string | null) {
  const { rows } = await db.query<Comment>(
    `SELECT ${COLUMNS} FROM comments
      WHERE item_id = $1 AND ($2::bigint IS NULL OR (created_at, id) > (SELECT created_at, id FROM comments WHERE id = $2::bigint AND item_id = $1))
      ORDER BY created_at, id LIMIT $3`,
    [itemId, afterId, limit],
  );
  return rows;
}
