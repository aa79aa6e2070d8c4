/**
 * The harness's settings, read once (by a suite's playwright.config.ts) and validated together
 * with the suite's own variables: one parse, every bad variable reported at once, in the form
 * `NAME must be <accepted>, got "<actual>"`. Nothing else in the harness reads process.env.
 *
 * A suite passes its own zod shape (`suite`) and gets its parsed values back in `suite`; the
 * harness knows nothing of them.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { type Env, type EnvShape, formatProblems, int, oneOf, parseEnv, postgresUrl, SettingsError } from '../contract/env.js';
import { BASELINE_TAG, type Baseline, loadBaseline } from '../budgets/baselines.js';
import { type AuthScheme, parseAuthScheme } from '../fixtures/auth.js';
import { PERF_RESULTS } from '../report/results.js';
import { projectRequested } from '../report/outcome.js';
import { writeBadSettings } from '../report/summary.js';

/** Must match the backends' RUN_ID pattern: it becomes the run tag on every row. */
export const RUN_ID_PATTERN = /^[a-z0-9][a-z0-9-]{3,63}$/;
export const DEFAULT_SERVICE_TOKEN = 'local-dev-test-service-token';
const PATH = /^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/;

export const harnessShape = {
  BASE_URL: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe('an http(s) URL of the backend under test, with its path prefix if it has one, such as http://127.0.0.1:8080 or http://127.0.0.1:8080/api (unset: the suite starts its own backend)'),
  DATABASE_URL: postgresUrl(),
  TEST_SERVICE_TOKEN: z.string().min(16).default(DEFAULT_SERVICE_TOKEN).describe('a secret of at least 16 characters'),
  RUN_ID: z.string().regex(RUN_ID_PATTERN).optional().describe('4-64 lowercase letters, digits and dashes, starting with a letter or digit'),
  RUN_TTL_MINUTES: int(5, 10_080, 180),
  /** 1: teardown leaves the run's rows where they are (a dataset being saved, or one restored). */
  RUN_KEEP: oneOf(['0', '1'], '0'),
  SEED: z.string().min(1).max(64).default('pressure-suite').describe('a seed string of 1 to 64 characters'),
  WORKERS: int(1, 32, 2),
  AUTH_SCHEME: z
    .string()
    .default('Bearer')
    .refine((v) => typeof parseAuthScheme(v) !== 'string')
    .describe('how a token is sent: an Authorization scheme (Bearer, Token, …), header:<Name> (such as header:X-Api-Key) or cookie:<name>'),
  HEALTH_PATH: z.string().regex(PATH).default('/healthz').describe('a path starting with "/", such as /healthz or /api/ping (relative to BASE_URL)'),
  METRICS_PATH: z.string().regex(PATH).default('/metrics').describe('a path starting with "/" where the backend serves Prometheus metrics, such as /metrics'),
  PERF_BASELINE: z.string().regex(BASELINE_TAG).optional().describe("a release tag with a saved baseline in the suite's baselines folder (npm run baseline:save -- --tag <tag>)"),
  PERF_REPEATS: int(0, 5, 2),
  PERF_BUDGETS: z
    .enum(['gate', 'record'])
    .default('gate')
    .describe('gate (a broken budget fails the test) or record (budgets judged and reported, never failing: for comparisons that judge by perf:compare instead)'),
  PERF_SOAK_SECONDS: int(5, 86_400, 20),
  PERF_RAMP_HOLD_SECONDS: int(1, 3600, 4),
  PERF_RESULTS_DIR: z.string().min(1).default(PERF_RESULTS).describe('a directory path for perf results (summary.md, results.json, scenarios/)'),
  HISTORY_DATABASE_URL: postgresUrl(),
  PERF_HISTORY_DIR: z.string().min(1).optional().describe("a directory for the history store's embedded PostgreSQL (kept between runs)"),
  /** Production's database (a read replica will do): the setup compares the test database's shape with it, read-only (pg/parity.ts). */
  PARITY_DATABASE_URL: postgresUrl(),
  /** 1: a run whose database differs from PARITY_DATABASE_URL's in anything parity compares stops before any test. */
  PERF_REQUIRE_PARITY: oneOf(['0', '1'], '0'),
  PERF_RELEASE: z.string().regex(BASELINE_TAG).optional().describe('the release tag this run measures, such as v1.4.0 (recorded in results.json)'),
} as const;

