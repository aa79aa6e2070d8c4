/**
 * The reference app's settings, read once at start. See .env.example for the meaning of each.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { type Env, SettingsError, int, oneOf, parseEnv, port, postgresUrl } from 'pressure-harness/contract';
import { parseFaults, type Faults } from './faults.js';
import { embeddedDataDir } from 'pressure-harness/embedded';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Only for local runs; production never registers the routes that check it. */
export const DEV_SERVICE_TOKEN = 'local-dev-test-service-token';

const shape = {
  APP_ENV: oneOf(['development', 'test', 'production'], 'development'),
  HOST: z.string().min(1).default('127.0.0.1').describe('a host name or IP address to listen on'),
  // PORT (what a process manager sets) wins; APP_PORT is the suite's name for the same port,
  // read from .env by `npm run app`; 3210 without either.
  PORT: z.coerce.number().int().min(1).max(65535).optional().describe('a TCP port from 1 to 65535'),
  APP_PORT: z.coerce.number().int().min(1).max(65535).optional().describe('a TCP port from 1 to 65535'),
  DATABASE_URL: postgresUrl(),
  PG_PORT: port(54329),
  // Unset: .pgdata for the default PG_PORT, .pgdata-<port> for any other, so that a second app
  // of the checkout on other ports has a PostgreSQL of its own instead of stopping the first's.
  PG_DATA_DIR: z.string().min(1).optional().describe('a directory path'),
  // The embedded PostgreSQL's durability: "off" for tests (fast), "on" as production runs.
  PG_DURABILITY: oneOf(['off', 'on'], 'off'),
  TEST_SERVICE_TOKEN: z.string().min(16).default(DEV_SERVICE_TOKEN).describe('a secret of at least 16 characters'),
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
  APP_LOG_FILE: z.string().min(1).optional().describe('a file path for the JSON log'),
  DB_POOL_MAX: int(2, 200, 20),
  // Every way a peer can stall us, bounded (the issue found 0, "forever", for most):
  // the whole request (headers and body) from a client …
  APP_REQUEST_TIMEOUT_MS: int(1000, 600_000, 30_000),
  // … its headers alone, and how long an idle kept-alive connection stays open;
  APP_HEADERS_TIMEOUT_MS: int(1000, 600_000, 10_000),
  APP_KEEP_ALIVE_TIMEOUT_MS: int(1000, 600_000, 72_000),
  // a connection from the pool, a statement (server side), a transaction left idle, and a query's
  // answer (client side: a frozen server cannot enforce its own statement_timeout).
  DB_CONNECT_TIMEOUT_MS: int(100, 600_000, 5_000),
  DB_STATEMENT_TIMEOUT_MS: int(100, 3_600_000, 30_000),
  DB_IDLE_TX_TIMEOUT_MS: int(100, 3_600_000, 60_000),
  DB_QUERY_TIMEOUT_MS: int(100, 3_600_000, 35_000),
  // Restoring a saved dataset: this run's database is cloned from it at start (app/db/clone.ts).
  APP_DATASET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{0,99}$/)
    .optional()
    .describe('a dataset name such as medium-01f7d2cb1a'),
  APP_DATASET_MODE: oneOf(['auto', 'restore'], 'auto'),
  APP_RUN_DATABASE: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/)
    .optional()
    .describe('a database name of lowercase letters, digits and underscores'),
  // Budgets of the test endpoints: over them a request gets 413 or 429 and writes nothing.
  SEED_MAX_ROWS_PER_RUN: int(1, 1_000_000_000, 20_000_000),
  SEED_MAX_ACCOUNTS_PER_MINUTE: int(1, 1_000_000, 3000),
  BATCH_MAX_SIZE: int(1, 100_000, 1000),
  // The sweeper of expired test data (plugins/app/sweeper.ts); 0 switches it off.
  SWEEPER_INTERVAL_MS: int(0, 3_600_000, 30_000),
  SWEEPER_CHUNK_ROWS: int(1, 100_000, 2000),
  SWEEPER_MAX_ROWS_PER_SECOND: int(1, 10_000_000, 20_000),
  SWEEPER_SLOW_MS: int(1, 60_000, 250),
  SWEEPER_MAX_BACKOFF_MS: int(1000, 86_400_000, 600_000),
  // Dashboard fragments are cached per account for this long (plugins/app/cache.ts).
  APP_CACHE_TTL_MS: int(1, 3_600_000, 30_000),
  APP_CACHE_MAX_ENTRIES: int(1, 10_000_000, 50_000),
  // Background work on pg-boss (plugins/app/jobs.ts): concurrency per queue; 0 switches the
  // workers off (jobs still queue, another process may work them).
  APP_WORKER_CONCURRENCY: int(0, 1000, 40),
  APP_JOB_POLL_MS: int(500, 60_000, 500),
  // The notification provider: in the test profile it records, never sends, but takes as long
  // as a real provider call and fails as often, so retries happen as in production.
  APP_NOTIFY_LATENCY_MS: int(0, 60_000, 40),
  APP_NOTIFY_FAILURE_RATE: z.coerce.number().min(0).max(1).default(0.02).describe('a number from 0 to 1, such as 0.02'),
  // The slow call lock_contention makes while it holds the hot row's lock.
  APP_SLOW_CALL_MS: int(1, 60_000, 60),
  APP_FAULTS: z
    .string()
    .optional()
    .superRefine((v, ctx) => {
      const r = parseFaults(v);
      if (typeof r === 'string') ctx.addIssue({ code: 'custom', message: r });
    })
    .describe('a comma-separated list of n_plus_one, offset_pagination, drop_index, cache_off, lock_contention, slow_worker (or empty)'),
} as const;

