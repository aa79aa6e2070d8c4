/**
 * Before any test: fix the run ID, prove the backend is up and honours the contract, and reap
 * the expired rows of earlier runs (crashed or not), so every run starts on a healthy database.
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { type FullConfig, request } from '@playwright/test';
import { APP_LOG_DIR, appLogFile } from './config/settings.js';
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
  pruneLogs(runId);
  const ctx = await request.newContext({ baseURL, extraHTTPHeaders: { 'x-test-service-token': serviceToken } });
  try {
    await checkContract(ctx, baseURL);
    const client = new SeedClient(ctx);
    // A server left running is reused outside CI: it must run with the faults this run asks for,
    // or a "clean" run would measure a faulty app (or the reverse).
    const served = (await client.faults()).sort().join(',');
    const asked = (process.env.APP_FAULTS ?? '').split(',').map((f) => f.trim()).filter(Boolean).sort().join(',');
    if (config.webServer && served !== asked) {
      throw new Error(`the backend at ${baseURL} runs with APP_FAULTS="${served}" but this run asks for "${asked}": an app already listening was reused. Stop it, or run with CI=1 so the suite starts its own.`);
    }
    // Shards of one run share its RUN_ID and its backend's data: each says it started, so the
    // last one to finish knows to clean up (global-teardown.ts).
    if (config.shard && config.shard.total > 1) await client.shardEvent(runId, config.shard.current, config.shard.total, 'start');
    const reaped = await client.reapExpired();
    const n = total(reaped.deleted);
    console.log(
      `run ${runId} against ${baseURL}` +
        (served ? ` (faults on purpose: ${served})` : '') +
        (n ? `; reaped ${n} expired rows of ${reaped.runs.length} earlier run(s) (${describeCounts(reaped.deleted)})` : ''),
    );
  } finally {
    await ctx.dispose();
  }
}

/** The app's logs of the last runs are kept (one file per run); older ones go. */
function pruneLogs(runId: string, keep = 5): void {
  if (!existsSync(APP_LOG_DIR)) return;
  const mine = path.basename(appLogFile(runId));
  const logs = readdirSync(APP_LOG_DIR)
    .filter((f) => f.startsWith('app-') && f.endsWith('.log') && f !== mine)
    .map((f) => ({ f, at: statSync(path.join(APP_LOG_DIR, f)).mtimeMs }))
    .sort((a, b) => b.at - a.at);
  for (const { f } of logs.slice(keep)) rmSync(path.join(APP_LOG_DIR, f), { force: true });
}
