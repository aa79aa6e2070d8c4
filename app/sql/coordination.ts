/**
 * One run, several processes: the dataset is seeded once (the first claim wins; a claim whose
 * seeder went quiet for `staleSeconds` may be taken over), and the run is cleaned up once (when
 * the last of its shards finishes). See migrations/004_run_coordination.sql.
 */
import type { Queryable } from './db.js';

export type Claim = { role: 'seed' } | { role: 'wait'; claimedBy: string; claimedSeconds: number } | { role: 'ready'; manifest: unknown; rows: unknown };

export async function claimDataset(db: Queryable, runId: string, name: string, by: string, staleSeconds: number): Promise<Claim> {
  // Insert, or take over a claim gone stale; either way the row now names this claimant.
  const won = await db.query(
    `INSERT INTO run_datasets (run_id, name, state, claimed_by) VALUES ($1, $2, 'seeding', $3)
     ON CONFLICT (run_id, name) DO UPDATE SET claimed_by = EXCLUDED.claimed_by, claimed_at = now()
       WHERE run_datasets.state = 'seeding' AND run_datasets.claimed_at < now() - make_interval(secs => $4)
     RETURNING run_id`,
    [runId, name, by, staleSeconds],
  );
  if (won.rowCount) return { role: 'seed' };
  const { rows } = await db.query<{ state: string; claimed_by: string; age: number; accounts: unknown; rows: unknown }>(
    `SELECT state, claimed_by, extract(epoch FROM now() - claimed_at)::float8 AS age, accounts, rows FROM run_datasets WHERE run_id = $1 AND name = $2`,
    [runId, name],
  );
  const r = rows[0]!;
  if (r.claimed_by === by && r.state === 'seeding') return { role: 'seed' };
  return r.state === 'ready' ? { role: 'ready', manifest: r.accounts, rows: r.rows } : { role: 'wait', claimedBy: r.claimed_by, claimedSeconds: Math.round(r.age) };
}

/** The seeder publishes the dataset; false if the claim is no longer its own (taken over). */
export async function publishDataset(db: Queryable, runId: string, name: string, by: string, manifest: unknown, rows: unknown): Promise<boolean> {
  const r = await db.query(`UPDATE run_datasets SET state = 'ready', ready_at = now(), accounts = $4, rows = $5 WHERE run_id = $1 AND name = $2 AND claimed_by = $3 AND state = 'seeding'`, [
    runId,
    name,
    by,
    JSON.stringify(manifest),
    JSON.stringify(rows),
  ]);
  return r.rowCount === 1;
}

/** A shard started or finished; returns how many of the run's shards have finished. */
export async function shardEvent(db: Queryable, runId: string, shard: number, total: number, event: 'start' | 'finish'): Promise<{ finished: number; total: number; last: boolean }> {
  await db.query(
    event === 'start'
      ? `INSERT INTO run_shards (run_id, shard, total) VALUES ($1, $2, $3) ON CONFLICT (run_id, shard) DO UPDATE SET started_at = now(), finished_at = NULL`
      : `INSERT INTO run_shards (run_id, shard, total, finished_at) VALUES ($1, $2, $3, now()) ON CONFLICT (run_id, shard) DO UPDATE SET finished_at = now()`,
    [runId, shard, total],
  );
  const { rows } = await db.query<{ finished: number }>(`SELECT count(*) FILTER (WHERE finished_at IS NOT NULL)::int AS finished FROM run_shards WHERE run_id = $1`, [runId]);
  const finished = rows[0]!.finished;
  return { finished, total, last: finished >= total };
}

export async function forgetRun(db: Queryable, runId: string): Promise<void> {
  await db.query(`DELETE FROM run_datasets WHERE run_id = $1`, [runId]);
  await db.query(`DELETE FROM run_shards WHERE run_id = $1`, [runId]);
}
