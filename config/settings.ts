/**
 * The harness's settings. playwright.config.ts is the one caller: it reads the environment (and
 * .env) once, here, and hands the result to fixtures as options. Every bad variable is
 * reported together, naming what it accepts.
 */
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { databaseOf } from '../app/db/clone.js';
import { z } from 'zod';
import { embeddedUrl } from '../app/db/embedded-url.js';
import { FAULTS, parseFaults } from '../app/faults.js';
import { BASELINE_TAG, type Baseline, loadBaseline } from '../budgets/baselines.js';
import { PERF_RESULTS } from '../report/results.js';
import { parseTiers } from '../seed/distributions.js';
import { type DatasetKnobs, datasetName, resolveKnobs } from '../seed/profiles.js';
import { type Env, formatProblems, int, oneOf, optionalFraction, optionalInt, parseEnv, port, postgresUrl, SettingsError } from './env.js';

/** Must match the app's RUN_ID pattern: it becomes test_run_id on every row. */
export const RUN_ID_PATTERN = /^[a-z0-9][a-z0-9-]{3,63}$/;
export const SEED_PROFILES = ['smoke', 'small', 'medium', 'large'] as const;
export type SeedProfile = (typeof SEED_PROFILES)[number];
export const DEFAULT_SERVICE_TOKEN = 'local-dev-test-service-token';

const shape = {
  BASE_URL: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe('an http(s) URL of the backend under test, such as http://127.0.0.1:8080 (unset: start app/)'),
  DATABASE_URL: postgresUrl(),
  APP_PORT: port(3210),
  PG_PORT: port(54329),
  TEST_SERVICE_TOKEN: z.string().min(16).default(DEFAULT_SERVICE_TOKEN).describe('a secret of at least 16 characters'),
  RUN_ID: z.string().regex(RUN_ID_PATTERN).optional().describe('4-64 lowercase letters, digits and dashes, starting with a letter or digit'),
  RUN_TTL_MINUTES: int(5, 10_080, 180),
  SEED: z.string().min(1).max(64).default('pressure-suite').describe('a seed string of 1 to 64 characters'),
  SEED_PROFILE: oneOf(SEED_PROFILES, 'smoke'),
  WORKERS: int(1, 32, 2),
  SEED_DATASET: oneOf(['auto', 'generate', 'restore'], 'auto'),
  // Knob-by-knob overrides of the profile (unset: the profile's value).
  SEED_ACCOUNTS: optionalInt(1, 100_000),
  SEED_PROJECT_TIERS: z
    .string()
    .refine((v) => typeof parseTiers(v) !== 'string')
    .optional()
    .describe('tiers as percent:min-max, comma-separated, adding up to 100%, such as 90:1-5,9:6-50,1:200-1000'),
  SEED_ITEMS_P50: optionalInt(0, 1_000_000),
  SEED_ITEMS_P95: optionalInt(0, 1_000_000),
  SEED_ITEMS_MAX: optionalInt(0, 1_000_000),
  SEED_ATTACHMENT_RATE: optionalFraction(),
  SEED_COMMENT_DEPTH: optionalInt(0, 50),
  SEED_TAGS_PER_ITEM: optionalInt(0, 20),
  // The perf project (tests/perf, budgets/).
  PERF_BASELINE: z
    .string()
    .regex(BASELINE_TAG)
    .optional()
    .describe('a release tag with a saved baseline in budgets/baselines/<tag>.json (npm run baseline:save -- --tag <tag>)'),
  PERF_REPEATS: int(0, 5, 2),
  PERF_SOAK_SECONDS: int(5, 86_400, 20),
  PERF_RAMP_HOLD_SECONDS: int(1, 3600, 4),
  PERF_RESULTS_DIR: z.string().min(1).default(PERF_RESULTS).describe('a directory path for perf results (summary.md, results.json, scenarios/)'),
  PERF_RELEASE: z.string().regex(BASELINE_TAG).optional().describe('the release tag this run measures, such as v1.4.0 (recorded in results.json)'),
  APP_FAULTS: z
    .string()
    .optional()
    .refine((v) => typeof parseFaults(v) !== 'string')
    .describe(`a comma-separated list of ${FAULTS.join(', ')} (or empty)`),
} as const;

export type Settings = {
  /** Where the backend under test answers. */
  baseUrl: string;
  /** True when BASE_URL is unset: Playwright's webServer starts app/. */
  startApp: boolean;
  appPort: number;
  pgPort: number;
  /** DATABASE_URL as given: passed to app/ when the suite starts it. */
  appDatabaseUrl: string | undefined;
  /** The database the harness may read directly to verify cleanup; undefined for a remote backend with no DATABASE_URL. */
  verifyDatabaseUrl: string | undefined;
  serviceToken: string;
  runId: string | undefined;
  runTtlSeconds: number;
  seed: string;
  seedProfile: SeedProfile;
  /** The profile's knobs with the SEED_* overrides applied. */
  dataset: DatasetKnobs;
  /** auto: restore the saved dataset of (profile, seed, knobs) if there is one, else generate. */
  datasetMode: 'auto' | 'generate' | 'restore';
  workers: number;
  perf: PerfSettings;
  /** APP_FAULTS as given: passed to app/ (reference app only). */
  appFaults: string | undefined;
};

