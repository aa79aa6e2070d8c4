/**
 * The SQL seeding adapter: a declared domain (seed/domain.ts) written straight into
 * PostgreSQL through DATABASE_URL, for any backend's schema.
 *
 * Schema-aware: each entity names its table; the adapter reads the table's key (a sequence, a
 * uuid with or without a default, a natural key the mapping names, the parent's key, or a
 * composite key a join table has) and the foreign key to the parent's table from the catalog, so
 * a suite maps fields to columns and nothing else. A table with several foreign keys to its
 * parent's table names the one that holds the parent (`parentColumn`); the others are fields
 * that pick a row.
 *
 * Fast: the plan cuts the dataset into chunks of root rows with everything below them; chunks
 * are generated on worker threads (`generator`: the module the domain comes from) into COPY
 * text, while earlier chunks are written. Keys are known without a round trip (sql-chunk.ts).
 * Root rows are written first, in one transaction; then each chunk's rows below them in a
 * transaction of its own, on `writers` connections side by side: a row's parent is in its own
 * transaction or already committed, so foreign keys hold at every commit. A seed that fails
 * removes what it committed (the run's cleanup) before it reports: all or nothing.
 *
 * Tagged by run: a table with the contract's run columns (test_run_id, expires_at) gets them on
 * every row; for any other root table the row's key goes into a ledger table (pressure_ledger)
 * with the run and the expiry, and the rows below a root are found through the foreign keys.
 * Cleanup deletes a run's rows children first, including rows the tests hung under them, and the
 * leak proof counts what is left. Every table written is analyzed after the seed, so that the
 * run is planned on its real sizes.
 */
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createHash, randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { EXPIRY_COLUMN, RUN_COLUMN } from '../contract/protocol.js';
import type { RunResources } from '../lifecycle/run.js';
import { ident, SQL_MARK, tableIdent, withClient } from '../pg/url.js';
import { type Domain, type GeneratedRow, planDomain } from './domain.js';
import { type ChunkConfig, type ChunkOut, type ChunkTask, chunkWriter, columnsOf, type Keep, type KeptRow, type KeySpec, type TableSpec, type WorkerSetup } from './sql-chunk.js';
import { seedProgress } from './progress.js';
import { bundle, generatorPool, resolveTsx } from './workers.js';

export type { Keep, KeptRow } from './sql-chunk.js';

/**
 * Per entity: its table; the columns its fields go to (by default the field's own name); for a
 * table keyed by a natural key (a username, a slug, a code), the field whose value is the key;
 * for a table with several foreign keys to its parent's table, the column that holds the parent.
 */
export type SqlMapping = Record<string, { table: string; columns?: Record<string, string>; key?: string; parentColumn?: string }>;

/** What the catalog says of an entity's table, beside what a COPY needs (TableSpec). */
type TableInfo = TableSpec & { pkType?: string; parentType?: string; sequence?: string };

export const LEDGER = 'pressure_ledger';
const LEDGER_DDL = `CREATE ${SQL_MARK} TABLE IF NOT EXISTS ${LEDGER} (
  run_id text NOT NULL, table_name text NOT NULL, key text NOT NULL, expires_at timestamptz NOT NULL,
  PRIMARY KEY (run_id, table_name, key))`;

/**
 * The catalog's answer for each entity's table; a mapping that does not fit the schema is refused
 * with every problem at once. `absentOk`: tables that do not exist yet (a backend that makes its
 * schema later) are left out instead, with every entity below them: no row of theirs can exist.
 */
