/**
 * Statement statistics straight from pg_stat_statements, for any backend whose database the
 * harness may read (DATABASE_URL): the same snapshot a backend's statements endpoint gives, so
 * "slowest DB statements" needs no help from the backend. Only the served database's statements,
 * and not the harness's own (their text carries a pressure-harness comment).
 */
import type { StatementsResult } from '../seed/run-client.js';
import { withClient } from './url.js';

export async function statementsFromDatabase(url: string, limit = 200): Promise<StatementsResult> {
  try {
    return await withClient(url, async (c) => {
      const { rows } = await c.query<{ queryId: string; query: string; calls: number; totalMs: number; rows: number }>(
        `SELECT queryid::text AS "queryId", left(query, 600) AS query, calls::float8 AS calls, total_exec_time AS "totalMs", rows::float8 AS rows
           FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
          WHERE d.datname = current_database() AND queryid IS NOT NULL
            AND s.query NOT LIKE '%pressure-harness%'
          ORDER BY total_exec_time DESC LIMIT $1`,
        [limit],
      );
      return { available: true as const, statements: rows };
    });
  } catch (e) {
    return { available: false, reason: `pg_stat_statements is not readable through DATABASE_URL: ${(e as Error).message.split('\n')[0]}` };
  }
}
