/**
 * The only file that listens. Start order: settings → database (embedded unless DATABASE_URL)
 * → migrations → app → listen. Stop order is the reverse, on SIGINT or SIGTERM, so the embedded
 * PostgreSQL never outlives a clean exit (a SIGKILLed one is handled at the next start).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { config as loadDotenv } from 'dotenv';
import { buildApp } from './app.js';
import { loadAppConfig } from './config.js';
import { SettingsError } from 'pressure-harness/contract';
import { type EmbeddedServer, startEmbeddedPostgres } from 'pressure-harness/embedded';
import { type Clone, cloneDataset, databaseOf, dropOrphanClones } from './db/clone.js';
import { migrate } from './db/migrate.js';
import { createPool } from './db/pool.js';
import { assertPartitionForeignKeys } from './sql/partitions.js';
import { ensureAuditTrigger, ensureListingIndex } from './sql/items.js';
import { assertTestDataTables } from './sql/testdata.js';

const redact = (url: string) => url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');

const log = (msg: string, extra: object = {}) => process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), msg, ...extra })}\n`);

/** A start that cannot go on is said in plain words, for the person reading the CI log. */
const fatal = (e: unknown) => process.stderr.write(`app/ could not start: ${(e as Error).message}\n`);

async function main() {
  // .env as the suite reads it (the environment wins), so `npm run app` and the suite agree.
  loadDotenv({ quiet: true });
  let config;
  try {
    config = loadAppConfig();
  } catch (e) {
    if (e instanceof SettingsError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  if (config.logFile) mkdirSync(path.dirname(config.logFile), { recursive: true });

  let embedded: EmbeddedServer | undefined;
  const stopEmbedded = async () => {
    const e = embedded;
    embedded = undefined;
    await e?.stop();
  };
  let url = config.databaseUrl;
  if (!url) {
    embedded = await startEmbeddedPostgres({ ...config.embedded, log, supervise: true });
    url = embedded.url;
  }

  // Every start sweeps run clones whose app was killed (their owner session is gone).
  await dropOrphanClones(url, log).catch((e: Error) => log('could not sweep orphan clones', { error: e.message }));
  let clone: Clone | null = null;
  if (config.dataset) {
    try {
      clone = await cloneDataset({ url, dataset: config.dataset.name, mode: config.dataset.mode, target: config.dataset.target ?? `${databaseOf(url)}_run_${process.pid}`, log });
    } catch (e) {
      fatal(e);
      await stopEmbedded();
      process.exit(1);
    }
    if (clone) url = clone.url;
  }
  const dropClone = async () => {
    const c = clone;
    clone = null;
    await c?.drop();
  };

  // APP_FAULTS=small_pool: two connections, whatever DB_POOL_MAX says. (One deadlocks: a request
  // that holds a client for its transaction and asks the pool for another waits for itself.)
  const pool = createPool(url, config.faults.has('small_pool') ? 2 : config.poolMax, config.db);
  let app;
  try {
    await pool.query('SELECT 1').catch((e: Error & { code?: string }) => {
      // Name the setting to fix, not only the socket error.
      const where = config.databaseUrl ? `DATABASE_URL (${redact(config.databaseUrl)})` : `the embedded PostgreSQL on PG_PORT ${config.embedded.port}`;
      throw new Error(`cannot reach ${where}: ${e.code ?? e.message}. Recommended fix: start that PostgreSQL, or correct ${config.databaseUrl ? 'DATABASE_URL' : 'PG_PORT'}.`);
    });
    await migrate(pool, log);
    await assertTestDataTables(pool);
    await assertPartitionForeignKeys(pool);
    await ensureListingIndex(pool, !config.faults.has('drop_index'));
    await ensureAuditTrigger(pool, config.faults.has('audit_trigger'));
    if (config.faults.size) log('faults switched on (APP_FAULTS): this app is slow on purpose', { faults: [...config.faults] });
    app = await buildApp({ config, pool });
    await app.listen({ host: config.host, port: config.port });
  } catch (e) {
    fatal(e);
    await pool.end().catch(() => {});
    await dropClone().catch(() => {});
    await stopEmbedded();
    process.exit(1);
  }
  log('app listening', { url: `http://${config.host}:${config.port}`, env: config.env, server: embedded ? 'embedded' : 'DATABASE_URL', database: databaseOf(url), dataset: clone?.dataset ?? null });

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    log('shutting down', { signal });
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    await app.close().catch(() => {});
    await pool.end().catch(() => {});
    await dropClone().catch((e: Error) => log('run database not dropped at shutdown; global teardown or the next start drops it', { error: e.message }));
    await stopEmbedded().catch(() => {});
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

void main();