async function inspect(c: pg.Client, domain: Domain, mapping: SqlMapping, absentOk = false): Promise<Map<string, TableInfo>> {
  const problems: string[] = [];
  const info = new Map<string, TableInfo>();
  const hasChildren = new Set(domain.order.map((e) => domain.entities[e]!.parent).filter(Boolean));
  for (const entity of domain.order) {
    const m = mapping[entity];
    const decl = domain.entities[entity]!;
    if (!m) {
      problems.push(`${entity}: no table mapped; add { ${entity}: { table: '…' } }`);
      continue;
    }
    const cols = await c.query<{ name: string; def: string | null; type: string }>(
      `SELECT ${SQL_MARK} a.attname AS name, pg_get_expr(d.adbin, d.adrelid) AS def, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped`,
      [m.table],
    );
    if (!cols.rows.length) {
      if (!absentOk) problems.push(`${entity}: table "${m.table}" does not exist`);
      continue;
    }
    if (decl.parent && !info.has(decl.parent) && absentOk) continue;
    const typeOf = (col: string) => cols.rows.find((r) => r.name === col)?.type;
    const pk = await c.query<{ name: string }>(
      `SELECT ${SQL_MARK} a.attname AS name FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indrelid = to_regclass($1) AND i.indisprimary`,
      [m.table],
    );
    const columns = new Set(cols.rows.map((r) => r.name));
    const runTagged = columns.has(RUN_COLUMN) && columns.has(EXPIRY_COLUMN);
    // A key beside the run column ((id, test_run_id): a backend keying its rows per run) is the key alone: the adapter writes the run column itself.
    if (runTagged && pk.rows.length === 2 && pk.rows.some((r) => r.name === RUN_COLUMN)) pk.rows = pk.rows.filter((r) => r.name !== RUN_COLUMN);

    // The column that holds the parent: the one foreign key to the parent's table, or the one named.
    let parentColumn: string | undefined;
    if (decl.parent) {
      const parentTable = mapping[decl.parent]?.table;
      // Declared on the table, or on its partitions only (one set per run, each referencing its
      // parent's partition): the same relation. Beside the run column, a key is its first column.
      const fks = await c.query<{ col: string }>(
        `SELECT ${SQL_MARK} a.attname AS col FROM pg_constraint k JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
          WHERE k.contype = 'f' AND coalesce(pg_partition_root(k.conrelid), k.conrelid) = to_regclass($1) AND coalesce(pg_partition_root(k.confrelid), k.confrelid) = to_regclass($2)
            AND (array_length(k.conkey, 1) = 1 OR (array_length(k.conkey, 1) = 2 AND (SELECT attname FROM pg_attribute WHERE attrelid = k.conrelid AND attnum = k.conkey[2]) = $3))
          GROUP BY a.attname ORDER BY min(a.attnum)`,
        [m.table, parentTable ?? '', RUN_COLUMN],
      );
      const found = fks.rows.map((r) => r.col);
      if (m.parentColumn) {
        if (!found.includes(m.parentColumn))
          problems.push(`${entity}: parentColumn "${m.parentColumn}" is not a foreign key of "${m.table}" to "${parentTable}"; its foreign keys there: ${found.join(', ') || 'none'}`);
        else parentColumn = m.parentColumn;
      } else if (found.length === 1) parentColumn = found[0];
      else if (found.length > 1)
        problems.push(
          `${entity}: "${m.table}" has ${found.length} foreign keys to "${parentTable}" (${found.join(', ')}); name the one that holds the parent: { ${entity}: { table: '${m.table}', parentColumn: '${found[0]}' } }, and pick the others in fields`,
        );
      else problems.push(`${entity}: "${m.table}" needs a foreign key to "${parentTable}" (its parent ${decl.parent}'s table), has none`);
    }

    // The adapter makes every key itself: a sequence's next values, a uuid whatever the column's
    // default (none is fine), the natural key's field, or the parent's key for a one-to-one table.
    let key: KeySpec | undefined;
    let pkName: string | undefined;
    let sequence: string | undefined;
    if (pk.rows.length === 1) {
      pkName = pk.rows[0]!.name;
      const pkType = typeOf(pkName);
      const def = cols.rows.find((r) => r.name === pkName)?.def ?? '';
      sequence = (await c.query<{ seq: string | null }>(`SELECT ${SQL_MARK} pg_get_serial_sequence($1, $2) AS seq`, [m.table, pkName])).rows[0]?.seq ?? undefined;
      if (m.key) {
        if (!(m.key in decl.fields)) problems.push(`${entity}: key '${m.key}' is not a field of ${entity}; its fields: ${Object.keys(decl.fields).join(', ')}`);
        key = { kind: 'natural', field: m.key };
      } else if (pkName === parentColumn) key = { kind: 'parent' };
      else if (sequence) key = { kind: 'sequence', ranges: [] };
      else if (pkType === 'uuid' || /gen_random_uuid|uuid_generate/.test(def)) key = { kind: 'uuid' };
      else
        problems.push(
          `${entity}: the key ${m.table}.${pkName} (${pkType ?? '?'}, default ${def || 'none'}) is neither a sequence nor a uuid: name the field that holds it, { ${entity}: { table: '${m.table}', key: '<field>' } }`,
        );
    } else if (!decl.parent || hasChildren.has(entity)) {
      // Rows without a single-column key cannot be pointed at: fine for a join table's rows, which nothing refers to.
      problems.push(
        `${entity}: table "${m.table}" has ${pk.rows.length ? `a key of ${pk.rows.length} columns (${pk.rows.map((r) => r.name).join(', ')})` : 'no primary key'}; a ${decl.parent ? 'parent' : 'root'} entity needs a single-column key that its rows are found by`,
      );
    } else key = { kind: 'none' };

    const fields: { field: string; column: string }[] = [];
    for (const field of Object.keys(decl.fields)) {
      const col = m.columns?.[field] ?? field;
      if (!columns.has(col)) problems.push(`${entity}.${field}: no column "${col}" in ${m.table}; map it with columns: { ${field}: '<column>' }`);
      // A natural key's field is the key column: written once, as the key.
      else if (col !== pkName && col !== parentColumn) fields.push({ field, column: col });
    }
    info.set(entity, {
      table: m.table,
      key: key ?? { kind: 'none' },
      ...(pkName && { pk: pkName, pkType: typeOf(pkName) }),
      ...(parentColumn && { parentColumn, parentType: typeOf(parentColumn) }),
      ...(sequence && { sequence }),
      fields,
      runTagged,
    });
  }
  if (problems.length) throw new Error(`SQL seeding: the domain does not fit the schema (${problems.length} problem${problems.length === 1 ? '' : 's'})\n  - ${problems.join('\n  - ')}`);
  return info;
}

