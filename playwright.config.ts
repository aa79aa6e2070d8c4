/**
 * The one place the environment is read (plus .env, via dotenv) and validated. A bad setting
 * stops the run here, before anything starts, with every problem listed.
 *
 *   BASE_URL unset  → webServer starts app/ (embedded PostgreSQL unless DATABASE_URL is set)
 *   BASE_URL set    → the suite tests that backend; it must honour the contract (README)
 */
import { defineConfig } from '@playwright/test';
import { config as loadDotenv } from 'dotenv';
import { appServerEnv, datasetRestoreEnv, loadSettings, mintRunId } from './config/settings.js';
import type { HarnessOptions } from './fixtures/options.js';

loadDotenv({ quiet: true });
const settings = loadSettings(process.env);
const CI = Boolean(process.env.CI);
// The run ID is fixed here, before webServer starts (the app restores the run's dataset into a
// database named after it). Workers and global setup inherit it through the environment.
const runId = settings.runId ?? mintRunId();
process.env.RUN_ID = runId;

export default defineConfig<{}, HarnessOptions>({
  globalSetup: './global-setup.ts',
  globalTeardown: './global-teardown.ts',
  fullyParallel: true,
  forbidOnly: CI,
  retries: 0, // a flaky correctness test is a bug to fix, not to retry
  workers: settings.workers,
  // perf-summary writes perf-results/summary.md and results.json after a run with perf tests.
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }], ['./report/reporter.ts', { outputDir: settings.perf.resultsDir }]],
  use: {
    baseURL: settings.baseUrl,
    serviceToken: settings.serviceToken,
    runTtlSeconds: settings.runTtlSeconds,
    seedRoot: settings.seed,
    seedProfile: settings.seedProfile,
    databaseUrl: settings.verifyDatabaseUrl,
    referenceApp: settings.startApp,
    datasetKnobs: settings.dataset,
    perfSettings: settings.perf,
  },
  metadata: {
    target: settings.startApp ? `app/ on ${settings.appDatabaseUrl ? 'DATABASE_URL' : 'embedded PostgreSQL'}` : settings.baseUrl,
    runId,
    seedProfile: settings.seedProfile,
    seed: settings.seed,
    seedDataset: settings.datasetMode,
    ...(settings.perf.baseline && { perfBaseline: settings.perf.baseline.tag }),
    ...(settings.appFaults && { appFaults: settings.appFaults }),
  },
  projects: [
    {
      name: 'correctness',
      testDir: './tests/correctness',
      timeout: 30_000,
    },
    {
      name: 'perf',
      testDir: './tests/perf',
      timeout: 15 * 60_000,
      // Load tests share one backend: running them side by side would measure each other.
      fullyParallel: false,
      workers: 1,
    },
  ],
  webServer: settings.startApp
    ? {
        command: 'node --import tsx app/server.ts',
        url: `${settings.baseUrl}/healthz`,
        reuseExistingServer: !CI,
        timeout: 120_000,
        stdout: 'ignore',
        stderr: 'pipe',
        gracefulShutdown: { signal: 'SIGTERM', timeout: 15_000 },
        env: { ...appServerEnv(settings, runId), ...datasetRestoreEnv(settings, runId) },
      }
    : undefined,
});
