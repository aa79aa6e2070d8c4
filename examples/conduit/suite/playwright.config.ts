/**
 * conduit's suite: built from harness/ alone, for a backend that has none of the harness's
 * conveniences. `npm run example` runs it; BASE_URL/DATABASE_URL point it at another conduit.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from '@playwright/test';
import { config as loadDotenv } from 'dotenv';
import { z } from 'zod';
import { int, port } from 'pressure-harness/contract';
import { loadHarnessSettings, mintRunId } from 'pressure-harness/config';
import { type BackendSpec, fill, harnessUse, type Placeholders, perfReporter, webServerOf } from 'pressure-harness/config';
import type { HarnessOptions } from 'pressure-harness/fixtures';
import { domainOf } from './domain.js';
import type { ConduitOptions } from './fixtures.js';

const here = path.dirname(fileURLToPath(import.meta.url));
loadDotenv({ quiet: true });
const s = loadHarnessSettings(process.env, {
  where: 'conduit suite settings',
  suite: { CONDUIT_PORT: port(3320), CONDUIT_PG_PORT: port(54339), CONDUIT_AUTHORS: int(1, 100_000, 60), CONDUIT_SEED_VIA: z.enum(['sql', 'api']).default('sql').describe('"sql" or "api"') },
  defaultBaseUrl: (v) => `http://127.0.0.1:${v.CONDUIT_PORT}/api`,
  // conduit's ways, as defaults: the environment still wins.
  defaults: { AUTH_SCHEME: 'Token', HEALTH_PATH: '/ping' },
  root: here,
  baselinesDir: 'budgets/baselines',
  budgetsDir: 'budgets',
});
const runId = s.runId ?? mintRunId();
process.env.RUN_ID = runId;
// How conduit starts, declared once: this run's webServer starts it (unless BASE_URL names one),
// and `pressure compare --base <git ref>` starts it at two refs side by side, each on ports and
// an embedded PostgreSQL of its own ({port}, {pgPort}, {dataDir}).
// With DATABASE_URL, each side serves a copy of that database instead ({databaseUrl}): what
// `pressure dataset save` keeps.
const backend: BackendSpec = s.databaseUrl
  ? {
      command: 'node --import tsx examples/conduit/server.ts',
      cwd: path.join(here, '..', '..', '..'),
      url: 'http://127.0.0.1:{port}/api',
      env: { PORT: '{port}', DATABASE_URL: '{databaseUrl}' },
      databaseUrl: '{databaseUrl}',
    }
  : {
      command: 'node --import tsx examples/conduit/server.ts',
      cwd: path.join(here, '..', '..', '..'),
      url: 'http://127.0.0.1:{port}/api',
      env: { PORT: '{port}', PG_PORT: '{pgPort}', PG_DATA_DIR: '{dataDir}' },
      // As conduit's server makes its embedded database: user and password postgres, database conduit.
      databaseUrl: 'postgres://postgres:postgres@127.0.0.1:{pgPort}/conduit',
    };
// This run's own conduit: the suite's ports, and conduit's own data folder ('': its .pgdata).
const own: Placeholders = { port: s.suite.CONDUIT_PORT, pgPort: s.suite.CONDUIT_PG_PORT, dataDir: '', ...(s.databaseUrl && { databaseUrl: s.databaseUrl }) };
const databaseUrl = s.databaseUrl ?? (s.baseUrlGiven ? undefined : fill(backend.databaseUrl!, own, 'backend.databaseUrl'));
const server = webServerOf(backend, own, { healthPath: s.healthPath, reuseExistingServer: !process.env.CI });

export default defineConfig<{}, HarnessOptions & ConduitOptions>({
  globalSetup: './global-setup.ts',
  globalTeardown: './global-teardown.ts',
  fullyParallel: true,
  retries: 0,
  workers: s.workers,
  reporter: [['list'], ['html', { open: 'never', outputFolder: path.join(here, 'playwright-report') }], perfReporter(s.perf)],
  outputDir: path.join(here, 'test-results'),
  use: {
    ...harnessUse(s, { databaseUrl, datasetLabel: `${s.suite.CONDUIT_AUTHORS} authors`, backend, domain: domainOf(s.suite.CONDUIT_AUTHORS) }),
    authors: s.suite.CONDUIT_AUTHORS,
    seedVia: databaseUrl ? s.suite.CONDUIT_SEED_VIA : 'api',
  },
  projects: [
    { name: 'seed', testMatch: /seed\.setup\.ts/ },
    { name: 'correctness', testDir: './tests/correctness', dependencies: ['seed'] },
    { name: 'perf', testDir: './tests/perf', dependencies: ['seed'], fullyParallel: false, workers: 1, timeout: 10 * 60_000 },
  ],
  webServer: s.baseUrlGiven ? undefined : { ...server, env: { ...server.env, ...(s.databaseUrl && { DATABASE_URL: s.databaseUrl }) } },
});