export type PerfSettings = {
  /** The baseline's tag and values, when PERF_BASELINE names one. */
  baseline: Baseline | undefined;
  /** Extra measurements a noisy (latency) budget failure gets before it fails. */
  repeats: number;
  soakSeconds: number;
  rampHoldSeconds: number;
  /** Where scenario results, summary.md and results.json go. */
  resultsDir: string;
};

export function loadSettings(env: Env): Settings {
  const v = parseEnv('pressure-suite settings', shape, env);
  const startApp = v.BASE_URL === undefined;
  let dataset: DatasetKnobs;
  try {
    dataset = resolveKnobs(v.SEED_PROFILE, {
      accounts: v.SEED_ACCOUNTS,
      projectsPerAccount: v.SEED_PROJECT_TIERS === undefined ? undefined : (parseTiers(v.SEED_PROJECT_TIERS) as DatasetKnobs['projectsPerAccount']),
      itemsPerProject: { p50: v.SEED_ITEMS_P50, p95: v.SEED_ITEMS_P95, max: v.SEED_ITEMS_MAX },
      attachmentRate: v.SEED_ATTACHMENT_RATE,
      commentDepth: v.SEED_COMMENT_DEPTH,
      tagsPerItem: v.SEED_TAGS_PER_ITEM,
    });
  } catch (e) {
    const problem = (e as Error).message.replace(/^seed knobs: /, 'SEED_ITEMS_P50, SEED_ITEMS_P95 and SEED_ITEMS_MAX: ');
    throw new SettingsError(formatProblems('pressure-suite settings', [problem]), [problem]);
  }
  let baseline: Baseline | undefined;
  if (v.PERF_BASELINE) {
    const loaded = loadBaseline(v.PERF_BASELINE);
    if (typeof loaded === 'string') throw new SettingsError(formatProblems('pressure-suite settings', [`PERF_BASELINE: ${loaded}`]), [loaded]);
    if (loaded.profile !== v.SEED_PROFILE) {
      const problem = `PERF_BASELINE: baseline "${loaded.tag}" was measured on the ${loaded.profile} profile and this run uses ${v.SEED_PROFILE}; compare like with like (SEED_PROFILE=${loaded.profile}) or save a baseline of this profile`;
      throw new SettingsError(formatProblems('pressure-suite settings', [problem]), [problem]);
    }
    baseline = loaded;
  }
  return {
    perf: { baseline, repeats: v.PERF_REPEATS, soakSeconds: v.PERF_SOAK_SECONDS, rampHoldSeconds: v.PERF_RAMP_HOLD_SECONDS, resultsDir: v.PERF_RESULTS_DIR },
    appFaults: v.APP_FAULTS,
    dataset,
    datasetMode: v.SEED_DATASET,
    baseUrl: (v.BASE_URL ?? `http://127.0.0.1:${v.APP_PORT}`).replace(/\/+$/, ''),
    startApp,
    appPort: v.APP_PORT,
    pgPort: v.PG_PORT,
    appDatabaseUrl: v.DATABASE_URL,
    verifyDatabaseUrl: v.DATABASE_URL ?? (startApp ? embeddedUrl(v.PG_PORT) : undefined),
    serviceToken: v.TEST_SERVICE_TOKEN,
    runId: v.RUN_ID,
    runTtlSeconds: v.RUN_TTL_MINUTES * 60,
    seed: v.SEED,
    seedProfile: v.SEED_PROFILE,
    workers: v.WORKERS,
  };
}

/**
 * Where app/ writes its JSON log when the suite starts it: one file per run, so a run's slow
 * requests are found in its own log by trace ID (global setup keeps the last few).
 */
export const APP_LOG_DIR = path.join('.run', 'logs');
export const appLogFile = (runId: string) => path.join(APP_LOG_DIR, `app-${runId}.log`);

/** The environment app/ gets when the suite (or a script of it) starts it. */
export function appServerEnv(s: Settings, runId = 'scripts'): Record<string, string> {
  return {
    APP_ENV: 'test',
    PORT: String(s.appPort),
    PG_PORT: String(s.pgPort),
    TEST_SERVICE_TOKEN: s.serviceToken,
    APP_LOG_FILE: appLogFile(runId),
    ...(s.appFaults && { APP_FAULTS: s.appFaults }),
    ...(s.appDatabaseUrl && { DATABASE_URL: s.appDatabaseUrl }),
  };
}

/**
 * What app/ needs to restore the run's dataset at start: the dataset's name and the database
 * to clone it into, named after the run (so a clone left by a crash can be aged and dropped).
 */
export function datasetRestoreEnv(s: Settings, runId: string): Record<string, string> {
  if (s.datasetMode === 'generate') return {};
  const base = databaseOf(s.appDatabaseUrl ?? embeddedUrl(s.pgPort));
  let database = `${base}_run_${runId.replace(/-/g, '_')}`;
  if (database.length > 63) database = `${base.slice(0, 20)}_run_${createHash('sha256').update(runId).digest('hex').slice(0, 24)}`;
  return { APP_DATASET: datasetName(s.seedProfile, s.seed, s.dataset), APP_DATASET_MODE: s.datasetMode, APP_RUN_DATABASE: database };
}

/** `r20261125-114702-3fa9c1`: sortable by start time, unique across machines. */
export function mintRunId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `r${stamp}-${randomBytes(3).toString('hex')}`;
}
