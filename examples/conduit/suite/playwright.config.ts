/**
 * conduit's suite: built from harness/ alone, for a backend that has none of the harness's
 * conveniences. `npm run example` runs it; BASE_URL/DATABASE_URL point it at another conduit.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from '@playwright/test';
import { config as loadDotenv } from 'dotenv';
import { z } from 'zod';
import { embeddedUrl } from '#devdb/url.js';
import { int, port } from '#harness/contract/env.js';
import { loadHarnessSettings, mintRunId } from '#harness/config/settings.js';
import { harnessUse, perfReporter } from '#harness/config/use.js';
import type { HarnessOptions } from '#harness/fixtures/index.js';
import type { ConduitOptions } from './fixtures.js';

const here = path.dirname(fileURLToPath(import.meta.url));
loadDotenv({ quiet: true });
const s = loadHarnessSettings(process.env, {
  where: 'conduit suite settings',
  suite: { CONDUIT_PORT: port(3320), CONDUIT_PG_PORT: port(54339), CONDUIT_AUTHORS: int(1, 100_000, 60), CONDUIT_SEED_VIA: z.enum(['sql', 'api']).default('sql').describe('"sql" or "api"') },
  defaultBaseUrl: (v) => `http://127.0.0.1:${v.CONDUIT_PORT}/api`,
  // conduit's ways, as defaults: the environment still wins.
  defaults: { AUTH_SCHEME: 'Token', HEALTH_PATH: '/ping', PERF_RESULTS_DIR: path.join(here, 'perf-results') },
  baselinesDir: path.join(here, 'budgets', 'baselines'),
  budgetsDir: path.join(here, 'budgets'),
});
const runId = s.runId ?? mintRunId();
process.env.RUN_ID = runId;
const databaseUrl = s.databaseUrl ?? (s.baseUrlGiven ? undefined : embeddedUrl(s.suite.CONDUIT_PG_PORT, 'conduit'));

export default defineConfig<{}, HarnessOptions & ConduitOptions>({
  globalSetup: './global-setup.ts',
  globalTeardown: './global-teardown.ts',
  fullyParallel: true,
  retries: 0,
  workers: s.workers,
  reporter: [['list'], ['html', { open: 'never', outputFolder: path.join(here, 'playwright-report') }], perfReporter(s.perf.resultsDir)],
  outputDir: path.join(here, 'test-results'),
  use: { ...harnessUse(s, { databaseUrl, datasetLabel: `${s.suite.CONDUIT_AUTHORS} authors` }), authors: s.suite.CONDUIT_AUTHORS, seedVia: databaseUrl ? s.suite.CONDUIT_SEED_VIA : 'api' },
  projects: [
    { name: 'seed', testMatch: /seed\.setup\.ts/ },
    { name: 'correctness', testDir: './tests/correctness', dependencies: ['seed'] },
    { name: 'perf', testDir: './tests/perf', dependencies: ['seed'], fullyParallel: false, workers: 1, timeout: 10 * 60_000 },
  ],
  webServer: s.baseUrlGiven
    ? undefined
    : {
        command: 'node --import tsx examples/conduit/server.ts',
        cwd: path.join(here, '..', '..', '..'),
        url: `${s.baseUrl}/ping`,
        reuseExistingServer: !process.env.CI,
        timeout: 120_000,
        stdout: 'ignore',
        stderr: 'pipe',
        gracefulShutdown: { signal: 'SIGTERM', timeout: 15_000 },
        env: { PORT: String(s.suite.CONDUIT_PORT), PG_PORT: String(s.suite.CONDUIT_PG_PORT), ...(s.databaseUrl && { DATABASE_URL: s.databaseUrl }) },
      },
});
