/**
 * app/'s suite, built from the harness: the example of what a user writes for their own backend.
 * The environment (plus .env, via dotenv) is read once, here, and validated with the harness's
 * settings and this suite's own (config/settings.ts). A bad setting stops the run here, before
 * anything starts, with every problem listed.
 *
 *   BASE_URL unset  → webServer starts app/ (embedded PostgreSQL unless DATABASE_URL is set)
 *   BASE_URL set    → the suite tests that backend (its capabilities are probed by global setup)
 *
 * Projects: `correctness` (the PR gate: behaviour, small data, deterministic), `perf` (nightly:
 * load against budgets) and `harness` (tests of the harness itself: nested runs, concurrent runs,
 * crash recovery, the report in Chromium, saved datasets; not a gate users run on their PRs).
 */
import { defineConfig } from '@playwright/test';
import { config as loadDotenv } from 'dotenv';
import { APP_COMMAND, appBackend, appFaultEnvs, appLogFile, appServerEnv, datasetRestoreEnv, loadSettings } from './config/settings.js';
import { mintRunId, settingsOrReport } from 'pressure-harness/config';
import { harnessUse, perfReporter } from 'pressure-harness/config';
import type { HarnessOptions } from 'pressure-harness/fixtures';
import type { SuiteOptions } from './fixtures/options.js';
// The suite's own metrics, registered where every process that loads this config sees them: a
// run's workers, and every verb of the command line (merge, compare and baseline read them).
import './fixtures/metrics.js';

loadDotenv({ quiet: true });
// Refused settings stop the run here; a perf run also gets a summary saying so.
const settings = settingsOrReport(() => loadSettings(process.env));
const CI = Boolean(process.env.CI);
// The run ID is fixed here, before webServer starts (the app restores the run's dataset into a
// database named after it). Workers and global setup inherit it through the environment.
const runId = settings.runId ?? mintRunId();
process.env.RUN_ID = runId;

export default defineConfig<{}, HarnessOptions & SuiteOptions>({
  globalSetup: './global-setup.ts',
  globalTeardown: './global-teardown.ts',
  fullyParallel: true,
  forbidOnly: CI,
  retries: 0, // a flaky correctness test is a bug to fix, not to retry
  workers: settings.workers,
  // The perf reporter writes perf-results/summary.md and results.json after a run with perf tests,
  // and records the run in the history store when HISTORY_DATABASE_URL or PERF_HISTORY_DIR names one.
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }], perfReporter(settings.perf)],
  use: {
    ...harnessUse(settings, {
      databaseUrl: settings.verifyDatabaseUrl,
      datasetLabel: settings.seedProfile,
      backendLogFile: settings.startApp ? appLogFile(runId) : undefined,
      // How app/ starts, and the faults it can start with: for pressure compare --base, bisect and verify.
      backend: appBackend(settings),
      faults: appFaultEnvs(),
    }),
    seedProfile: settings.seedProfile,
    referenceApp: settings.startApp,
    datasetKnobs: settings.dataset,
    fuzz: settings.fuzz,
    datasetLimits: settings.datasetLimits,
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
    {
      // Requests generated from app/'s OpenAPI document (FUZZ_REQUESTS, FUZZ_SEED): part of npm test.
      name: 'fuzz',
      testDir: './tests/fuzz',
      timeout: 15 * 60_000,
    },
    {
      name: 'harness',
      testDir: './tests/harness',
      timeout: 120_000,
    },
  ],
  webServer: settings.startApp
    ? {
        command: APP_COMMAND,
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
