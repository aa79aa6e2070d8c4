/**
 * After the last test: remove everything of this run, then prove it. The proof asks the
 * backend (GET /internal/test/runs/:runId) and, where the harness can reach the database,
 * counts again directly in every table that has a test_run_id column. A leak fails the run.
 * A run restored from a saved dataset also drops its own database. Of a sharded run (shards
 * sharing one RUN_ID and backend), only the last shard to finish cleans up.
 */
import { type FullConfig, request } from '@playwright/test';
import { databaseOf } from './app/db/clone.js';
import { censusInDatabase, describeCounts, dropDatabase, total } from './seed/census.js';
import { SeedClient } from './seed/client.js';
import { harnessOptions, servedDatabaseUrl } from './seed/contract.js';

export default async function globalTeardown(config: FullConfig): Promise<void> {
  const runId = process.env.RUN_ID;
  if (!runId) return; // global setup never got as far as minting one
  const { baseURL, serviceToken, databaseUrl } = harnessOptions(config);
  const ctx = await request.newContext({ baseURL, extraHTTPHeaders: { 'x-test-service-token': serviceToken } });
  try {
    const client = new SeedClient(ctx);
    if (config.shard && config.shard.total > 1) {
      const { current, total: shards } = config.shard;
      const done = await client.shardEvent(runId, current, shards, 'finish');
      if (done && !done.last) {
        console.log(`cleanup: shard ${current}/${shards} of run ${runId} finished (${done.finished} of ${shards} so far); the run's data stays for the last shard to remove, or its TTL`);
        return;
      }
    }
    const { deleted } = await client.cleanup(runId);
    const viaApi = (await client.runRows(runId)).rows;
    const verifyUrl = await servedDatabaseUrl(ctx, databaseUrl);
    const direct = verifyUrl ? await censusInDatabase(verifyUrl, runId) : undefined;

    const leaks = [
      total(viaApi) && `the backend reports ${describeCounts(viaApi)}`,
      direct && total(direct) && `the database holds ${describeCounts(direct)}`,
    ].filter(Boolean);
    if (leaks.length) {
      throw new Error(`LEAK: run ${runId} left rows behind after cleanup: ${leaks.join('; ')}`);
    }
    console.log(
      `cleanup: run ${runId} removed ${total(deleted)} rows; none left (checked via the backend` +
        `${direct ? ' and directly in the database' : ''})`,
    );
    // A run restored from a saved dataset has a database of its own: dropping it is its cleanup.
    if (databaseUrl && verifyUrl && verifyUrl !== databaseUrl) {
      const runDb = databaseOf(verifyUrl);
      if (runDb.startsWith(`${databaseOf(databaseUrl)}_run_`)) {
        await dropDatabase(databaseUrl, runDb);
        console.log(`cleanup: dropped ${runDb}, the run's restored dataset`);
      }
    }
  } finally {
    await ctx.dispose();
  }
}