/**
 * A table partitioned by the contract's run column (LIST (test_run_id): a backend that keeps each
 * run's rows apart and drops them whole) takes a run's rows only into a partition for that run.
 * `create` makes one per such table, <table>_pr_<hash of the run>, unless a partition for the run
 * exists already (the backend's own: PostgreSQL refuses the overlap, 42P17); `drop` removes the
 * run's (runId null: every one of them left empty, as a reap finds them). Partitions the backend
 * made are never dropped here.
 */
async function runPartitions(c: pg.Client, info: Map<string, TableInfo>, runId: string | null, action: 'create' | 'drop'): Promise<void> {
  const suffix = runId === null ? null : `_pr_${createHash('sha256').update(runId).digest('hex').slice(0, 12)}`;
  for (const t of new Set([...info.values()].filter((x) => x.runTagged).map((x) => x.table))) {
    const { rows } = await c.query<{ schema: string; name: string; col: string | null; strat: string }>(
      `SELECT ${SQL_MARK} n.nspname AS schema, r.relname AS name, p.partstrat AS strat,
              (SELECT attname FROM pg_attribute WHERE attrelid = p.partrelid AND attnum = p.partattrs[0]) AS col
         FROM pg_partitioned_table p JOIN pg_class r ON r.oid = p.partrelid JOIN pg_namespace n ON n.oid = r.relnamespace
        WHERE p.partrelid = to_regclass($1)`,
      [t],
    );
    const part = rows[0];
    if (!part || part.strat !== 'l' || part.col !== RUN_COLUMN) continue;
    const stem = `${part.name.slice(0, 44)}_pr_`;
    if (action === 'create') {
      try {
        await c.query(
          `CREATE ${SQL_MARK} TABLE IF NOT EXISTS ${ident(part.schema)}.${ident(stem + suffix!.slice(4))} PARTITION OF ${tableIdent(`${part.schema}.${part.name}`)} FOR VALUES IN (${pg.escapeLiteral(runId!)})`,
        );
      } catch (e) {
        if ((e as { code?: string }).code !== '42P17') throw e;
      }
      continue;
    }
    const { rows: mine } = await c.query<{ name: string }>(
      `SELECT ${SQL_MARK} k.relname AS name FROM pg_inherits i JOIN pg_class k ON k.oid = i.inhrelid WHERE i.inhparent = to_regclass($1) AND k.relname LIKE $2`,
      [`${part.schema}.${part.name}`, suffix ? stem.replace(/_/g, '\\_') + suffix.slice(4) : `${stem.replace(/_/g, '\\_')}%`],
    );
    for (const { name } of mine) {
      const p = `${ident(part.schema)}.${ident(name)}`;
      if (runId === null && (await c.query(`SELECT ${SQL_MARK} 1 FROM ${p} LIMIT 1`)).rowCount) continue;
      await c.query(`DROP ${SQL_MARK} TABLE IF EXISTS ${p}`);
    }
  }
}

