/**
 * The dataset a database was restored from (see db/clone.ts): its description and the accounts
 * a run can act as. Written once, when the dataset is saved (scripts/datasets.ts).
 */
import type { Queryable } from './db.js';

export type RestoredDataset = {
  name: string;
  profile: string;
  seed: string;
  schemaVersion: number;
  sourceRunId: string;
  counts: Record<string, number>;
  accounts: { index: number; tier: string; id: string; email: string; token: string }[];
};

export async function restoredDataset(db: Queryable): Promise<RestoredDataset | undefined> {
  const meta = await db.query<Omit<RestoredDataset, 'accounts'>>(`SELECT name, profile, seed, schema_version AS "schemaVersion", source_run_id AS "sourceRunId", counts FROM datasets.meta`);
  if (!meta.rows[0]) return undefined;
  const accounts = await db.query<RestoredDataset['accounts'][number]>(`SELECT idx AS index, tier, account_id::text AS id, email, token FROM datasets.accounts ORDER BY idx`);
  return { ...meta.rows[0], accounts: accounts.rows };
}
