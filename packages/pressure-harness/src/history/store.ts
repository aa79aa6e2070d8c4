/**
 * The history store: every perf run recorded in PostgreSQL, in a schema of its own
 * (`pressure_history`), so a shared database can hold it beside anything else. Either a database
 * the user names (HISTORY_DATABASE_URL: what a CI nightly uses, so that history outlives the CI
 * workspace) or an embedded PostgreSQL in a folder the user names, kept between runs.
 *
 * Migrations are versioned and applied in order, once, under an advisory lock, each in the
 * transaction that records its version: two runs opening the store at once never apply one
 * twice, and a store newer than this package is refused rather than misread. A run is recorded
 * in one transaction (replacing an earlier record of the same ID): nothing is half-written.
 */
import pg from 'pg';
import { startEmbeddedPostgres } from '../embedded/postgres.js';
import { freePort } from '../embedded/url.js';
import { redactUrl } from '../pg/url.js';
import type { HistoryFinding, HistoryPoint, HistoryRun } from './record.js';

export const HISTORY_SCHEMA = 'pressure_history';

/** Each migration once, in order; never edit one that has shipped: add the next. */
export const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'runs, their scenarios and their points',
    sql: `
      CREATE TABLE ${HISTORY_SCHEMA}.runs (
        id text PRIMARY KEY,
        commit text,
        branch text,
        release text,
        at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        fingerprint text NOT NULL,
        environment jsonb,
        dataset text NOT NULL,
        verdict text NOT NULL CHECK (verdict IN ('passed', 'failed')),
        source text NOT NULL
      );
      CREATE INDEX runs_at ON ${HISTORY_SCHEMA}.runs (at);
      CREATE TABLE ${HISTORY_SCHEMA}.scenarios (
        run_id text NOT NULL REFERENCES ${HISTORY_SCHEMA}.runs (id) ON DELETE CASCADE,
        scenario text NOT NULL,
        verdict text NOT NULL CHECK (verdict IN ('passed', 'failed')),
        findings jsonb NOT NULL DEFAULT '[]',
        PRIMARY KEY (run_id, scenario)
      );
      CREATE TABLE ${HISTORY_SCHEMA}.points (
        run_id text NOT NULL,
        scenario text NOT NULL,
        route text NOT NULL,
        requests integer NOT NULL,
        errors integer NOT NULL,
        p50 double precision NOT NULL,
        p95 double precision NOT NULL,
        p99 double precision NOT NULL,
        queries_per_request double precision,
        bytes_per_request double precision,
        db_p95 double precision,
        histogram text,
        PRIMARY KEY (run_id, scenario, route),
        FOREIGN KEY (run_id, scenario) REFERENCES ${HISTORY_SCHEMA}.scenarios (run_id, scenario) ON DELETE CASCADE
      );
      CREATE INDEX points_series ON ${HISTORY_SCHEMA}.points (scenario, route);
    `,
  },
];

export type HistoryStore = {
  /** Where it is, password hidden: for messages. */
  where: string;
  pool: pg.Pool;
  close(): Promise<void>;
};

export type HistoryLocation = { url: string } | { dir: string };

/** Opens the store (starting the embedded PostgreSQL of `dir` if that is where it is) and brings its schema up to date. */
export async function openHistory(at: HistoryLocation, o: { log?: (msg: string, extra?: object) => void } = {}): Promise<HistoryStore> {
  const log = o.log ?? (() => {});
  let stopEmbedded: (() => Promise<void>) | undefined;
  let url: string;
  let where: string;
  if ('url' in at) {
    url = at.url;
    where = redactUrl(at.url);
  } else {
    const server = await startEmbeddedPostgres({ dataDir: at.dir, port: await freePort(), log, database: 'pressure_history', durable: true });
    url = server.url;
    where = `the embedded PostgreSQL in ${at.dir}`;
    stopEmbedded = server.stop;
  }
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on('error', () => {}); // an idle client dropped by the server: the next query reconnects
  const close = async () => {
    await pool.end();
    await stopEmbedded?.();
  };
  try {
    await migrate(pool, where);
  } catch (e) {
    await close();
    throw e instanceof Error && /ECONNREFUSED|password|does not exist|ENOTFOUND/.test(e.message) ? new Error(`the history store at ${where} cannot be reached: ${e.message}`) : e;
  }
  return { where, pool, close };
}

