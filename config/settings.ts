/**
 * app/'s suite's settings: the harness's (pressure-harness/src/config/settings.ts) plus what only this suite
 * knows: how to start app/ (ports, faults, its embedded PostgreSQL) and the dataset profiles of
 * app/'s domain. playwright.config.ts is the one caller; every bad variable, the harness's and
 * the suite's, is reported together, naming what it accepts.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { embeddedDataDir, embeddedUrl } from 'pressure-harness/embedded';
import { FAULTS, parseFaults } from '../app/faults.js';
import { type Env, formatProblems, int, oneOf, optionalFraction, optionalInt, port, SettingsError } from 'pressure-harness/contract';
import { type BackendSpec, type HarnessSettings, loadHarnessSettings, projectsNamed } from 'pressure-harness/config';
import { parseTiers } from 'pressure-harness/seed';
import { databaseOf } from 'pressure-harness/pg';
import { type DatasetKnobs, datasetName, resolveKnobs, SEED_PROFILES, type SeedProfile } from '../seed/profiles.js';

export { DEFAULT_SERVICE_TOKEN, mintRunId, RUN_ID_PATTERN, type PerfSettings } from 'pressure-harness/config';
export { SEED_PROFILES, type SeedProfile };

const suiteShape = {
  APP_PORT: port(3210),
  PG_PORT: port(54329),
  SEED_PROFILE: oneOf(SEED_PROFILES, 'smoke'),
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
  // app/'s own seed budget, read here too so the plan is checked against it before seeding.
  SEED_MAX_ROWS_PER_RUN: int(1, 10_000_000_000, 20_000_000),
  // The fuzz project (tests/fuzz): requests generated from app/'s OpenAPI document, and their seed.
  FUZZ_REQUESTS: int(1, 10_000_000, 6_000),
  FUZZ_SEED: int(0, 2 ** 31 - 1, 20261128),
  APP_FAULTS: z
    .string()
    .optional()
    .refine((v) => typeof parseFaults(v) !== 'string')
    .describe(`a comma-separated list of ${FAULTS.join(', ')} (or empty)`),
} as const;

export type Settings = HarnessSettings & {
  /** True when BASE_URL is unset: Playwright's webServer starts app/. */
  startApp: boolean;
  appPort: number;
  pgPort: number;
  /** DATABASE_URL as given: passed to app/ when the suite starts it. */
  appDatabaseUrl: string | undefined;
  /** The database the harness may read directly (leak proof, PostgreSQL's statistics); undefined for a remote backend without DATABASE_URL. */
  verifyDatabaseUrl: string | undefined;
  seedProfile: SeedProfile;
  /** The profile's knobs with the SEED_* overrides applied. */
  dataset: DatasetKnobs;
  /** auto: restore the saved dataset of (profile, seed, knobs) if there is one, else generate. */
  datasetMode: 'auto' | 'generate' | 'restore';
  /** APP_FAULTS as given: passed to app/ (reference app only). */
  appFaults: string | undefined;
  fuzz: { requests: number; seed: number };
  /** What a dataset's plan must fit: the backend's seed budget, and the disk of app/'s embedded cluster (null elsewhere). */
  datasetLimits: { maxRows: number; dataDir: string | null };
};

/** This suite's folder (the repository's root): its budgets, baselines and results live below it. */
const SUITE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function loadSettings(env: Env): Settings {
  const h = loadHarnessSettings(env, {
    suite: suiteShape,
    defaultBaseUrl: (s) => `http://127.0.0.1:${s.APP_PORT}`,
    root: SUITE_ROOT,
    baselinesDir: path.join('budgets', 'baselines'),
    budgetsDir: 'budgets',
    datasetLabel: (s) => s.SEED_PROFILE,
  });
  const v = h.suite;
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
  const startApp = !h.baseUrlGiven;
  return {
    ...h,
    startApp,
    appPort: v.APP_PORT,
    pgPort: v.PG_PORT,
    appDatabaseUrl: h.databaseUrl,
    verifyDatabaseUrl: h.databaseUrl ?? (startApp ? embeddedUrl(v.PG_PORT) : undefined),
    seedProfile: v.SEED_PROFILE,
    dataset,
    datasetMode: v.SEED_DATASET,
    appFaults: v.APP_FAULTS,
    fuzz: { requests: v.FUZZ_REQUESTS, seed: v.FUZZ_SEED },
    datasetLimits: { maxRows: v.SEED_MAX_ROWS_PER_RUN, dataDir: startApp && !h.databaseUrl ? embeddedDataDir(process.cwd(), v.PG_PORT) : null },
  };
}

/**
 * Where app/ writes its JSON log when the suite starts it: one file per run, so a run's slow
 * requests are found in its own log by trace ID (global setup keeps the last few).
 */
export const APP_LOG_DIR = path.join('.run', 'logs');
export const appLogFile = (runId: string) => path.join(APP_LOG_DIR, `app-${runId}.log`);

/** The environment app/ gets when the suite (or a script of it) starts it. */
/**
 * The embedded PostgreSQL's durability for this run: as given (PG_DURABILITY), else "on" for a
 * run of the perf project alone, so that write latency is what a production database shows, and
 * "off" (fast) for anything that runs correctness or the harness's own tests. summary.md says
 * which it was (its Environment section).
 */
export function durabilityFor(env: NodeJS.ProcessEnv = process.env, argv: string[] = process.argv): string {
  // As given: app/ validates it and names a bad value.
  if (env.PG_DURABILITY) return env.PG_DURABILITY;
  const named = projectsNamed(argv);
  return named.length > 0 && named.every((p) => p === 'perf') ? 'on' : 'off';
}

export function appServerEnv(s: Settings, runId = 'scripts'): Record<string, string> {
  return {
    APP_ENV: 'test',
    PG_DURABILITY: durabilityFor(),
    PORT: String(s.appPort),
    PG_PORT: String(s.pgPort),
    TEST_SERVICE_TOKEN: s.serviceToken,
    APP_LOG_FILE: appLogFile(runId),
    ...(s.appFaults && { APP_FAULTS: s.appFaults }),
    ...(s.appDatabaseUrl && { DATABASE_URL: s.appDatabaseUrl }),
  };
}

/** How app/ starts, for the command line's comparisons at git refs (pressure compare --base, bisect, verify): its own ports and embedded PostgreSQL, or a copy of DATABASE_URL's database. */
export function appBackend(s: Settings): BackendSpec {
  return {
    command: APP_COMMAND,
    cwd: SUITE_ROOT,
    url: 'http://127.0.0.1:{port}',
    env: {
      APP_ENV: 'test',
      PORT: '{port}',
      TEST_SERVICE_TOKEN: s.serviceToken,
      APP_FAULTS: '',
      // Each side is measured as production runs: writes wait for the disk.
      PG_DURABILITY: 'on',
      ...(s.appDatabaseUrl ? { DATABASE_URL: '{databaseUrl}' } : { PG_PORT: '{pgPort}', PG_DATA_DIR: '{dataDir}' }),
    },
    databaseUrl: s.appDatabaseUrl ? '{databaseUrl}' : embeddedUrl(0).replace(':0/', ':{pgPort}/'),
  };
}

/** app/'s faults (app/faults.ts), each the environment that switches it on: what pressure verify proves the suite catches. */
export const appFaultEnvs = (): Record<string, Record<string, string>> => Object.fromEntries(FAULTS.map((f) => [f, { APP_FAULTS: f }]));

/** The command that starts app/: the suite's webServer and its declared backend alike. */
export const APP_COMMAND = 'node --import tsx app/server.ts';

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
