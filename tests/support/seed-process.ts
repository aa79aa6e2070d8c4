/**
 * A seeding run in a process of its own, for the test that kills one half-way:
 *   node --import tsx tests/support/seed-process.ts <baseURL> <serviceToken> <runId> <ttlSeconds>
 * Seeds the small profile, one account at a time, and prints a line per account.
 */
import { request } from '@playwright/test';
import { SeedClient } from '../../seed/client.js';
import { generateDataset } from '../../seed/dataset.js';
import { PROFILES } from '../../seed/profiles.js';

const [baseURL, token, runId, ttl] = process.argv.slice(2);
if (!baseURL || !token || !runId || !ttl) throw new Error('usage: seed-process.ts <baseURL> <serviceToken> <runId> <ttlSeconds>');
const ctx = await request.newContext({ baseURL, extraHTTPHeaders: { 'x-test-service-token': token } });
await generateDataset(new SeedClient(ctx), {
  seed: 'crash',
  runId,
  ttlSeconds: Number(ttl),
  profile: 'small',
  knobs: { ...PROFILES.small, accounts: 40 },
  concurrency: 1,
  onAccount: (a) => console.log(`seeded ${a.email}`),
});
await ctx.dispose();