/**
 * `count` keys of a sequence, as ranges: one nextval per key in one statement, so that another
 * session's nextval in between is never reused; consecutive values fold into one range.
 */
async function reserveKeys(c: pg.Client, sequence: string, count: number): Promise<[string, number][]> {
  if (!count) return [];
  const { rows } = await c.query<{ first: string; n: number }>(
    `SELECT ${SQL_MARK} min(v)::text AS first, count(*)::int AS n FROM (SELECT v, v - row_number() OVER (ORDER BY v) AS grp FROM (SELECT nextval($1) AS v FROM generate_series(1, $2)) s) g GROUP BY grp ORDER BY min(v)`,
    [sequence, count],
  );
  return rows.map((r) => [r.first, r.n]);
}

/** `keys`: the kept rows' keys by path; `generated`: the kept rows as the domain made them (values, tier). */
export type SqlSeedResult = { rows: Record<string, number>; seconds: number; rowsPerSec: number; keys: Map<string, string>; generated: GeneratedRow[] };

export type SqlSeedOptions = {
  databaseUrl: string;
  domain: Domain;
  mapping: SqlMapping;
  seed: string;
  runId: string;
  ttlSeconds: number;
  /** Refuse a plan larger than this, within a second, before writing anything. */
  maxRows?: number;
  /**
   * The rows handed back with their keys (what the tests use: users and a few of their articles):
   * per entity 'all', or the first n per parent; entities not named are not kept. Default: every
   * row, which suits small datasets; name what you need for large ones.
   */
  keep?: Keep;
  /**
   * Generate on worker threads: the module the domain comes from (import.meta.url-relative,
   * TypeScript allowed) and its export, a domain or a function of `args` that returns one (the
   * same one as `domain`). Without it, chunks are generated on the calling thread.
   */
  generator?: { module: URL; export: string; args?: unknown[]; threads?: number };
  /** Connections writing chunks side by side. Default 2. */
  writers?: number;
  /** Rows per chunk (a chunk ends at a root row's subtree). Default 20,000. */
  chunkRows?: number;
};

