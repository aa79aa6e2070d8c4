/**
 * The harness side of the backend contract's test endpoints. Every failure names the endpoint,
 * the status and the backend's own { code, message }, so a broken seed reads like a sentence.
 */
import type { APIRequestContext, APIResponse } from '@playwright/test';
import type { WhaleInput } from '../app/routes/internal/seed-schema.js';
import type { RestoredDataset } from '../app/sql/datasets.js';
import type { SeedAccountBody } from './factories.js';

export type SeededAccount = {
  account: { id: string; name: string; email: string };
  token: string;
  projectIds: string[];
  rows: Record<string, number>;
};
export type RowCounts = Record<string, number>;
type Completion = { count: number; p50Ms: number | null; p95Ms: number | null; maxMs: number | null; lastAt: string | null };
export type StatementStat = { queryId: string; query: string; calls: number; totalMs: number; rows: number };
export type DatasetClaim = { role: 'seed' } | { role: 'wait'; claimedBy: string; claimedSeconds: number } | { role: 'ready'; accounts: unknown; rows: unknown };
export type AccountJobs = { items: number; notifications: Completion & { retried: number }; searchIndex: Completion; queueDepth: Record<string, number>; workers: boolean };

const MAX_RETRIES = 5;

export class SeedClient {
  /** `request` must carry X-Test-Service-Token (see the testService fixture). */
  constructor(private readonly request: APIRequestContext) {}

  async seedAccount(body: SeedAccountBody): Promise<SeededAccount> {
    const res = await this.send('POST', '/internal/test/seedAccount', { data: body });
    return (await res.json()) as SeededAccount;
  }

  /** A whale: the server generates its rows from the spec (see seed/dataset.ts). */
  async seedWhaleAccount(body: WhaleInput): Promise<SeededAccount & { ms: number }> {
    const res = await this.send('POST', '/internal/test/seedWhaleAccount', { data: body });
    return (await res.json()) as SeededAccount & { ms: number };
  }

  /** The dataset the backend's database was restored from, or null when it was not. */
  async restoredDataset(): Promise<RestoredDataset | null> {
    const res = await this.request.get('/internal/test/dataset', { failOnStatusCode: false });
    if (res.status() === 404) return null;
    if (!res.ok()) throw new Error(`GET /internal/test/dataset failed: ${res.status()} ${await describeBody(res)}`);
    return (await res.json()) as RestoredDataset;
  }

  /** Removes the run's rows, or only one account's rows of it. */
  async cleanup(runId: string, accountId?: string): Promise<{ deleted: RowCounts; remaining: RowCounts }> {
    const params: Record<string, string> = { runId, ...(accountId && { accountId }) };
    const res = await this.send('POST', '/internal/test/cleanup', { params });
    return (await res.json()) as { deleted: RowCounts; remaining: RowCounts };
  }

  async runRows(runId: string): Promise<{ rows: RowCounts; total: number }> {
    const res = await this.send('GET', `/internal/test/runs/${encodeURIComponent(runId)}`, {});
    return (await res.json()) as { rows: RowCounts; total: number };
  }

  async reapExpired(): Promise<{ deleted: RowCounts; runs: string[] }> {
    const res = await this.send('POST', '/internal/test/reap', {});
    return (await res.json()) as { deleted: RowCounts; runs: string[] };
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

  /** The database's statement statistics (pg_stat_statements), where the backend offers them. */
  async statements(): Promise<{ available: true; statements: StatementStat[] } | { available: false; reason: string }> {
    const res = await this.request.fetch('/internal/test/db/statements', { failOnStatusCode: false });
    if (res.status() === 404) return { available: false, reason: 'the backend offers no statement statistics (GET /internal/test/db/statements)' };
    if (!res.ok()) return { available: false, reason: `GET /internal/test/db/statements answered ${res.status()}` };
    return res.json();
  }

  /**
   * Who seeds the run's dataset: the first process to claim it ("seed"); the others "wait" for
   * it to be "ready". Null where the backend has no such endpoint: each process seeds its own.
   */
  async claimDataset(runId: string, name: string, by: string): Promise<DatasetClaim | null> {
    const res = await this.request.fetch(`/internal/test/runs/${encodeURIComponent(runId)}/datasets/${encodeURIComponent(name)}/claim`, { method: 'POST', data: { by }, failOnStatusCode: false });
    if (res.status() === 404) return null; // a backend without run coordination
    if (!res.ok()) throw new Error(`claiming dataset ${name} of run ${runId} failed: ${res.status()} ${await describeBody(res)}`);
    return res.json();
  }

  async publishDataset(runId: string, name: string, by: string, accounts: unknown, rows: unknown): Promise<void> {
    await this.send('PUT', `/internal/test/runs/${encodeURIComponent(runId)}/datasets/${encodeURIComponent(name)}`, { data: { by, accounts, rows } });
  }

  /** A shard of the run started or finished; `last` when every shard has finished. */
  async shardEvent(runId: string, shard: number, total: number, event: 'start' | 'finish'): Promise<{ finished: number; total: number; last: boolean } | null> {
    const res = await this.request.fetch(`/internal/test/runs/${encodeURIComponent(runId)}/shards`, { method: 'POST', data: { shard, total, event }, failOnStatusCode: false });
    if (res.status() === 404) return null; // a backend without run coordination
    if (!res.ok()) throw new Error(`recording shard ${shard}/${total} of run ${runId} failed: ${res.status()} ${await describeBody(res)}`);
    return res.json();
  }

  /** Honours 429/503 Retry-After (the backend's seed budgets) a few times, then gives up loudly. */
  private async send(method: 'GET' | 'POST' | 'PUT', url: string, options: { data?: unknown; params?: Record<string, string> }): Promise<APIResponse> {
    for (let attempt = 0; ; attempt++) {
      const res = await this.request.fetch(url, { method, ...options, failOnStatusCode: false, timeout: 120_000 });
      if (res.ok()) return res;
      const retryAfter = Number(res.headers()['retry-after']);
      if ((res.status() === 429 || res.status() === 503) && attempt < MAX_RETRIES && Number.isFinite(retryAfter)) {
        await new Promise((r) => setTimeout(r, Math.min(retryAfter, 30) * 1000));
        continue;
      }
      throw new Error(`${method} ${url} failed: ${res.status()} ${await describeBody(res)}${hint(res.status(), url)}`);
    }
  }
}

async function describeBody(res: APIResponse): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { code?: string; message?: string };
    if (body.code) return `${body.code}: ${body.message ?? ''}`;
  } catch {
    /* not JSON */
  }
  return text.slice(0, 500);
}

function hint(status: number, url: string): string {
  if (status === 404 && url.startsWith('/internal/test/')) {
    return (
      '\nRecommended fix: the test endpoints answer only loopback callers that send the right X-Test-Service-Token, ' +
      'and only when the backend does not run with APP_ENV=production. Check TEST_SERVICE_TOKEN and BASE_URL.'
    );
  }
  return '';
}
