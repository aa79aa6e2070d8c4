import type { Queryable } from './db.js';

export async function findAccountByTokenHash(db: Queryable, tokenHash: Buffer) {
  // testRunId: '' for real accounts; work the account causes (jobs) carries it along.
  const { rows } = await db.query<{ id: string; name: string; email: string; testRunId: string }>(
    `SELECT a.id, a.name, a.email, a.test_run_id AS "testRunId"
       FROM api_tokens t JOIN accounts a ON a.id = t.account_id AND a.test_run_id = t.test_run_id
      WHERE t.token_hash = $1 AND (t.expires_at IS NULL OR t.expires_at > now())`,
    [tokenHash],
  );
  return rows[0];
}