/** Seeds the whole domain; returns the kept rows and their keys by path (what tests and perf scenarios use). */
export async function seedSql(o: SqlSeedOptions): Promise<SqlSeedResult> {
  const plan = planDomain(o.domain, o.seed, { chunkRows: o.chunkRows ?? 20_000 });
  if (o.maxRows !== undefined && plan.total > o.maxRows) {
    throw new Error(
      `SQL seeding: the plan has ${plan.total} rows (${Object.entries(plan.rows)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}), over the limit of ${o.maxRows}; lower the domain's counts or raise the limit`,
    );
  }
  const writers = o.writers ?? 2;
  if (!Number.isInteger(writers) || writers < 1 || writers > 16) throw new Error(`SQL seeding: writers must be a whole number from 1 to 16, got ${writers}`);
  const expires = new Date(Date.now() + o.ttlSeconds * 1000).toISOString();
  const progress = seedProgress(`seed sql ${o.runId}`, plan.total);
  const connect = async () => {
    const c = new pg.Client({ connectionString: o.databaseUrl, application_name: 'pressure-harness', connectionTimeoutMillis: 10_000 });
    await c.connect();
    return c;
  };
  const main = await connect();
  const pool: pg.Client[] = [];
  let gen: Awaited<ReturnType<typeof chunkSource>> | undefined;
  let wrote = false;
  try {
    const info = await inspect(main, o.domain, o.mapping);
    await main.query(LEDGER_DDL);
    wrote = true; // from here on a failure cleans up: a partition made for the run is the run's
    await runPartitions(main, info, o.runId, 'create');
    for (const [entity, t] of info) if (t.key.kind === 'sequence') t.key = { kind: 'sequence', ranges: await reserveKeys(main, t.sequence!, plan.rows[entity] ?? 0) };
    const tables = Object.fromEntries(info);
    gen = await chunkSource(o, { seed: o.seed, runId: o.runId, expires, tables, ...(o.keep && { keep: o.keep }) });

    // Each chunk's first key per entity: the rows of the chunks before it.
    const offsets: Record<string, number>[] = [];
    const sum: Record<string, number> = {};
    for (const ch of plan.chunks) {
      offsets.push({ ...sum });
      for (const [e, n] of Object.entries(ch.rows)) sum[e] = (sum[e] ?? 0) + n;
    }
    const task = (i: number, part: 'roots' | 'below'): ChunkTask => ({ root: plan.chunks[i]!.root, from: plan.chunks[i]!.from, to: plan.chunks[i]!.to, part, offsets: offsets[i]! });
    const kept: KeptRow[] = [];
    const rows: Record<string, number> = {};
    const tally = (out: ChunkOut, entities: string[]) => {
      kept.push(...out.kept);
      for (const e of entities) rows[e] = (rows[e] ?? 0) + (out.rows[e] ?? 0);
      progress.add(entities.reduce((a, e) => a + (out.rows[e] ?? 0), 0));
    };
    const below = o.domain.order.filter((e) => o.domain.entities[e]!.parent);
    const rootsOf = o.domain.order.filter((e) => !o.domain.entities[e]!.parent);

    // 1. Root rows, every root entity in one transaction: what every chunk below refers to.
    wrote = true;
    await main.query('BEGIN');
    for (const root of rootsOf) {
      const t = info.get(root)!;
      const chunks = plan.chunks.map((ch, i) => [ch, i] as const).filter(([ch]) => ch.root === root);
      const outs = ordered(
        chunks.map(
          ([, i]) =>
            () =>
              gen!.run(task(i, 'roots')),
        ),
        gen.window,
      );
      const ledger: string[] = [];
      await pipeline(
        Readable.from(
          (async function* () {
            for await (const out of outs) {
              tally(out, [root]);
              ledger.push(...out.rootKeys);
              if (out.copy[root]) yield out.copy[root];
            }
          })(),
        ),
        main.query(copyFrom(`COPY ${SQL_MARK} ${tableIdent(t.table)} (${columnsOf(t).map(ident).join(', ')}) FROM STDIN`)),
      );
      if (!t.runTagged && ledger.length) {
        await main.query(`INSERT ${SQL_MARK} INTO ${LEDGER} (run_id, table_name, key, expires_at) SELECT $1, $2, k, $3 FROM unnest($4::text[]) AS k ON CONFLICT DO NOTHING`, [
          o.runId,
          t.table,
          expires,
          ledger,
        ]);
      }
    }
    await main.query('COMMIT');

    // 2. The rows below, chunk by chunk: each chunk a transaction of its own, `writers` at once.
    if (below.length) {
      for (let i = 0; i < writers; i++) pool.push(await connect());
      const todo = plan.chunks.map((ch, i) => i).filter((i) => below.some((e) => plan.chunks[i]!.rows[e]));
      const outs = ordered(
        todo.map((i) => () => gen!.run(task(i, 'below'))),
        gen.window + writers,
      );
      const iterator = outs[Symbol.asyncIterator]();
      await Promise.all(
        pool.map(async (c) => {
          for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
            const out = next.value;
            await c.query('BEGIN');
            for (const e of below) {
              if (!out.copy[e]) continue;
              const t = info.get(e)!;
              await pipeline(Readable.from([out.copy[e]]), c.query(copyFrom(`COPY ${SQL_MARK} ${tableIdent(t.table)} (${columnsOf(t).map(ident).join(', ')}) FROM STDIN`)));
            }
            await c.query('COMMIT');
            tally(out, below);
          }
        }),
      );
    }
    for (const [e, n] of Object.entries(plan.rows)) {
      if ((rows[e] ?? 0) !== n)
        throw new Error(
          `SQL seeding: ${e} has ${rows[e] ?? 0} rows written against ${n} planned: the generator's domain (${o.generator ? `${o.generator.module.href}#${o.generator.export}` : 'inline'}) is not the domain given`,
        );
    }
    // Fresh statistics for what was written: the planner otherwise plans the run's queries with
    // the row counts it saw before the seed (a table of 420 rows that now holds 85,000), and a
    // sequential scan it picks then says nothing about a missing index.
    for (const entity of o.domain.order) if (rows[entity]) await main.query(`ANALYZE ${SQL_MARK} ${tableIdent(info.get(entity)!.table)}`);
    const done = progress.done();
    return {
      rows,
      seconds: done.seconds,
      rowsPerSec: done.rowsPerSec,
      keys: new Map(kept.filter((r) => r.key !== null).map((r) => [r.path, r.key!])),
      generated: kept.map(({ key: _key, ...r }) => r),
    };
  } catch (e) {
    // All or nothing: what earlier transactions committed goes, as the run's cleanup removes it.
    for (const c of [main, ...pool]) await c.query('ROLLBACK').catch(() => {});
    if (wrote) {
      await sqlResources({ databaseUrl: o.databaseUrl, domain: o.domain, mapping: o.mapping })
        .cleanup(o.runId)
        .catch((err: Error) => {
          (e as Error).message += `\n(and removing what the seed had written failed too: ${err.message}; the run's cleanup or the reaper will retry)`;
        });
    }
    throw e;
  } finally {
    await gen?.close();
    await Promise.all([main, ...pool].map((c) => c.end().catch(() => {})));
  }
}

