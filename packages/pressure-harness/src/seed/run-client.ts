/**
 * The harness side of the contract's run endpoints (contract): cleanup by run ID, the
 * leak proof, reaping, statement statistics, dataset and shard coordination. Every failure names
 * the endpoint, the status and the backend's own { code, message }, so it reads like a sentence.
 * A suite for a backend with more test endpoints extends this class (app/'s: seed/client.ts).
 */
import type { APIRequestContext, APIResponse } from '@playwright/test';
import { RUN_ENDPOINTS } from '../contract/protocol.js';

export type RowCounts = Record<string, number>;
export type StatementStat = { queryId: string; query: string; calls: number; totalMs: number; rows: number };
/** `manifest`: what the seeder published about the dataset (its users and their tokens, say), for the others to use as it is. */
export type DatasetClaim = { role: 'seed' } | { role: 'wait'; claimedBy: string; claimedSeconds: number } | { role: 'ready'; manifest: unknown; rows: unknown };
export type StatementsResult = { available: true; statements: StatementStat[] } | { available: false; reason: string };

const MAX_RETRIES = 5;

export class RunClient {
  /** `request` must carry the service token (see the testService fixture) and resolve paths against the base URL. */
  constructor(protected readonly request: APIRequestContext) {}

  /** Removes the run's rows, or only those of one scope of it (what the backend means by it: one tenant's rows, say). */
  async cleanup(runId: string, scope?: string): Promise<{ deleted: RowCounts; remaining: RowCounts }> {
    const params: Record<string, string> = { runId, ...(scope && { scope }) };
    return (await this.send('POST', RUN_ENDPOINTS.cleanup, { params })).json();
  }

  async runRows(runId: string): Promise<{ rows: RowCounts; total: number }> {
    return (await this.send('GET', RUN_ENDPOINTS.runRows(runId), {})).json();
  }

  async reapExpired(): Promise<{ deleted: RowCounts; runs: string[] }> {
    return (await this.send('POST', RUN_ENDPOINTS.reap, {})).json();
  }

  /** The database's statement statistics (pg_stat_statements), where the backend offers them. */
  async statements(): Promise<StatementsResult> {
    const res = await this.request.fetch(RUN_ENDPOINTS.statements, { failOnStatusCode: false });
    if (res.status() === 404) return { available: false, reason: `the backend offers no statement statistics (GET ${RUN_ENDPOINTS.statements})` };
    if (!res.ok()) return { available: false, reason: `GET ${RUN_ENDPOINTS.statements} answered ${res.status()}` };
    return res.json();
  }

  /**
   * Who seeds the run's dataset: the first process to claim it ("seed"); the others "wait" for
   * it to be "ready". Null where the backend has no such endpoint: each process seeds its own.
   */
  async claimDataset(runId: string, name: string, by: string): Promise<DatasetClaim | null> {
    const res = await this.request.fetch(RUN_ENDPOINTS.claimDataset(runId, name), { method: 'POST', data: { by }, failOnStatusCode: false });
    if (res.status() === 404) return null; // a backend without run coordination
    if (!res.ok()) throw new Error(`claiming dataset ${name} of run ${runId} failed: ${res.status()} ${await describeBody(res)}`);
    return res.json();
  }

  async publishDataset(runId: string, name: string, by: string, manifest: unknown, rows: unknown): Promise<void> {
    await this.send('PUT', RUN_ENDPOINTS.publishDataset(runId, name), { data: { by, manifest, rows } });
  }

  /** A shard of the run started or finished; `last` when every shard has finished. Null without coordination. */
  async shardEvent(runId: string, shard: number, total: number, event: 'start' | 'finish'): Promise<{ finished: number; total: number; last: boolean } | null> {
    const res = await this.request.fetch(RUN_ENDPOINTS.shards(runId), { method: 'POST', data: { shard, total, event }, failOnStatusCode: false });
    if (res.status() === 404) return null; // a backend without run coordination
    if (!res.ok()) throw new Error(`recording shard ${shard}/${total} of run ${runId} failed: ${res.status()} ${await describeBody(res)}`);
    return res.json();
  }

  /** Honours 429/503 Retry-After (the backend's seed budgets) a few times, then gives up loudly. */
  protected async send(method: 'GET' | 'POST' | 'PUT', url: string, options: { data?: unknown; params?: Record<string, string>; headers?: Record<string, string> }): Promise<APIResponse> {
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

export async function describeBody(res: APIResponse): Promise<string> {
  return describeText(await res.text().catch(() => ''));
}

/** An error body as a person reads it: `CODE: message` for the contract's errors, else its start. */
export function describeText(text: string): string {
  try {
    const body = JSON.parse(text) as { code?: string; message?: string };
    if (body.code) return `${body.code}: ${body.message ?? ''}`;
  } catch {
    /* not JSON */
  }
  return text.slice(0, 500);
}

function hint(status: number, url: string): string {
  if (status === 401 || status === 403) return '\nRecommended fix: the backend refused the service token: check TEST_SERVICE_TOKEN.';
  if (status === 404 && url.startsWith(RUN_ENDPOINTS.prefix)) {
    return '\nRecommended fix: the backend does not offer this test endpoint (or hides it from this caller): it answers only loopback callers, and not in production.';
  }
  return '';
}
