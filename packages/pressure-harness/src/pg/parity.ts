/**
 * Is the database a perf run measures shaped like production? Two PostgreSQLs profiled read-only,
 * from their catalogs and statistics only (never a row of a table): version, the settings that move
 * latency, extensions, indexes per table, table sizes, connections. `parityOf` is the pure step that
 * says what differs and why it matters; `formatParity` prints it.
 *
 * What makes a run's latency unlike production's is rarely the code: a table 1,000× smaller is
 * planned otherwise (an index scan where production reads sequentially, or the reverse), an index
 * production has and the test database lacks (or the reverse) changes every plan that touches it,
 * and a server with fsync off or a tenth of production's shared_buffers makes writes and reads
 * cheaper or dearer than they will be.
 */
import type pg from 'pg';
import { readOnly, redactUrl, SQL_MARK } from './url.js';

/** The settings compared, each with what it does to a request's latency. */
export const PARITY_SETTINGS: Record<string, string> = {
  shared_buffers: "how much of the data PostgreSQL caches itself: with less, reads go to the OS's cache or the disk",
  effective_cache_size: 'how much the planner assumes is cached: it tips the choice between an index scan and a sequential one',
  work_mem: 'memory a sort or hash may use before it spills to temp files',
  maintenance_work_mem: 'memory of VACUUM and CREATE INDEX',
  random_page_cost: "the planner's price of a random read: lower favours index scans",
  seq_page_cost: "the planner's price of a sequential read",
  effective_io_concurrency: 'how many reads a bitmap heap scan prefetches',
  default_statistics_target: "how detailed the planner's statistics are: coarser ones misjudge skewed columns",
  max_parallel_workers_per_gather: 'how many workers one query may split a scan across',
  max_parallel_workers: 'how many parallel workers the server runs at once',
  jit: 'JIT compilation of costly queries: milliseconds added to each it compiles',
  plan_cache_mode: 'generic or custom plans for prepared statements',
  fsync: 'durability: with it off every commit skips the disk flush production pays',
  synchronous_commit: 'durability: off, a commit returns before its WAL is flushed',
  full_page_writes: 'durability: off, WAL is smaller and writes cheaper than production’s',
  wal_level: 'how much WAL each write produces',
  max_connections: "the sessions the server allows: the pools' ceiling",
  autovacuum: 'without it, dead rows and stale statistics accumulate',
  shared_preload_libraries: 'what is loaded in every session (pg_stat_statements, auto_explain)',
  enable_seqscan: 'a planner method switched off',
  enable_indexscan: 'a planner method switched off',
  enable_bitmapscan: 'a planner method switched off',
  enable_hashjoin: 'a planner method switched off',
  enable_mergejoin: 'a planner method switched off',
  enable_nestloop: 'a planner method switched off',
};

export type Setting = { value: string; unit: string | null; setting: string };
export type TableSize = { rows: number; bytes: number };
export type IndexShape = { table: string; name: string; unique: boolean; shape: string };

export type DatabaseProfile = {
  /** The URL with its password redacted. */
  url: string;
  version: string;
  versionNum: number;
  settings: Record<string, Setting>;
  extensions: Record<string, string>;
  /** Indexes of tables and partitioned tables (a partition's own are its root's), named by what they index. */
  indexes: IndexShape[];
  /** Live rows (the planner's estimate, the statistics' count where never analyzed) and bytes; partitions under their root. */
  tables: Record<string, TableSize>;
  /** Client sessions connected now, per application_name: production's pools, seen from the server. */
  sessions: Record<string, number>;
};

/** Everything parity compares of one database, read in one read-only transaction. */
export const profileDatabase = (url: string): Promise<DatabaseProfile> => readOnly(url, (c) => readProfile(c, url), { applicationName: 'pressure-harness parity' });