/**
 * Results of `jobs` in their order, at most `window` started ahead of the one consumed: chunks
 * are generated while earlier ones are written, and memory holds a few chunks, not the dataset.
 */
async function* ordered<T>(jobs: (() => Promise<T>)[], window: number): AsyncGenerator<T> {
  const started: Promise<T>[] = [];
  let next = 0;
  const fill = () => {
    while (next < jobs.length && started.length < window) {
      const p = jobs[next++]!();
      p.catch(() => {}); // awaited in order below; a later failure must not go unhandled meanwhile
      started.push(p);
    }
  };
  fill();
  while (started.length) {
    const p = started.shift()!;
    fill();
    yield await p;
  }
}

/** Where chunks are made: a worker pool on the suite's domain module, or the calling thread. */
async function chunkSource(o: SqlSeedOptions, cfg: ChunkConfig): Promise<{ run(task: ChunkTask): Promise<ChunkOut>; close(): Promise<void>; window: number }> {
  if (!o.generator || o.generator.threads === 0) {
    const write = chunkWriter(o.domain, cfg);
    // Yields to the event loop between chunks, so that the writers' COPYs go on meanwhile.
    return {
      run: (t) =>
        new Promise((resolve, reject) =>
          setImmediate(() => {
            try {
              resolve(write(t));
            } catch (e) {
              reject(e as Error);
            }
          }),
        ),
      close: async () => {},
      window: 2,
    };
  }
  const g = o.generator;
  const code = await bundle(g.module);
  const file = code === null ? null : path.join(tmpdir(), `seed-domain-${process.pid}-${randomUUID()}.mjs`);
  if (file) await writeFile(file, code!);
  const setup: WorkerSetup = {
    ...cfg,
    module: file ? pathToFileURL(file).href : g.module.href,
    export: g.export,
    args: g.args ?? [],
    tsx: file === null && g.module.pathname.endsWith('.ts') ? resolveTsx() : null,
  };
  const pool = generatorPool<ChunkTask, ChunkOut>({
    module: new URL('./sql-chunk.js', import.meta.url),
    exportName: 'sqlChunk',
    ...(g.threads !== undefined && { threads: g.threads }),
    warm: { exportName: 'warmSqlChunk', arg: setup },
  });
  return {
    run: (t) => pool.run(t),
    close: async () => {
      await pool.close();
      if (file) await rm(file, { force: true });
    },
    window: pool.threads * 2,
  };
}

