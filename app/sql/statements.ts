/**
 * Statement statistics from pg_stat_statements, for the perf reports' "slowest DB queries". The
 * harness takes a snapshot before and after its run and reports the difference, so statements
 * of other runs or earlier days do not count. Where the extension cannot be loaded (it needs
 * shared_preload_libraries, which the embedded server sets), the answer says why.
 */
import type { Queryable } from './db.js';

export type StatementStat = { queryId: string; query: string; calls: number; totalMs: number; rows: number; sharedBlocksHit: number; sharedBlocksRead: number };
export type Statements = { available: true; statements: StatementStat[] } | { available: false; reason: string };

export async function statementStats(db: Queryable, limit = 200): Promise<Statements> {
  try {
    await db.query(`CREATE EXTENSION IF NOT EXISTS pg_stat_statements`);
    const { rows } = await db.query<StatementStat>(
      `SELECT queryid::text AS "queryId", left(query, 600) AS query, calls::float8 AS calls, total_exec_time AS "totalMs", rows::float8 AS rows,
              shared_blks_hit::float8 AS "sharedBlocksHit", shared_blks_read::float8 AS "sharedBlocksRead"
         FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
        WHERE d.datname = current_database() AND queryid IS NOT NULL
        ORDER BY total_exec_time DESC LIMIT $1`,
      [limit],
    );
    return { available: true, statements: rows };
  } catch (e) {
    return { available: false, reason: `pg_stat_statements is not available: ${(e as Error).message}` };
  }
}