async function readProfile(c: pg.ClientBase, url: string): Promise<DatabaseProfile> {
  const version = (await c.query<{ v: string; n: string }>(`SELECT ${SQL_MARK} current_setting('server_version') AS v, current_setting('server_version_num') AS n`)).rows[0]!;
  const settings = await c.query<{ name: string; setting: string; unit: string | null; value: string }>(
    `SELECT ${SQL_MARK} name, setting, unit, current_setting(name) AS value FROM pg_settings WHERE name = ANY($1)`,
    [Object.keys(PARITY_SETTINGS)],
  );
  const extensions = await c.query<{ name: string; version: string }>(`SELECT ${SQL_MARK} extname AS name, extversion AS version FROM pg_extension`);
  const indexes = await c.query<{ table: string; name: string; unique: boolean; definition: string }>(
    `SELECT ${SQL_MARK} n.nspname || '.' || t.relname AS table, i.relname AS name, x.indisunique AS unique, pg_get_indexdef(x.indexrelid) AS definition
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND NOT t.relispartition AND t.relname <> 'pressure_ledger'`,
  );
  const tables = await c.query<{ name: string; rows: number; bytes: number }>(
    `SELECT ${SQL_MARK} rn.nspname || '.' || r.relname AS name,
            sum(CASE WHEN t.reltuples >= 0 THEN t.reltuples ELSE coalesce(s.n_live_tup, 0) END)::float8 AS rows,
            sum(pg_total_relation_size(t.oid))::float8 AS bytes
       FROM pg_class t
       JOIN pg_class r ON r.oid = pg_partition_root(t.oid) OR (pg_partition_root(t.oid) IS NULL AND r.oid = t.oid)
       JOIN pg_namespace rn ON rn.oid = r.relnamespace
       LEFT JOIN pg_stat_user_tables s ON s.relid = t.oid
      WHERE t.relkind = 'r' AND rn.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND r.relname <> 'pressure_ledger'
      GROUP BY 1`,
  );
  const sessions = await c.query<{ app: string; n: number }>(
    `SELECT ${SQL_MARK} coalesce(nullif(application_name, ''), '(unnamed)') AS app, count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid() GROUP BY 1`,
  );
  return {
    url: redactUrl(url),
    version: version.v,
    versionNum: Number(version.n),
    settings: Object.fromEntries(settings.rows.map((r) => [r.name, { value: r.value, unit: r.unit, setting: r.setting }])),
    extensions: Object.fromEntries(extensions.rows.map((r) => [r.name, r.version])),
    indexes: indexes.rows.map((r) => ({ table: r.table, name: r.name, unique: r.unique, shape: indexShape(r.definition) })),
    tables: Object.fromEntries(tables.rows.map((r) => [r.name, { rows: Math.round(r.rows), bytes: r.bytes }])),
    sessions: Object.fromEntries(sessions.rows.map((r) => [r.app, r.n])),
  };
}

/**
 * What an index indexes, without its name: `CREATE UNIQUE INDEX items_pkey ON public.items USING
 * btree (id)` → `btree (id)`. Two databases name one index differently (made by hand, by an ORM,
 * by a migration tool); what it serves is what a plan sees.
 */
export function indexShape(definition: string): string {
  return definition.replace(/^CREATE (UNIQUE )?INDEX \S+ ON (ONLY )?\S+ USING /i, '').trim();
}

export type ParityFinding = {
  kind: 'version' | 'setting' | 'extension' | 'index' | 'table' | 'sessions' | 'pool';
  subject: string;
  test: string;
  production: string;
  why: string;
};

/** The value of a memory or cost setting in its base unit, to compare 128MB with 131072kB. */
const scaled = (s: Setting): number | null => {
  const n = Number(s.setting);
  if (!Number.isFinite(n)) return null;
  const unit = { '8kB': 8192, kB: 1024, MB: 1024 ** 2, B: 1, ms: 1, s: 1000, min: 60_000 }[s.unit ?? ''] ?? 1;
  return n * unit;
};

/** A size's order of magnitude: 50,000 rows and 80,000 are alike; 50,000 and 12,000,000 are not. */
const magnitude = (rows: number) => (rows < 1 ? 0 : Math.floor(Math.log10(rows)) + 1);
const count = (n: number) => Math.round(n).toLocaleString('en-US');
const ratio = (a: number, b: number) => (a === 0 || b === 0 ? '' : a >= b ? ` (×${(a / b).toFixed(a / b >= 10 ? 0 : 1)} more here)` : ` (×${(b / a).toFixed(b / a >= 10 ? 0 : 1)} fewer here)`);

/**
 * What differs between the test database and production, each with why it matters for latency.
 * Tables production has and the test lacks are named (the suite seeds none); tables only the test
 * has are left out (the harness's own, a run's scratch).
 */
