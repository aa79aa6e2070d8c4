/**
 * What the background jobs write, and what the harness reads back about them. Both writes are
 * idempotent (a retried job writes once) and take the run and expiry from the item's row, so a
 * job's output belongs to the item's run like the item itself.
 */
import type { Queryable } from './db.js';

export type ItemJob = { runId: string; accountId: string; itemId: string; enqueuedAt: string };

export async function recordNotification(db: Queryable, job: ItemJob, attempts: number): Promise<void> {
  await db.query(
    `INSERT INTO notifications (account_id, item_id, channel, payload, attempts, enqueued_at, test_run_id, expires_at)
     SELECT i.account_id, i.id, 'email', jsonb_build_object('subject', 'New item: ' || left(i.title, 80)), $3, $4, i.test_run_id, i.expires_at
       FROM items i WHERE i.id = $1 AND i.test_run_id = $2
     ON CONFLICT (item_id, channel, test_run_id) DO NOTHING`,
    [job.itemId, job.runId, attempts, job.enqueuedAt],
  );
}

export async function indexItem(db: Queryable, job: ItemJob): Promise<void> {
  await db.query(
    `INSERT INTO search_documents (item_id, account_id, document, enqueued_at, test_run_id, expires_at)
     SELECT i.id, i.account_id, to_tsvector('english', i.title || ' ' || i.body), $3, i.test_run_id, i.expires_at
       FROM items i WHERE i.id = $1 AND i.test_run_id = $2
     ON CONFLICT (item_id, test_run_id) DO UPDATE SET document = EXCLUDED.document, indexed_at = clock_timestamp()`,
    [job.itemId, job.runId, job.enqueuedAt],
  );
}

export type CompletionStats = { count: number; p50Ms: number | null; p95Ms: number | null; maxMs: number | null; lastAt: string | null };

/** The account's items, and how long their jobs took from enqueue to done (one round trip). */
export async function jobCompletion(db: Queryable, accountId: string): Promise<{ items: number; notifications: CompletionStats & { retried: number }; searchIndex: CompletionStats }> {
  const { rows } = await db.query<{ kind: string; count: number; p50: number | null; p95: number | null; max: number | null; last: string | null; retried: number }>(
    `WITH n AS (SELECT extract(epoch FROM recorded_at - enqueued_at) * 1000 AS ms, recorded_at AS at, attempts FROM notifications WHERE account_id = $1),
          s AS (SELECT extract(epoch FROM indexed_at - enqueued_at) * 1000 AS ms, indexed_at AS at FROM search_documents WHERE account_id = $1)
     SELECT 'items' AS kind, count(*)::int AS count, NULL::float8 AS p50, NULL::float8 AS p95, NULL::float8 AS max, NULL::timestamptz AS last, 0 AS retried FROM items WHERE account_id = $1
     UNION ALL
     SELECT 'notifications', count(*)::int, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), percentile_cont(0.95) WITHIN GROUP (ORDER BY ms), max(ms), max(at),
            (count(*) FILTER (WHERE attempts > 1))::int FROM n
     UNION ALL
     SELECT 'search', count(*)::int, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), percentile_cont(0.95) WITHIN GROUP (ORDER BY ms), max(ms), max(at), 0 FROM s`,
    [accountId],
  );
  const by = Object.fromEntries(rows.map((r) => [r.kind, r]));
  const stats = (r: (typeof rows)[number] | undefined): CompletionStats => ({
    count: r?.count ?? 0,
    p50Ms: r?.p50 == null ? null : Math.round(Number(r.p50)),
    p95Ms: r?.p95 == null ? null : Math.round(Number(r.p95)),
    maxMs: r?.max == null ? null : Math.round(Number(r.max)),
    lastAt: r?.last ?? null,
  });
  return { items: by.items?.count ?? 0, notifications: { ...stats(by.notifications), retried: by.notifications?.retried ?? 0 }, searchIndex: stats(by.search) };
}

/** Queued work of a run is removed with it: its jobs would only find nothing to do. */
export async function deleteRunJobs(db: Queryable, runId: string): Promise<number> {
  const { rows } = await db.query<{ installed: boolean }>(`SELECT to_regclass('pgboss.job') IS NOT NULL AS installed`);
  if (!rows[0]?.installed) return 0;
  const { rowCount } = await db.query(`DELETE FROM pgboss.job WHERE data->>'runId' = $1`, [runId]);
  return rowCount ?? 0;
}