export type AppConfig = ReturnType<typeof loadAppConfig>;

export function loadAppConfig(env: Env = process.env) {
  const v = parseEnv('app settings', shape, env);
  const faults = parseFaults(v.APP_FAULTS) as Faults;
  if (faults.size && v.APP_ENV === 'production') {
    throw new SettingsError('app settings: APP_FAULTS must be empty when APP_ENV is "production" (faults are for proving the perf suite catches regressions)', ['APP_FAULTS']);
  }
  return {
    faults,
    cache: { ttlMs: v.APP_CACHE_TTL_MS, maxEntries: v.APP_CACHE_MAX_ENTRIES },
    jobs: { concurrency: v.APP_WORKER_CONCURRENCY, pollMs: v.APP_JOB_POLL_MS, notifyLatencyMs: v.APP_NOTIFY_LATENCY_MS, notifyFailureRate: v.APP_NOTIFY_FAILURE_RATE },
    slowCallMs: v.APP_SLOW_CALL_MS,
    env: v.APP_ENV,
    host: v.HOST,
    port: v.PORT ?? v.APP_PORT ?? 3210,
    /** Undefined means: start the embedded PostgreSQL. */
    databaseUrl: v.DATABASE_URL,
    embedded: { port: v.PG_PORT, dataDir: path.resolve(v.PG_DATA_DIR ?? embeddedDataDir(projectRoot, v.PG_PORT)), durable: v.PG_DURABILITY === 'on' },
    testServiceToken: v.TEST_SERVICE_TOKEN,
    logLevel: v.LOG_LEVEL,
    logFile: v.APP_LOG_FILE,
    poolMax: v.DB_POOL_MAX,
    timeouts: {
      requestMs: v.APP_REQUEST_TIMEOUT_MS,
      headersMs: Math.min(v.APP_HEADERS_TIMEOUT_MS, v.APP_REQUEST_TIMEOUT_MS),
      keepAliveMs: v.APP_KEEP_ALIVE_TIMEOUT_MS,
    },
    db: { connectMs: v.DB_CONNECT_TIMEOUT_MS, statementMs: v.DB_STATEMENT_TIMEOUT_MS, idleTxMs: v.DB_IDLE_TX_TIMEOUT_MS, queryMs: v.DB_QUERY_TIMEOUT_MS },
    dataset: v.APP_DATASET ? { name: v.APP_DATASET, mode: v.APP_DATASET_MODE, target: v.APP_RUN_DATABASE } : undefined,
    sweeper: {
      intervalMs: v.SWEEPER_INTERVAL_MS,
      chunkRows: v.SWEEPER_CHUNK_ROWS,
      maxRowsPerSecond: v.SWEEPER_MAX_ROWS_PER_SECOND,
      slowMs: v.SWEEPER_SLOW_MS,
      maxBackoffMs: v.SWEEPER_MAX_BACKOFF_MS,
    },
    budgets: {
      maxRowsPerRun: v.SEED_MAX_ROWS_PER_RUN,
      maxAccountsPerMinute: v.SEED_MAX_ACCOUNTS_PER_MINUTE,
      maxBatchSize: v.BATCH_MAX_SIZE,
    },
  };
}