export type PerfSettings = {
  /** The baseline's tag and values, when PERF_BASELINE names one. */
  baseline: Baseline | undefined;
  /** Extra measurements a noisy (latency) budget failure gets before it fails. */
  repeats: number;
  /** gate: a broken budget fails the test; record: budgets are judged and reported only (perf:compare judges instead). */
  budgets: 'gate' | 'record';
  soakSeconds: number;
  rampHoldSeconds: number;
  /** Where scenario results, summary.md and results.json go. */
  resultsDir: string;
  /** The suite's budgets folder: every *.budgets.ts below it. */
  budgetsDir: string;
  /** Where the suite keeps its release baselines (<tag>.json). */
  baselinesDir: string;
  /**
   * Where every perf run is recorded (history/): a shared PostgreSQL (HISTORY_DATABASE_URL, as a CI
   * nightly uses), or an embedded one in a folder kept between runs (PERF_HISTORY_DIR); unset,
   * runs are not recorded (`pressure history import` records them later).
   */
  history: HistoryTarget | null;
  /** Production's database to compare the test database's shape with at setup, and whether a difference stops the run. */
  parity: { url: string; require: boolean } | null;
};

export type HistoryTarget = { url: string } | { dir: string };

export type HarnessSettings = {
  /** Where the backend under test answers, path prefix included, no trailing slash. */
  baseUrl: string;
  /** True when BASE_URL was given: the suite tests that backend and starts nothing. */
  baseUrlGiven: boolean;
  /** DATABASE_URL as given. */
  databaseUrl: string | undefined;
  serviceToken: string;
  runId: string | undefined;
  runTtlSeconds: number;
  /** RUN_KEEP=1: the run's rows stay after it (datasets). */
  keepRun: boolean;
  seed: string;
  workers: number;
  auth: AuthScheme;
  healthPath: string;
  metricsPath: string;
  perf: PerfSettings;
};

type Parsed<S extends EnvShape> = { [K in keyof S]: z.output<S[K]> };

export type LoadOptions<S extends EnvShape> = {
  /** The suite's own variables, validated in the same pass. */
  suite?: S;
  /** Names the settings in error messages. */
  where?: string;
  /**
   * The suite's folder (its playwright.config.ts's): the relative folders below and
   * PERF_RESULTS_DIR resolve against it, never against the working folder, so that a run, and
   * every verb of the command line, finds the same files from wherever it starts. Default: the
   * working folder, for suites written before it existed.
   */
  root?: string;
  /** The backend's URL when BASE_URL is unset (the one the suite starts). */
  defaultBaseUrl: (suite: Parsed<S>) => string;
  baselinesDir: string;
  budgetsDir: string;
  /** What a baseline must have been measured on to compare like with like (a dataset profile). */
  datasetLabel?: (suite: Parsed<S>) => string;
  /** The suite's defaults for harness variables its backend needs (HEALTH_PATH, AUTH_SCHEME): the environment still wins. */
  defaults?: Partial<Record<keyof typeof harnessShape, string>>;
};

