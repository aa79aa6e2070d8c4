/** The run's dataset, seeded once before any test: through SQL (COPY, parents first) or the public API, as CONDUIT_SEED_VIA says. */
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { seedApi } from 'pressure-harness/seed';
import { seedSql } from 'pressure-harness/seed';
import { apiMapping, sqlMapping } from '../domain.js';
import { type Author, datasetFile, ledgerDir, resources, test } from '../fixtures.js';

test('seed the run dataset', async ({ run, databaseUrl, authors, seedVia, authScheme }, testInfo) => {
  const { domain, sql } = resources({ databaseUrl, baseURL: testInfo.project.use.baseURL!, authScheme, authors });
  const common = { domain, seed: run.seed, runId: run.runId, ttlSeconds: run.ttlSeconds };
  const r =
    seedVia === 'sql'
      ? await seedSql({ ...common, databaseUrl: databaseUrl!, mapping: sqlMapping, keep: { author: 'all', article: 5 } })
      : await seedApi({ ...common, baseUrl: testInfo.project.use.baseURL!, auth: authScheme, api: apiMapping, ledgerDir, ...(sql && { recordKeys: sql.recordKeys }) });
  const tokenOf = (p: string) => ('keys' in r ? (r.generated.find((g) => g.path === p)!.values.token as string) : r.created.get(p)!.token!);
  const slugOf = (p: string) => ('keys' in r ? (r.generated.find((g) => g.path === p)!.values.slug as string) : r.created.get(p)!.key);
  const list: Author[] = r.generated
    .filter((g) => g.entity === 'author')
    .map((a) => ({
      username: a.values.username as string,
      email: a.values.email as string,
      token: tokenOf(a.path),
      tier: a.tier,
      articles: r.generated
        .filter((g) => g.entity === 'article' && g.parentPath === a.path)
        .slice(0, 5)
        .map((g) => slugOf(g.path)),
    }));
  mkdirSync(path.dirname(datasetFile(run.runId)), { recursive: true });
  writeFileSync(datasetFile(run.runId), JSON.stringify({ via: seedVia, rows: r.rows, seconds: r.seconds, authors: list }));
  testInfo.annotations.push({
    type: 'dataset',
    description: `${seedVia}: ${Object.entries(r.rows)
      .map(([k, v]) => `${v} ${k}s`)
      .join(', ')} in ${r.seconds} s (${r.rowsPerSec} rows/s)`,
  });
});
