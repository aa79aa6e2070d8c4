/**
 * The harness's settings. playwright.config.ts is the one caller: it reads the environment (and
 * .env) once, here, and hands the result to fixtures as options. Every bad variable is
 * reported together, naming what it accepts.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { embeddedUrl } from '../app/db/embedded-url.js';
import { type Env, int, oneOf, parseEnv, port, postgresUrl } from './env.js';

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
  workers: number;
};

export function loadSettings(env: Env): Settings {
  const v = parseEnv('pressure-suite settings', shape, env);
  const startApp = v.BASE_URL === undefined;
  return {
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

/** `r20261125-114702-3fa9c1`: sortable by start time, unique across machines. */
export function mintRunId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `r${stamp}-${randomBytes(3).toString('hex')}`;
}
