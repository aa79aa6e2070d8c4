/**
 * Before any test: fix the run ID, prove the backend is up and honours the contract, and reap
 * the expired rows of earlier runs (crashed or not), so every run starts on a healthy database.
 */
import { type FullConfig, request } from '@playwright/test';
import { mintRunId } from './config/settings.js';
import { harnessOptions, checkContract } from './seed/contract.js';
import { SeedClient } from './seed/client.js';
import { describeCounts, total } from './seed/census.js';

export default async function globalSetup(config: FullConfig): Promise<void> {
  // playwright.config.ts fixed the run ID (RUN_ID overrides it) before webServer started;
  // workers inherit it through the environment, which is how every process of the run agrees.
  const runId = process.env.RUN_ID ?? mintRunId();
  process.env.RUN_ID = runId;

  const { baseURL, serviceToken } = harnessOptions(config);
  const ctx = await request.newContext({ baseURL, extraHTTPHeaders: { 'x-test-service-token': serviceToken } });
  try {
    await checkContract(ctx, baseURL);
    const reaped = await new SeedClient(ctx).reapExpired();
    const n = total(reaped.deleted);
    console.log(
      `run ${runId} against ${baseURL}` +
        (n ? `; reaped ${n} expired rows of ${reaped.runs.length} earlier run(s) (${describeCounts(reaped.deleted)})` : ''),
    );
  } finally {
    await ctx.dispose();
  }
}