export function loadHarnessSettings<S extends EnvShape = Record<string, never>>(env: Env, o: LoadOptions<S>): HarnessSettings & { suite: Parsed<S> } {
  const where = o.where ?? 'pressure-suite settings';
  const withDefaults = { ...env };
  for (const [k, v] of Object.entries(o.defaults ?? {})) if (withDefaults[k] === undefined || withDefaults[k] === '') withDefaults[k] = v;
  const all = parseEnv(where, { ...harnessShape, ...(o.suite ?? {}) }, withDefaults) as Parsed<typeof harnessShape> & Parsed<S>;
  const suite = Object.fromEntries(Object.keys(o.suite ?? {}).map((k) => [k, (all as Record<string, unknown>)[k]])) as Parsed<S>;
  if (all.PERF_REQUIRE_PARITY === '1' && !all.PARITY_DATABASE_URL) {
    const problem = "PERF_REQUIRE_PARITY=1 needs PARITY_DATABASE_URL: production's database (postgres://…, a read replica will do) to compare the test database with";
    throw new SettingsError(formatProblems(where, [problem]), [problem]);
  }
  const root = path.resolve(o.root ?? '.');
  const baselinesDir = path.resolve(root, o.baselinesDir);
  let baseline: Baseline | undefined;
  if (all.PERF_BASELINE) {
    const loaded = loadBaseline(all.PERF_BASELINE, baselinesDir);
    if (typeof loaded === 'string') throw new SettingsError(formatProblems(where, [`PERF_BASELINE: ${loaded}`]), [loaded]);
    const label = o.datasetLabel?.(suite);
    if (label !== undefined && loaded.profile !== label) {
      const problem = `PERF_BASELINE: baseline "${loaded.tag}" was measured on the ${loaded.profile} profile and this run uses ${label}; compare like with like, or save a baseline of this profile`;
      throw new SettingsError(formatProblems(where, [problem]), [problem]);
    }
    baseline = loaded;
  }
  return {
    baseUrl: (all.BASE_URL ?? o.defaultBaseUrl(suite)).replace(/\/+$/, ''),
    baseUrlGiven: all.BASE_URL !== undefined,
    databaseUrl: all.DATABASE_URL,
    serviceToken: all.TEST_SERVICE_TOKEN,
    runId: all.RUN_ID,
    runTtlSeconds: all.RUN_TTL_MINUTES * 60,
    keepRun: all.RUN_KEEP === '1',
    seed: all.SEED,
    workers: all.WORKERS,
    auth: parseAuthScheme(all.AUTH_SCHEME) as AuthScheme,
    healthPath: all.HEALTH_PATH,
    metricsPath: all.METRICS_PATH,
    perf: {
      baseline,
      repeats: all.PERF_REPEATS,
      budgets: all.PERF_BUDGETS,
      soakSeconds: all.PERF_SOAK_SECONDS,
      rampHoldSeconds: all.PERF_RAMP_HOLD_SECONDS,
      resultsDir: path.resolve(root, all.PERF_RESULTS_DIR),
      budgetsDir: path.resolve(root, o.budgetsDir),
      baselinesDir,
      history: all.HISTORY_DATABASE_URL ? { url: all.HISTORY_DATABASE_URL } : all.PERF_HISTORY_DIR ? { dir: path.resolve(root, all.PERF_HISTORY_DIR) } : null,
      parity: all.PARITY_DATABASE_URL ? { url: all.PARITY_DATABASE_URL, require: all.PERF_REQUIRE_PARITY === '1' } : null,
    },
    suite,
  };
}

/** `r20261125-114702-3fa9c1`: sortable by start time, unique across machines. */
export function mintRunId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `r${stamp}-${randomBytes(3).toString('hex')}`;
}

/**
 * Loads a suite's settings; when they are refused and the run asked for the perf project, the
 * refusal is also written where perf results go (summary.md, results.json: "bad settings"), then
 * rethrown: CI that reads the summary sees why the run never started.
 */
export function settingsOrReport<T>(load: () => T, o: { argv?: string[]; env?: NodeJS.ProcessEnv; perfProject?: string } = {}): T {
  try {
    return load();
  } catch (e) {
    if (e instanceof SettingsError && projectRequested(o.perfProject ?? 'perf', o.argv ?? process.argv)) {
      const env = o.env ?? process.env;
      writeBadSettings(env.PERF_RESULTS_DIR || PERF_RESULTS, e.problems, env);
    }
    throw e;
  }
}
