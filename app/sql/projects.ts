import type pg from 'pg';
import { lockTimed } from '../db/pool.js';
import { inTransaction, type Queryable } from './db.js';

const COLUMNS = `id::text, name, description, version, created_at AS "createdAt", updated_at AS "updatedAt"`;

export type ProjectRow = {
  id: string;
  name: string;
  description: string;
  version: number;
  createdAt: string;
  updatedAt: string;
};

export async function createProject(db: Queryable, accountId: string, p: { name: string; description?: string }) {
  const { rows } = await db.query<ProjectRow>(
    // A test account's rows belong to its run: they inherit its test_run_id and expiry.
    `INSERT INTO projects (account_id, name, description, test_run_id, expires_at)
     SELECT a.id, $2, $3, a.test_run_id, a.expires_at FROM accounts a WHERE a.id = $1
     RETURNING ${COLUMNS}`,
    [accountId, p.name, p.description ?? ''],
  );
  return rows[0]!;
}

export async function getProject(db: Queryable, accountId: string, id: string) {
  const { rows } = await db.query<ProjectRow>(`SELECT ${COLUMNS} FROM projects WHERE id = $1 AND account_id = $2`, [id, accountId]);
  return rows[0];
}

/** Newest first, keyset on id. */
export async function listProjects(db: Queryable, accountId: string, limit: number, afterId: string | null) {
  const { rows } = await db.query<ProjectRow>(
    `SELECT ${COLUMNS} FROM projects
      WHERE account_id = $1 AND ($2::bigint IS NULL OR id < $2::bigint)
      ORDER BY projects.id DESC LIMIT $3`,
    [accountId, afterId, limit],
  );
  return rows;
}

/**
 * Update with optimistic concurrency: when `expectedVersion` is given, only that version is
 * updated. Returns the row, or `conflict` with the current version, or undefined if not found.
 */
export async function updateProject(
  db: Queryable,
  accountId: string,
  id: string,
  patch: { name?: string; description?: string },
  expectedVersion: number | null,
): Promise<{ row: ProjectRow } | { conflict: number } | undefined> {
  // The UPDATE takes the row's lock for as long as it runs: on a hot project, its time is
  // mostly waiting for that lock.
  const { rows } = await lockTimed(() =>
    db.query<ProjectRow>(
      `UPDATE projects SET name = COALESCE($3, name), description = COALESCE($4, description),
            version = version + 1, updated_at = now()
      WHERE id = $1 AND account_id = $2 AND ($5::int IS NULL OR version = $5::int)
      RETURNING ${COLUMNS}`,
      [id, accountId, patch.name ?? null, patch.description ?? null, expectedVersion],
    ),
  );
  if (rows[0]) return { row: rows[0] };
  if (expectedVersion === null) return undefined;
  const current = await getProject(db, accountId, id);
  return current ? { conflict: current.version } : undefined;
}

/** Deletes the project (at `expectedVersion`, when If-Match names one): true, or why not. */
export async function deleteProject(db: Queryable, accountId: string, id: string, expectedVersion: number | null = null): Promise<true | { conflict: number } | undefined> {
  const { rowCount } = await db.query(`DELETE FROM projects WHERE id = $1 AND account_id = $2 AND ($3::int IS NULL OR version = $3::int)`, [id, accountId, expectedVersion]);
  if (rowCount === 1) return true;
  const current = expectedVersion === null ? undefined : await getProject(db, accountId, id);
  return current ? { conflict: current.version } : undefined;
}

/**
 * APP_FAULTS=lock_contention: the update as it is often written: lock the row, make a slow call
 * (an audit service, a webhook) while holding the lock, then write. Every other writer of the
 * hot project queues behind the call.
 */
export async function updateProjectHoldingLock(
  pool: pg.Pool,
  accountId: string,
  id: string,
  patch: { name?: string; description?: string },
  expectedVersion: number | null,
  slowCall: () => Promise<void>,
): ReturnType<typeof updateProject> {
  return inTransaction(pool, async (client) => {
    const { rows } = await lockTimed(() => client.query<{ version: number }>(`SELECT version FROM projects WHERE id = $1 AND account_id = $2 FOR UPDATE`, [id, accountId]));
    if (!rows[0]) return undefined;
    await slowCall();
    if (expectedVersion !== null && rows[0].version !== expectedVersion) return { conflict: rows[0].version };
    return updateProject(client, accountId, id, patch, null);
  });
}

/**
 * APP_FAULTS=serializable_updates: the update in a SERIALIZABLE transaction. Of two writers of one
 * project, the second now fails (40001, answered 503) where READ COMMITTED made it wait and write.
 */
export async function updateProjectSerializable(
  pool: pg.Pool,
  accountId: string,
  id: string,
  patch: { name?: string; description?: string },
  expectedVersion: number | null,
): ReturnType<typeof updateProject> {
  return inTransaction(pool, async (client) => {
    await client.query('SET TRANSACTION ISOLATION LEVEL SERIALIZABLE');
    return updateProject(client, accountId, id, patch, expectedVersion);
  });
}
