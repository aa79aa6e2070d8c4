/**
 * app/'s test endpoints beyond the contract's run endpoints (harness/seed/run-client.ts):
 * seeding accounts and whales, its background jobs, its cache, its faults. A suite for another
 * backend writes its own, or seeds through the public API or SQL (harness/seed/adapters).
 */
import type { WhaleInput } from '../app/routes/internal/seed-schema.js';
import type { RestoredDataset } from '../app/sql/datasets.js';
import { describeBody, RunClient } from '../harness/seed/run-client.js';
import type { SeedAccountBody } from './factories.js';

export type { DatasetClaim, RowCounts, StatementStat } from '../harness/seed/run-client.js';

export type SeededAccount = {
  account: { id: string; name: string; email: string };
  token: string;
  projectIds: string[];
  rows: Record<string, number>;
};
type Completion = { count: number; p50Ms: number | null; p95Ms: number | null; maxMs: number | null; lastAt: string | null };
export type AccountJobs = { items: number; notifications: Completion & { retried: number }; searchIndex: Completion; queueDepth: Record<string, number>; workers: boolean };

export class SeedClient extends RunClient {
  async seedAccount(body: SeedAccountBody): Promise<SeededAccount> {
    return (await this.send('POST', '/internal/test/seedAccount', { data: body })).json();
  }

  /** A whale: the server generates its rows from the spec (see seed/dataset.ts). */
  async seedWhaleAccount(body: WhaleInput): Promise<SeededAccount & { ms: number }> {
    return (await this.send('POST', '/internal/test/seedWhaleAccount', { data: body })).json();
  }

  /** The dataset the backend's database was restored from, or null when it was not. */
  async restoredDataset(): Promise<RestoredDataset | null> {
    const res = await this.request.get('/internal/test/dataset', { failOnStatusCode: false });
    if (res.status() === 404) return null;
    if (!res.ok()) throw new Error(`GET /internal/test/dataset failed: ${res.status()} ${await describeBody(res)}`);
    return (await res.json()) as RestoredDataset;
  }

  /** An account's items and how long their background jobs took (app's /internal/test). */
  async accountJobs(accountId: string): Promise<AccountJobs> {
    return (await this.send('GET', `/internal/test/accounts/${encodeURIComponent(accountId)}/jobs`, {})).json();
  }

  /** Forgets the accounts' cached dashboard fragments: the next read is cold. */
  async evictCache(accountIds: string[]): Promise<number> {
    return ((await (await this.send('POST', '/internal/test/cache/evict', { data: { accountIds } })).json()) as { evicted: number }).evicted;
  }

  /** The faults the backend runs with (APP_FAULTS); [] for a backend that does not say. */
  async faults(): Promise<string[]> {
    const res = await this.request.fetch('/internal/test/faults', { failOnStatusCode: false });
    return res.ok() ? ((await res.json()) as { faults: string[] }).faults : [];
  }
}
