/**
 * The only file of conduit that listens. DATABASE_URL names its PostgreSQL; unset, it starts an
 * embedded one (pressure-harness/embedded) on PG_PORT, its data in PG_DATA_DIR (default .pgdata beside this file),
 * so the example runs with nothing but Node. The schema is applied at start (idempotent). SIGTERM closes the server, then the pool, then PostgreSQL.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startEmbeddedPostgres } from 'pressure-harness/embedded';
import { buildApp } from './app.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const log = (msg: string, extra: object = {}) => console.error(JSON.stringify({ time: new Date().toISOString(), msg, ...extra }));

function portOf(name: string, fallback: number): number {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    log(`${name} must be a TCP port from 1 to 65535, got "${raw}"`);
    process.exit(2);
  }
  return n;
}

const port = portOf('PORT', 3320);
const embedded = process.env.DATABASE_URL
  ? undefined
  : await startEmbeddedPostgres({ dataDir: process.env.PG_DATA_DIR || path.join(here, '.pgdata'), port: portOf('PG_PORT', 54339), log, database: 'conduit' });
const url = process.env.DATABASE_URL ?? embedded!.url;
const db = new pg.Pool({ connectionString: url, max: 20, application_name: 'conduit' });
// An idle client whose connection the server ends (a restart, the shutdown below racing the
// embedded server's own exit hook) is logged, not an unhandled 'error' that kills the process.
db.on('error', (e) => log('idle database client closed', { error: e.message }));
await db.query(readFileSync(path.join(here, 'schema.sql'), 'utf8'));
// The example's database reports its slow statements like any production database would.
await db.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements').catch(() => log('pg_stat_statements is not available'));
const server = buildApp(db).listen(port, '127.0.0.1', () => log('conduit listening', { url: `http://127.0.0.1:${port}/api` }));

let closing = false;
async function close(signal: string) {
  if (closing) return;
  closing = true;
  log('shutting down', { signal });
  await new Promise((r) => server.close(r));
  await db.end();
  await embedded?.stop();
  process.exit(0);
}
process.on('SIGTERM', () => void close('SIGTERM'));
process.on('SIGINT', () => void close('SIGINT'));