async function migrate(pool: pg.Pool, where: string): Promise<void> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    await c.query(`SELECT pg_advisory_xact_lock(hashtext('${HISTORY_SCHEMA}.migrations'))`);
    await c.query(`CREATE SCHEMA IF NOT EXISTS ${HISTORY_SCHEMA}`);
    await c.query(`CREATE TABLE IF NOT EXISTS ${HISTORY_SCHEMA}.migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await c.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${HISTORY_SCHEMA}.migrations`);
    const current = rows[0]?.v ?? 0;
    const known = MIGRATIONS.at(-1)!.version;
    if (current > known) throw new Error(`the history store at ${where} is at schema version ${current}, newer than this pressure-harness knows (${known}): upgrade pressure-harness`);
    for (const m of MIGRATIONS.filter((m) => m.version > current)) {
      await c.query(m.sql);
      await c.query(`INSERT INTO ${HISTORY_SCHEMA}.migrations (version, name) VALUES ($1, $2)`, [m.version, m.name]);
    }
    await c.query('COMMIT');
  } catch (e) {
    await c.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    c.release();
  }
}

export async function schemaVersion(store: HistoryStore): Promise<number> {
  const { rows } = await store.pool.query<{ v: number }>(`SELECT max(version) AS v FROM ${HISTORY_SCHEMA}.migrations`);
  return rows[0]!.v;
}

/** Records a run, replacing an earlier record of the same ID (a re-import), in one transaction. */
export async function recordRun(store: HistoryStore, run: HistoryRun): Promise<{ replaced: boolean }> {
  const c = await store.pool.connect();
  try {
    await c.query('BEGIN');
    const del = await c.query(`DELETE FROM ${HISTORY_SCHEMA}.runs WHERE id = $1`, [run.id]);
    await c.query(`INSERT INTO ${HISTORY_SCHEMA}.runs (id, commit, branch, release, at, fingerprint, environment, dataset, verdict, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, [
      run.id,
      run.code.commit,
      run.code.branch,
      run.code.release,
      run.at,
      run.fingerprint,
      run.environment && JSON.stringify(run.environment),
      run.dataset,
      run.verdict,
      run.source,
    ]);
    for (const s of run.scenarios) {
      await c.query(`INSERT INTO ${HISTORY_SCHEMA}.scenarios (run_id, scenario, verdict, findings) VALUES ($1, $2, $3, $4)`, [run.id, s.scenario, s.verdict, JSON.stringify(s.findings)]);
    }
    for (const p of run.points) {
      await c.query(
        `INSERT INTO ${HISTORY_SCHEMA}.points (run_id, scenario, route, requests, errors, p50, p95, p99, queries_per_request, bytes_per_request, db_p95, histogram)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [run.id, p.scenario, p.route, p.requests, p.errors, p.p50, p.p95, p.p99, p.queriesPerRequest, p.bytesPerRequest, p.dbP95, p.histogram],
      );
    }
    await c.query('COMMIT');
    return { replaced: (del.rowCount ?? 0) > 0 };
  } catch (e) {
    await c.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    c.release();
  }
}

export type RunRow = {
  id: string;
  commit: string | null;
  branch: string | null;
  release: string | null;
  at: string;
  fingerprint: string;
  dataset: string;
  verdict: 'passed' | 'failed';
  source: string;
  scenarios: number;
  failed: number;
};

const RUN_COLUMNS = `r.id, r.commit, r.branch, r.release, r.at, r.fingerprint, r.dataset, r.verdict, r.source,
  (SELECT count(*)::int FROM ${HISTORY_SCHEMA}.scenarios s WHERE s.run_id = r.id) AS scenarios,
  (SELECT count(*)::int FROM ${HISTORY_SCHEMA}.scenarios s WHERE s.run_id = r.id AND s.verdict = 'failed') AS failed`;

/** A timestamptz as ISO text, whatever type parser the process installed (a suite may read them as strings). */
const iso = (v: unknown) => (v instanceof Date ? v : new Date(String(v))).toISOString();
const toRun = (r: Record<string, unknown>): RunRow => ({ ...(r as RunRow), at: iso(r.at) });

/** Runs, newest first. */
export async function listRuns(store: HistoryStore, o: { limit?: number; branch?: string } = {}): Promise<RunRow[]> {
  const { rows } = await store.pool.query(`SELECT ${RUN_COLUMNS} FROM ${HISTORY_SCHEMA}.runs r WHERE ($1::text IS NULL OR r.branch = $1) ORDER BY r.at DESC, r.id DESC LIMIT $2`, [
    o.branch ?? null,
    o.limit ?? 100,
  ]);
  return rows.map(toRun);
}

export type RunDetail = RunRow & { environment: unknown; scenarioResults: { scenario: string; verdict: string; findings: HistoryFinding[] }[]; points: Omit<HistoryPoint, 'histogram'>[] };

