/**
 * app/'s test endpoints beyond the contract's run endpoints (pressure-harness/src/seed/run-client.ts):
 * seeding accounts and whales, its background jobs, its cache, its faults. A suite for another
 * backend writes its own, or seeds through the public API or SQL (pressure-harness/src/seed/adapters).
 */
import type { WhaleInput } from '../app/routes/internal/seed-schema.js';
import type { RestoredDataset } from '../app/sql/datasets.js';
import type { APIRequestContext } from '@playwright/test';
import http from 'node:http';
import https from 'node:https';
import { describeBody, describeText, RunClient } from 'pressure-harness/seed';
import type { SeedAccountBody } from './factories.js';

export type { DatasetClaim, RowCounts, StatementStat } from 'pressure-harness/seed';

export type SeededAccount = {
  account: { id: string; name: string; email: string };
  token: string;
  projectIds: string[];
  rows: Record<string, number>;
};
type Completion = { count: number; p50Ms: number | null; p95Ms: number | null; maxMs: number | null; lastAt: string | null };
export type AccountJobs = { items: number; notifications: Completion & { retried: number }; searchIndex: Completion; queueDepth: Record<string, number>; workers: boolean };

export type IdRanges = [string, string][];

/** Where bulk rows go directly, past Playwright's request context (which would copy every body through its protocol as base64). */
export type BulkTransport = { baseURL: string; headers: Record<string, string> };

/** Keep-alive agents bulk rows travel on, one per protocol. */
export type BulkAgent = { http: http.Agent; https: https.Agent };
export const bulkAgent = (): BulkAgent => ({ http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) });
/** A request is a COPY of up to 64 MB into a big table: long, but not forever. */
const BULK_TIMEOUT_MS = 120_000;

/**
 * POSTs one table's rows in COPY text to the bulk endpoint: from the client, or from the seed
 * worker that made them (seed/bulk.ts), so that the bytes never pass through another thread.
 * On node:http, not undici: a worker imports nothing more (undici's import took 55 ms of a
 * worker's start, which is the time before the first rows).
 */
export function postBulkRows(transport: BulkTransport, agent: BulkAgent, table: string, q: { runId: string; ttlSeconds: number; rows: number }, bytes: Uint8Array): Promise<void> {
  const path = `/internal/test/bulk/rows/${table}?${new URLSearchParams({ runId: q.runId, ttlSeconds: String(q.ttlSeconds), rows: String(q.rows) }).toString()}`;
  const url = new URL(path.slice(1), transport.baseURL.endsWith('/') ? transport.baseURL : `${transport.baseURL}/`);
  const secure = url.protocol === 'https:';
  return new Promise<void>((resolve, reject) => {
    const headers = { ...transport.headers, 'content-type': 'text/tab-separated-values', 'content-length': String(bytes.byteLength) };
    const req = (secure ? https : http).request(url, { method: 'POST', agent: secure ? agent.https : agent.http, headers }, (res) => {
      const body: Buffer[] = [];
      res.on('data', (c: Buffer) => body.push(c));
      res.on('error', reject);
      res.on('end', () => (res.statusCode === 201 ? resolve() : reject(new Error(`POST ${path} failed: ${res.statusCode} ${describeText(Buffer.concat(body).toString('utf8'))}`))));
    });
    req.setTimeout(BULK_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${BULK_TIMEOUT_MS / 1000} s`)));
    req.on('error', (e) => reject(new Error(`POST ${path} failed: ${e.message}`)));
    req.end(bytes);
  });
}

export class SeedClient extends RunClient {
  private readonly agent?: BulkAgent;
  constructor(
    request: APIRequestContext,
    /** Where bulk rows go directly (undefined: through `request`). */
    readonly bulk?: BulkTransport,
  ) {
    super(request);
    if (bulk) this.agent = bulkAgent();
  }

  async close(): Promise<void> {
    this.agent?.http.destroy();
    this.agent?.https.destroy();
  }

  /** Makes the run's partitions ready for a bulk load (autovacuum paused until bulkVerify). */
  async bulkBegin(runId: string): Promise<void> {
    await this.send('POST', '/internal/test/bulk/begin', { data: { runId } });
  }

  /** Many bare accounts with their tokens, in one request (app's bulk seeding). */
  async bulkAccounts(body: {
    runId: string;
    ttlSeconds: number;
    seed?: string;
    profile?: string;
    accounts: { name: string; email: string }[];
  }): Promise<{ id: string; email: string; token: string }[]> {
    return ((await (await this.send('POST', '/internal/test/bulk/accounts', { data: body })).json()) as { accounts: { id: string; email: string; token: string }[] }).accounts;
  }

  /** Ids reserved from the tables' sequences, as inclusive ranges. */
  async bulkIds(runId: string, counts: Partial<Record<'projects' | 'items' | 'comments' | 'tags', number>>): Promise<Record<'projects' | 'items' | 'comments' | 'tags', IdRanges>> {
    return ((await (await this.send('POST', '/internal/test/bulk/ids', { data: { runId, counts } })).json()) as { ids: Record<'projects' | 'items' | 'comments' | 'tags', IdRanges> }).ids;
  }

  /** One table's rows in COPY text format, streamed into the run's partition. */
  async bulkRows(table: string, q: { runId: string; ttlSeconds: number; rows: number }, bytes: Uint8Array): Promise<void> {
    if (this.bulk && this.agent) return postBulkRows(this.bulk, this.agent, table, q, bytes);
    await this.send('POST', `/internal/test/bulk/rows/${table}`, {
      params: { runId: q.runId, ttlSeconds: String(q.ttlSeconds), rows: String(q.rows) },
      headers: { 'content-type': 'text/tab-separated-values' },
      data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    });
  }

  /** Every foreign key of the run, checked set-based (throws naming the broken ones); autovacuum back on. */
  async bulkVerify(runId: string): Promise<void> {
    await this.send('POST', '/internal/test/bulk/verify', { data: { runId } });
  }

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
