/**
 * A seeding run in a process of its own, for the test that kills one half-way:
 *   node --import tsx tests/support/seed-process.ts <baseURL> <serviceToken> <runId> <ttlSeconds>
 * Seeds the small profile in small chunks, one at a time, and prints a line per finished account.
 */
import { request } from '@playwright/test';
import { SeedClient } from '../../seed/client.js';
import { generateDataset } from '../../seed/dataset.js';
import { PROFILES } from '../../seed/profiles.js';

const [baseURL, token, runId, ttl] = process.argv.slice(2);
if (!baseURL || !token || !runId || !ttl) throw new Error('usage: seed-process.ts <baseURL> <serviceToken> <runId> <ttlSeconds>');
const ctx = await request.newContext({ baseURL, extraHTTPHeaders: { 'x-test-service-token': token } });
const client = new SeedClient(ctx, { baseURL, headers: { 'x-test-service-token': token } });
await generateDataset(client, {
  seed: 'crash',
  runId,
  ttlSeconds: Number(ttl),
  profile: 'small',
  // Enough rows that small chunks take seconds: the kill lands with most accounts unfinished.
  knobs: { ...PROFILES.small, accounts: 40, itemsPerProject: { p50: 40, p95: 200, max: 500 } },
  concurrency: 1,
  // Small chunks, one at a time: accounts finish one by one, so a kill lands mid-seeding.
  chunkRows: 300,
  threads: 0,
  onAccount: (a) => console.log(`seeded ${a.email}`),
});
await client.close();
await ctx.dispose();