export async function getRun(store: HistoryStore, id: string): Promise<RunDetail | null> {
  const { rows } = await store.pool.query(`SELECT ${RUN_COLUMNS}, r.environment FROM ${HISTORY_SCHEMA}.runs r WHERE r.id = $1`, [id]);
  if (!rows[0]) return null;
  const scenarios = await store.pool.query(`SELECT scenario, verdict, findings FROM ${HISTORY_SCHEMA}.scenarios WHERE run_id = $1 ORDER BY scenario`, [id]);
  const points = await store.pool.query(`SELECT ${POINT_COLUMNS} FROM ${HISTORY_SCHEMA}.points p WHERE p.run_id = $1 ORDER BY p.scenario, p.route`, [id]);
  return { ...toRun(rows[0]), environment: rows[0].environment, scenarioResults: scenarios.rows, points: points.rows.map(toPoint) };
}

const POINT_COLUMNS = `p.scenario, p.route, p.requests, p.errors, p.p50, p.p95, p.p99, p.queries_per_request, p.bytes_per_request, p.db_p95`;
const toPoint = (r: Record<string, unknown>): Omit<HistoryPoint, 'histogram'> => ({
  scenario: r.scenario as string,
  route: r.route as string,
  requests: r.requests as number,
  errors: r.errors as number,
  p50: r.p50 as number,
  p95: r.p95 as number,
  p99: r.p99 as number,
  queriesPerRequest: r.queries_per_request as number | null,
  bytesPerRequest: r.bytes_per_request as number | null,
  dbP95: r.db_p95 as number | null,
});

/** Every scenario × route the store has (on `branch`, of `dataset`), with how many runs measured it. */
export async function seriesKeys(store: HistoryStore, o: { branch?: string; dataset?: string } = {}): Promise<{ scenario: string; route: string; runs: number }[]> {
  const { rows } = await store.pool.query(
    `SELECT p.scenario, p.route, count(*)::int AS runs FROM ${HISTORY_SCHEMA}.points p JOIN ${HISTORY_SCHEMA}.runs r ON r.id = p.run_id
     WHERE ($1::text IS NULL OR r.branch = $1) AND ($2::text IS NULL OR r.dataset = $2) GROUP BY 1, 2 ORDER BY 1, 2`,
    [o.branch ?? null, o.dataset ?? null],
  );
  return rows;
}

export type SeriesRow = Omit<HistoryPoint, 'histogram'> & { runId: string; commit: string | null; branch: string | null; at: string; fingerprint: string; dataset: string };

/**
 * One scenario × route over time, oldest first: the latest `limit` runs on `branch` (default:
 * every branch) and `dataset` (a series compares like with like: one profile).
 */
export async function seriesOf(store: HistoryStore, key: { scenario: string; route: string }, o: { branch?: string; dataset?: string; limit?: number } = {}): Promise<SeriesRow[]> {
  const { rows } = await store.pool.query(
    `SELECT * FROM (
       SELECT ${POINT_COLUMNS}, r.id AS run_id, r.commit, r.branch, r.at, r.fingerprint, r.dataset
       FROM ${HISTORY_SCHEMA}.points p JOIN ${HISTORY_SCHEMA}.runs r ON r.id = p.run_id
       WHERE p.scenario = $1 AND p.route = $2 AND ($3::text IS NULL OR r.branch = $3) AND ($4::text IS NULL OR r.dataset = $4)
       ORDER BY r.at DESC, r.id DESC LIMIT $5) latest
     ORDER BY at, run_id`,
    [key.scenario, key.route, o.branch ?? null, o.dataset ?? null, o.limit ?? 120],
  );
  return rows.map((r) => ({ ...toPoint(r), runId: r.run_id, commit: r.commit, branch: r.branch, at: iso(r.at), fingerprint: r.fingerprint, dataset: r.dataset }));
}

/** The run recorded just before `run` (for "against the run before"), on its branch. */
export async function previousRun(store: HistoryStore, run: Pick<RunRow, 'id' | 'at' | 'branch'>): Promise<string | null> {
  const { rows } = await store.pool.query<{ id: string }>(`SELECT id FROM ${HISTORY_SCHEMA}.runs WHERE at < $1 AND id <> $2 AND branch IS NOT DISTINCT FROM $3 ORDER BY at DESC LIMIT 1`, [
    run.at,
    run.id,
    run.branch,
  ]);
  return rows[0]?.id ?? null;
}

/** What changes whenever a run is recorded, replaced or removed: for a reader that caches what it derived from the store. */
export async function storeStamp(store: HistoryStore): Promise<string> {
  const { rows } = await store.pool.query<{ n: number; last: unknown }>(`SELECT count(*)::int AS n, max(recorded_at) AS last FROM ${HISTORY_SCHEMA}.runs`);
  return `${rows[0]!.n}|${String(rows[0]!.last)}`;
}