export function parityOf(test: DatabaseProfile, production: DatabaseProfile): ParityFinding[] {
  const out: ParityFinding[] = [];
  const major = (n: number) => Math.floor(n / 10_000);
  if (major(test.versionNum) !== major(production.versionNum))
    out.push({ kind: 'version', subject: 'PostgreSQL', test: test.version, production: production.version, why: 'the planner, its statistics and its executor change between major versions' });
  for (const [name, why] of Object.entries(PARITY_SETTINGS)) {
    const [t, p] = [test.settings[name], production.settings[name]];
    if (!t || !p) continue;
    const [a, b] = [scaled(t), scaled(p)];
    const same = a !== null && b !== null && t.unit !== null ? a === b : t.value === p.value;
    if (!same) out.push({ kind: 'setting', subject: name, test: t.value || '(empty)', production: p.value || '(empty)', why });
  }
  for (const [name, v] of Object.entries(production.extensions))
    if (!(name in test.extensions))
      out.push({ kind: 'extension', subject: name, test: 'absent', production: v, why: 'production has it installed: a query or an index that needs it behaves otherwise here' });
    else if (test.extensions[name] !== v) out.push({ kind: 'extension', subject: name, test: test.extensions[name]!, production: v, why: 'another version of the extension' });
  for (const name of Object.keys(test.extensions))
    if (!(name in production.extensions)) out.push({ kind: 'extension', subject: name, test: test.extensions[name]!, production: 'absent', why: 'only the test database has it' });
  // Indexes per table both databases have: by what they index, not by name.
  const shared = Object.keys(production.tables).filter((t) => t in test.tables);
  const key = (i: IndexShape) => `${i.unique ? 'unique ' : ''}${i.shape}`;
  for (const table of shared) {
    const [ti, pi] = [test.indexes.filter((i) => i.table === table), production.indexes.filter((i) => i.table === table)];
    const [tk, pk] = [new Set(ti.map(key)), new Set(pi.map(key))];
    for (const i of pi)
      if (!tk.has(key(i)))
        out.push({
          kind: 'index',
          subject: `${table} ${key(i)}`,
          test: 'absent',
          production: i.name,
          why: 'production reads this table through an index the test database lacks: plans here scan where production seeks',
        });
    for (const i of ti)
      if (!pk.has(key(i)))
        out.push({ kind: 'index', subject: `${table} ${key(i)}`, test: i.name, production: 'absent', why: 'an index only the test database has: a query fast here may scan in production' });
  }
  for (const table of Object.keys(production.tables).sort()) {
    const [t, p] = [test.tables[table], production.tables[table]!];
    if (!t) {
      out.push({ kind: 'table', subject: table, test: 'absent', production: `${count(p.rows)} rows`, why: 'a table production holds and the test database does not' });
      continue;
    }
    if (magnitude(t.rows) !== magnitude(p.rows))
      out.push({
        kind: 'table',
        subject: table,
        test: `${count(t.rows)} rows`,
        production: `${count(p.rows)} rows${ratio(t.rows, p.rows)}`,
        why: 'another order of magnitude: the planner chooses scans and joins by table size, and a cache holds a small table whole',
      });
  }
  const [ts, ps] = [Object.values(test.sessions).reduce((a, b) => a + b, 0), Object.values(production.sessions).reduce((a, b) => a + b, 0)];
  if (magnitude(ts) !== magnitude(ps))
    out.push({
      kind: 'sessions',
      subject: 'client sessions now',
      test: String(ts),
      production: ps
        ? `${ps} (${Object.entries(production.sessions)
            .sort((a, b) => b[1] - a[1])
            .slice(0, 5)
            .map(([app, n]) => `${app} ${n}`)
            .join(', ')})`
        : '0',
      why: "production's pools hold this many sessions: locks, memory and the connection ceiling are shared among them",
    });
  return out;
}

/** A gauge that says how big a backend's connection pool may grow (pg-pool, HikariCP, SQLAlchemy, …). */
const POOL_SIZE = /pool.*(max|size|limit|capacity)|(max|size|limit|capacity).*pool|hikaricp_connections_max/;

/**
 * The pools the two backends report in their Prometheus text (gauges of their configured size):
 * a test backend with a pool of 10 where production's holds 50 queues under a load production
 * serves at once, and the reverse hides a queue production has. Null on a side: its text could not
 * be read, and nothing is compared.
 */
export function poolParity(test: Record<string, number> | null, production: Record<string, number> | null): ParityFinding[] {
  if (!test || !production) return [];
  const why = "the backend's pool: how many queries run at once, and where the rest wait";
  return Object.keys(production)
    .filter((name) => POOL_SIZE.test(name))
    .sort()
    .flatMap((name): ParityFinding[] =>
      test[name] === undefined
        ? [{ kind: 'pool', subject: name, test: 'not reported', production: String(production[name]), why }]
        : test[name] !== production[name]
          ? [{ kind: 'pool', subject: name, test: String(test[name]), production: String(production[name]), why }]
          : [],
    );
}

/** The findings as text, grouped by kind, or one line saying the two are alike. */
export function formatParity(test: DatabaseProfile, production: DatabaseProfile, findings: ParityFinding[]): string {
  const lines = [`parity: ${test.url} (PostgreSQL ${test.version}) against production ${production.url} (PostgreSQL ${production.version})`];
  if (!findings.length) return [...lines, 'alike in everything compared: version, settings, extensions, indexes, table sizes, sessions'].join('\n');
  for (const kind of ['version', 'setting', 'extension', 'index', 'table', 'sessions', 'pool'] as const) {
    const of = findings.filter((f) => f.kind === kind);
    if (!of.length) continue;
    lines.push('', `${kind === 'index' ? 'indexes' : kind === 'sessions' ? 'sessions' : kind === 'pool' ? "the backends' pools" : `${kind}s`} (${of.length}):`);
    for (const f of of) lines.push(`  ${f.subject}: here ${f.test}, production ${f.production}: ${f.why}`);
  }
  lines.push('', `${findings.length} difference${findings.length > 1 ? 's' : ''}`);
  return lines.join('\n');
}