/**
 * Cleanup and leak proof for rows seeded through SQL (or recorded in the ledger by the API
 * adapter): children first, and with them any row the tests hung under a doomed parent.
 */
type Which = { runId: string } | { expired: true };

export function sqlResources(o: {
  databaseUrl: string;
  domain: Domain;
  mapping: SqlMapping;
}): RunResources & { recordKeys(runId: string, entity: string, keys: string[], expiresAt: string): Promise<void> } {
  /**
   * The keys to delete per entity (the run's, or every expired run's, rows and every row below
   * one of them), and for tables without a key, the count of rows under a doomed parent.
   */
  let ledgerMade = false;
  const doomed = async (c: pg.Client, info: Map<string, TableInfo>, which: Which) => {
    const keys = new Map<string, string[]>();
    const keyless = new Map<string, number>();
    for (const entity of o.domain.order) {
      const t = info.get(entity);
      if (!t) continue; // no table yet, so no rows
      const parent = o.domain.entities[entity]!.parent;
      if (!t.pk || t.key.kind === 'none') {
        // Rows without a key (a join table's): those under a doomed parent, and the run's if tagged.
        const params: unknown[] = [keys.get(parent!) ?? []];
        const tagged = t.runTagged ? ('runId' in which ? (params.push(which.runId), `${ident(RUN_COLUMN)} = $2`) : `${ident(EXPIRY_COLUMN)} < now()`) : 'false';
        const { rows } = await c.query<{ n: number }>(
          `SELECT ${SQL_MARK} count(*)::int AS n FROM ${tableIdent(t.table)} WHERE ${ident(t.parentColumn!)} = ANY($1::text[]::${t.parentType}[]) OR ${tagged}`,
          params,
        );
        keyless.set(entity, rows[0]!.n);
        continue;
      }
      const params: unknown[] = [t.table, parent ? (keys.get(parent) ?? []) : []];
      const byRun = 'runId' in which ? (params.push(which.runId), `= $${params.length}`) : null;
      const tagged = t.runTagged ? `${byRun ? `${ident(RUN_COLUMN)} ${byRun}` : `${ident(EXPIRY_COLUMN)} < now()`}` : 'false';
      // Cast to the column's own type, so that its index finds the children.
      const under = t.parentColumn ? `${ident(t.parentColumn)} = ANY($2::text[]::${t.parentType}[])` : '$2::text[] IS NULL';
      // The ledger compares as text: an API adapter may have recorded the API's own key (a slug).
      const ledger = byRun ? `run_id ${byRun}` : 'expires_at < now()';
      const { rows } = await c.query<{ k: string }>(
        `SELECT ${SQL_MARK} ${ident(t.pk)}::text AS k FROM ${tableIdent(t.table)}
          WHERE ${ident(t.pk)}::text IN (SELECT key FROM ${LEDGER} WHERE table_name = $1 AND ${ledger}) OR ${tagged} OR ${under}`,
        params,
      );
      keys.set(
        entity,
        rows.map((r) => r.k),
      );
    }
    return { keys, keyless };
  };
  const remove = (which: Which): Promise<number> =>
    withClient(o.databaseUrl, async (c) => {
      await c.query(LEDGER_DDL);
      const info = await inspect(c, o.domain, o.mapping, true);
      await c.query('BEGIN');
      try {
        const { keys } = await doomed(c, info, which);
        let n = 0;
        for (const entity of [...o.domain.order].reverse()) {
          const t = info.get(entity);
          if (!t) continue;
          const parent = o.domain.entities[entity]!.parent;
          if (!t.pk || t.key.kind === 'none') {
            const params: unknown[] = [parent ? (keys.get(parent) ?? []) : []];
            const tagged = t.runTagged ? ('runId' in which ? (params.push(which.runId), `${ident(RUN_COLUMN)} = $2`) : `${ident(EXPIRY_COLUMN)} < now()`) : 'false';
            n += (await c.query(`DELETE ${SQL_MARK} FROM ${tableIdent(t.table)} WHERE ${ident(t.parentColumn!)} = ANY($1::text[]::${t.parentType}[]) OR ${tagged}`, params)).rowCount ?? 0;
            continue;
          }
          n += (await c.query(`DELETE ${SQL_MARK} FROM ${tableIdent(t.table)} WHERE ${ident(t.pk)} = ANY($1::text[]::${t.pkType}[])`, [keys.get(entity) ?? []])).rowCount ?? 0;
        }
        if ('runId' in which) await c.query(`DELETE ${SQL_MARK} FROM ${LEDGER} WHERE run_id = $1`, [which.runId]);
        else await c.query(`DELETE ${SQL_MARK} FROM ${LEDGER} WHERE expires_at < now()`);
        await c.query('COMMIT');
        // The partitions made for the run (or, reaping, those left empty by expired runs) go with its rows.
        await runPartitions(c, info, 'runId' in which ? which.runId : null, 'drop');
        return n;
      } catch (e) {
        await c.query('ROLLBACK');
        throw new Error(`SQL cleanup of ${'runId' in which ? `run ${which.runId}` : 'expired runs'} failed: ${(e as Error).message}`);
      }
    });
  return {
    name: `SQL ledger (${o.domain.order.join(', ')})`,
    async recordKeys(runId, entity, keys, expiresAt) {
      const table = o.mapping[entity]?.table;
      if (!table || !keys.length) return;
      await withClient(o.databaseUrl, async (c) => {
        // The ledger's DDL once per resources, not once per batch of keys an API seed records.
        if (!ledgerMade) (await c.query(LEDGER_DDL), (ledgerMade = true));
        await c.query(`INSERT ${SQL_MARK} INTO ${LEDGER} (run_id, table_name, key, expires_at) SELECT $1, $2, k, $3 FROM unnest($4::text[]) AS k ON CONFLICT DO NOTHING`, [
          runId,
          table,
          expiresAt,
          keys,
        ]);
      });
    },
    reap: () => remove({ expired: true }),
    cleanup: (runId) => remove({ runId }),
    // Everything the cleanup would delete, counted: the run's roots, the rows below them, and
    // ledger entries that outlived their rows (a cleanup that did not finish).
    remaining: (runId) =>
      withClient(o.databaseUrl, async (c) => {
        await c.query(LEDGER_DDL);
        const info = await inspect(c, o.domain, o.mapping, true);
        const { keys, keyless } = await doomed(c, info, { runId });
        const out: Record<string, number> = {};
        for (const entity of o.domain.order) {
          const n = keys.get(entity)?.length ?? keyless.get(entity) ?? 0;
          if (n) out[info.get(entity)!.table] = (out[info.get(entity)!.table] ?? 0) + n;
        }
        const { rows } = await c.query<{ n: number }>(`SELECT ${SQL_MARK} count(*)::int AS n FROM ${LEDGER} WHERE run_id = $1`, [runId]);
        if (rows[0]!.n) out[LEDGER] = rows[0]!.n;
        return out;
      }),
  };
}
