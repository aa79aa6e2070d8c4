/**
 * conduit's `test`: the harness's fixtures, plus the run's dataset (seeded once by the `seed`
 * project, through SQL or the public API) and a factory of fresh users for tests that write.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { harnessTest } from 'pressure-harness/fixtures';
import type { HarnessRunOptions } from 'pressure-harness/lifecycle';
import { apiResources } from 'pressure-harness/seed';
import { sqlResources } from 'pressure-harness/seed';
import { apiMapping, domainOf, sqlMapping } from './domain.js';

export type ConduitOptions = { authors: number; seedVia: 'sql' | 'api' };
export type Author = { username: string; email: string; token: string; tier: string; articles: string[] };
export type Dataset = { via: string; rows: Record<string, number>; seconds: number; authors: Author[] };
export type User = { id: string; username: string; token: string };

// Beside the suite, wherever the run starts from.
const here = path.dirname(fileURLToPath(import.meta.url));
export const ledgerDir = path.join(here, '.run', 'ledger', 'conduit');
export const datasetFile = (runId: string) => path.join(here, '.run', `conduit-dataset-${runId}.json`);

/** Where this run's rows are recorded, and how they are removed: the SQL ledger where the database is reachable, the API's own deletes too. */
export function resources(o: Pick<HarnessRunOptions, 'databaseUrl' | 'baseURL' | 'authScheme'> & { authors: number }) {
  const domain = domainOf(o.authors);
  const sql = o.databaseUrl ? sqlResources({ databaseUrl: o.databaseUrl, domain, mapping: sqlMapping }) : undefined;
  return { domain, sql, api: apiResources({ baseUrl: o.baseURL, auth: o.authScheme, domain, api: apiMapping, ledgerDir, ...(sql && { sql }) }) };
}

export const test = harnessTest.extend<{ newUser: () => Promise<User> }, ConduitOptions & { dataset: Dataset }>({
  authors: [60, { option: true, scope: 'worker' }],
  seedVia: ['sql', { option: true, scope: 'worker' }],
  dataset: [async ({ run }, use) => use(JSON.parse(readFileSync(datasetFile(run.runId), 'utf8')) as Dataset), { scope: 'worker', title: 'dataset (seeded by the seed project)' }],
  newUser: async ({ apiFor, run, databaseUrl, authors, authScheme }, use, testInfo) => {
    const { sql } = resources({ databaseUrl, baseURL: testInfo.project.use.baseURL!, authScheme, authors });
    let n = 0;
    await use(async () => {
      const name = `u${createHash('sha256').update(`${run.runId}/${testInfo.testId}/${testInfo.repeatEachIndex}/${n++}`).digest('hex').slice(0, 16)}`;
      const res = await (await apiFor(null)).post('/users', { data: { user: { username: name, email: `${name}@${run.runId}.test.invalid`, password: 'pw' } } });
      if (res.status() !== 201) throw new Error(`registering ${name}: POST /users answered ${res.status()} ${await res.text()}`);
      const { user } = (await res.json()) as { user: User };
      // Recorded for the run's cleanup: the API has no way to delete a user.
      await sql?.recordKeys(run.runId, 'author', [user.id], new Date(Date.now() + run.ttlSeconds * 1000).toISOString());
      return user;
    });
  },
});
export { expect } from 'pressure-harness/fixtures';
