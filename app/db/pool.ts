/**
 * The one pg pool, instrumented once so that every request knows how many queries it ran and
 * how long they took, without a line of counting code in any route.
 *
 * The request's stats live in AsyncLocalStorage. pg-pool hands out clients from callback queues,
 * so the ambient context inside a client is not reliably the request's: the stats object is
 * therefore captured when a client is checked out (pool.query and transactions both go through
 * pool.connect) and pinned to that client until its next checkout.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import pg from 'pg';

export type DbStats = { queries: number; dbMs: number; /** Time spent taking a contended row lock (Server-Timing lock;dur). */ lockMs?: number };

/** Runs a statement that takes a row lock, and adds its time to the request's lock time. */
export async function lockTimed<T>(run: () => Promise<T>): Promise<T> {
  const stats = dbStatsContext.getStore();
  const start = performance.now();
  try {
    return await run();
  } finally {
    if (stats) stats.lockMs = (stats.lockMs ?? 0) + performance.now() - start;
  }
}

export const dbStatsContext = new AsyncLocalStorage<DbStats>();

const STATS = Symbol('dbStats');
const INSTRUMENTED = Symbol('instrumented');
type TaggedClient = pg.PoolClient & { [STATS]?: DbStats; [INSTRUMENTED]?: true };

// pg returns bigint (int8) as string by default; counts and ids fit in a JS number here, and
// the API exposes ids as strings anyway, so only counts (from COUNT(*)) are parsed.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => v);

/**
 * timestamptz as ISO-8601 text with all six fractional digits (sessions run in UTC): exact, so a
 * keyset cursor built from it neither skips nor repeats rows, as a millisecond Date would.
 */
export const isoTimestamp = (v: string) => v.replace(' ', 'T').replace(/\+00$/, 'Z');
pg.types.setTypeParser(pg.types.builtins.TIMESTAMPTZ, isoTimestamp);

/** How long the pool waits for a peer; each a setting (config.ts DB_*_TIMEOUT_MS). */
export type DbTimeouts = { connectMs: number; statementMs: number; idleTxMs: number; queryMs: number };
export const DEFAULT_DB_TIMEOUTS: DbTimeouts = { connectMs: 5_000, statementMs: 30_000, idleTxMs: 60_000, queryMs: 35_000 };

export function createPool(connectionString: string, max: number, t: DbTimeouts = DEFAULT_DB_TIMEOUTS): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max,
    // UTC sessions: timestamps round-trip as text exactly (keyset cursors rely on it). The server
    // cancels a statement past its timeout and ends a transaction left idle too long.
    options: `-c TimeZone=UTC -c statement_timeout=${t.statementMs} -c idle_in_transaction_session_timeout=${t.idleTxMs}`,
    // A frozen server (stopped, partitioned away) answers nothing, and cancels nothing: the client
    // gives up on a connection and on a query's answer by itself.
    connectionTimeoutMillis: t.connectMs,
    query_timeout: t.queryMs,
    application_name: 'pressure-app',
  });
  // An idle client dies when the server shuts down or restarts (Playwright signals the whole
  // process group, postgres included). That is not a crash: the pool replaces the client.
  pool.on('error', (err) => process.stderr.write(`${JSON.stringify({ msg: 'idle database client closed', error: err.message })}\n`));
  const originalConnect = pool.connect.bind(pool) as (cb?: unknown) => unknown;

  (pool as unknown as { connect: unknown }).connect = (cb?: (err: Error | undefined, c?: pg.PoolClient, done?: unknown) => void) => {
    const stats = dbStatsContext.getStore();
    const tag = (client: pg.PoolClient | undefined) => {
      if (!client) return;
      const tagged = client as TaggedClient;
      if (!tagged[INSTRUMENTED]) instrument(tagged);
      tagged[STATS] = stats;
    };
    if (typeof cb === 'function') {
      return originalConnect((err: Error | undefined, client?: pg.PoolClient, done?: unknown) => {
        tag(client);
        cb(err, client, done);
      });
    }
    return (originalConnect() as Promise<pg.PoolClient>).then((client) => {
      tag(client);
      return client;
    });
  };
  return pool;
}

function instrument(client: TaggedClient): void {
  client[INSTRUMENTED] = true;
  const original = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: unknown }).query = (...args: unknown[]) => {
    const stats = client[STATS];
    if (!stats) return original(...args);
    stats.queries += 1;
    const start = performance.now();
    const done = () => {
      stats.dbMs += performance.now() - start;
    };
    const last = args[args.length - 1];
    if (typeof last === 'function') {
      args[args.length - 1] = (err: unknown, res: unknown) => {
        done();
        (last as (e: unknown, r: unknown) => void)(err, res);
      };
      return original(...args);
    }
    const result = original(...args);
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      return (result as Promise<unknown>).then(
        (r) => (done(), r),
        (e) => {
          done();
          throw e;
        },
      );
    }
    return result; // a Submittable (cursor, stream): counted, not timed
  };
}
