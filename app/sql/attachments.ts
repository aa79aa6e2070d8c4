import type { Queryable } from './db.js';

const COLUMNS = `id::text, item_id::text AS "itemId", filename, content_type AS "contentType",
  size_bytes::float8 AS "sizeBytes", created_at AS "createdAt"`;

export type Attachment = { id: string; itemId: string; filename: string; contentType: string; sizeBytes: number; createdAt: string };

export async function createAttachment(db: Queryable, accountId: string, itemId: string, a: { filename: string; contentType: string; sizeBytes: number }) {
  const { rows } = await db.query<Attachment>(
    `INSERT INTO attachments (item_id, account_id, filename, content_type, size_bytes, test_run_id, expires_at)
     SELECT i.id, i.account_id, $3, $4, $5, i.test_run_id, i.expires_at FROM items i WHERE i.id = $1 AND i.account_id = $2
     RETURNING ${COLUMNS}`,
    [itemId, accountId, a.filename, a.contentType, a.sizeBytes],
  );
  return rows[0];
}

export async function listAttachments(db: Queryable, itemId: string) {
  const { rows } = await db.query<Attachment>(`SELECT ${COLUMNS} FROM attachments WHERE item_id = $1 ORDER BY attachments.id`, [itemId]);
  return rows;
}
