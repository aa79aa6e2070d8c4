/**
 * The backend contract, checked once per run before any test: a backend that does not honour
 * it gets one clear message instead of a hundred confusing test failures.
 */
import type { APIRequestContext, FullConfig } from '@playwright/test';
import { withDatabase } from '../app/db/clone.js';
import type { HarnessOptions } from '../fixtures/options.js';

export type HarnessRunOptions = HarnessOptions & { baseURL: string };

/** The harness options as playwright.config.ts set them (identical for every project). */
export function harnessOptions(config: FullConfig): HarnessRunOptions {
  const use = config.projects[0]?.use as Partial<HarnessRunOptions> | undefined;
  if (!use?.baseURL || !use.serviceToken) throw new Error('playwright.config.ts must set use.baseURL and use.serviceToken');
  return use as HarnessRunOptions;
}

/**
 * The URL of the database the backend serves right now: the configured server, with the
 * database name the backend reports in /healthz (a restored run has a database of its own).
 */
export async function servedDatabaseUrl(ctx: APIRequestContext, databaseUrl: string | undefined): Promise<string | undefined> {
  if (!databaseUrl) return undefined;
  const health = await ctx.get('/healthz', { failOnStatusCode: false });
  const name = ((await health.json().catch(() => ({}))) as { database?: unknown }).database;
  return typeof name === 'string' && /^[A-Za-z0-9_]+$/.test(name) ? withDatabase(databaseUrl, name) : databaseUrl;
}

/** Headers every response of the backend must carry. */
export const CONTRACT_HEADERS = ['x-db-query-count', 'server-timing', 'x-request-id'] as const;

export function contractProblems(headers: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const h of CONTRACT_HEADERS) if (!(h in headers)) problems.push(`header ${h} is missing`);
  const count = headers['x-db-query-count'];
  if (count !== undefined && !/^\d+$/.test(count)) problems.push(`x-db-query-count must be a whole number, got "${count}"`);
  const timing = headers['server-timing'];
  if (timing !== undefined) {
    for (const metric of ['db', 'total']) {
      if (!new RegExp(`(^|,)\\s*${metric};dur=\\d+(\\.\\d+)?`).test(timing)) problems.push(`server-timing must have ${metric};dur=<ms>, got "${timing}"`);
    }
  }
  return problems;
}

export async function checkContract(ctx: APIRequestContext, baseURL: string): Promise<void> {
  const health = await ctx.get('/healthz', { failOnStatusCode: false, timeout: 15_000 }).catch((e: Error) => e);
  if (health instanceof Error || !health.ok()) {
    const why = health instanceof Error ? health.message.split('\n')[0] : `${health.status()} ${await health.text()}`;
    throw new Error(`backend at ${baseURL} is not healthy: GET /healthz → ${why}\nRecommended fix: start it, or correct BASE_URL.`);
  }
  // An unauthenticated call must still carry the evidence headers and a { code, message } body.
  const me = await ctx.get('/v1/me', { failOnStatusCode: false, headers: { authorization: '' } });
  const problems = contractProblems(me.headers());
  const body = (await me.json().catch(() => ({}))) as { code?: unknown; message?: unknown };
  if (me.status() !== 401) problems.push(`GET /v1/me without a token must answer 401, got ${me.status()}`);
  if (typeof body.code !== 'string' || typeof body.message !== 'string') problems.push('error bodies must be { code, message }');
  const probe = await ctx.get('/internal/test/runs/contract-probe', { failOnStatusCode: false });
  if (probe.status() !== 200) {
    problems.push(
      `GET /internal/test/runs/:runId with the service token must answer 200, got ${probe.status()} ` +
        '(check TEST_SERVICE_TOKEN, and that the backend does not run with APP_ENV=production)',
    );
  }
  if (problems.length) {
    throw new Error(`backend at ${baseURL} does not honour the contract (README "Backend contract"):\n  - ${problems.join('\n  - ')}`);
  }
}
