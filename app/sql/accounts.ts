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

/** APP_FAULTS=sliding_expiry: a token stays valid for at least an hour after its last use. */
export async function slideTokenExpiry(db: Queryable, tokenHash: Buffer): Promise<void> {
  await db.query(`UPDATE api_tokens SET expires_at = greatest(expires_at, now() + interval '1 hour') WHERE token_hash = $1 AND expires_at IS NOT NULL`, [tokenHash]);
}
