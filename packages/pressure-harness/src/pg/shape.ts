/**
 * What production's data looks like, read as aggregates only, never a row: the input of
 * `pressure dataset fit` (seed/fit.ts fits the domain's distributions to it).
 *
 * Read, in one read-only transaction with a statement timeout:
 * - from the catalog: tables, their primary keys and single-column foreign keys, and each
 *   table's estimated rows (pg_class.reltuples; an exact count(*) where never analysed);
 * - per foreign key, "how many parents have n children": a histogram, computed by the server with
 *   GROUP BY over the key (parents sampled with TABLESAMPLE SYSTEM … REPEATABLE above
 *   SAMPLE_PARENTS rows), so that no key and no value leaves it;
 * - per column, from pg_stats: the share of nulls, the number of distinct values, the average
 *   width; for enum and boolean columns only, the frequencies of their values (labels of the
 *   schema, not data); for text columns, the 50th and 95th percentiles of their length, and for
 *   timestamps the span in days between the oldest and the newest, both computed by the server.
 */
import type pg from 'pg';
import { RUN_COLUMN } from '../contract/protocol.js';
import { ident, readOnly, redactUrl, SQL_MARK, tableIdent } from './url.js';

/** How many parents have n children: [n, parents] pairs. */
export type CountHistogram = readonly (readonly [number, number])[];

/** Parents above this many are sampled (TABLESAMPLE SYSTEM) to about this many. */
export const SAMPLE_PARENTS = 100_000;

export type ColumnShape = {
  name: string;
  type: string;
  nullable: boolean;
  /** From pg_stats, after ANALYZE: null when the table was never analysed. */
  nullShare: number | null;
  /** Distinct values: a count, or (negative in pg_stats) a share of the rows, turned into a count here. */
  distinct: number | null;
  avgBytes: number | null;
  /** Enum and boolean columns: each value's share. */
  values?: Record<string, number>;
  /** Text columns: the median and 95th percentile of their length in characters. */
  length?: { p50: number; p95: number };
  /** Timestamps: days between the oldest and the newest. */
  spanDays?: number;
};

export type TableShape = { name: string; rows: number; key: string | null; columns: ColumnShape[] };

export type EdgeShape = {
  /** `schema.table` of the child and its column, the parent's and its column. */
  child: string;
  column: string;
  parent: string;
  parentColumn: string;
  histogram: CountHistogram;
  /** The share of the parent table read (1 when not sampled). */
  sampled: number;
};

export type DataShape = { url: string; at: string; tables: TableShape[]; edges: EdgeShape[]; skipped: string[] };

export type ShapeOptions = {
  /** Schemas read (default: every schema but the system's and pressure's). */
  schemas?: string[];
  /** Only these tables (`table` or `schema.table`). */
  tables?: string[];
  /** The statement timeout of each query, in ms (default 60,000): production is not held. */
  timeoutMs?: number;
  /** Tables with more rows than this are sampled to about this many (default SAMPLE_PARENTS). */
  sampleAbove?: number;
};

const SYSTEM = ['pg_catalog', 'information_schema', 'pg_toast', 'pgboss'];

/** Reads the shape of a database (see the file's comment). */
export const readShape = (url: string, o: ShapeOptions = {}): Promise<DataShape> =>
  readOnly(url, (c) => shapeOf(c, url, o), { applicationName: 'pressure-harness dataset fit', timeoutMs: o.timeoutMs ?? 60_000 });

/**
 * A foreign key: the child's column and the parent's. Multi-column ones have `columns` > 1, but
 * for the contract's run column beside a key ((account_id, test_run_id) → (id, test_run_id)): a
 * backend that keys its rows per run relates them by the first column alone.
 */
export type ForeignKey = { child: string; column: string; parent: string; parentColumn: string; columns: number };
export type CatalogTable = { name: string; rows: number; key: string | null };

/**
 * The tables chosen (every one outside the system's schemas and pressure's own, or those named),
 * their rows (an exact count where never analysed) and single-column primary keys (a key beside the contract's run column counts as its own), and every
 * foreign key among them. Throws naming a table asked for that does not exist.
 */
export async function readCatalog(c: pg.ClientBase, o: { schemas?: string[]; tables?: string[] } = {}): Promise<{ tables: CatalogTable[]; fks: ForeignKey[] }> {
  const tables = await c.query<{ name: string; rows: number; analysed: boolean; key: string | null }>(
    `SELECT ${SQL_MARK} n.nspname || '.' || t.relname AS name, t.reltuples::float8 AS rows, t.reltuples >= 0 AS analysed,
            (SELECT a.attname FROM pg_constraint k JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY(k.conkey)
              WHERE k.conrelid = t.oid AND k.contype = 'p' AND a.attname <> $3
                AND cardinality(k.conkey) = 1 + (SELECT count(*) FROM pg_attribute r WHERE r.attrelid = k.conrelid AND r.attnum = ANY(k.conkey) AND r.attname = $3)) AS key
       FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE t.relkind IN ('r', 'p') AND NOT t.relispartition AND n.nspname <> ALL($1) AND n.nspname NOT LIKE 'pg_temp%'
        AND t.relname NOT LIKE 'pressure\\_%' AND ($2::text[] IS NULL OR n.nspname = ANY($2))
      ORDER BY 1`,
    [SYSTEM, o.schemas ?? null, RUN_COLUMN],
  );
  const wanted = (name: string) => !o.tables?.length || o.tables.some((t) => t === name || t === name.split('.')[1]);
  const missing = (o.tables ?? []).filter((t) => !tables.rows.some((r) => r.name === t || r.name.split('.')[1] === t));
  if (missing.length) throw new Error(`no table ${missing.map((m) => `"${m}"`).join(', ')} in the database; it has ${tables.rows.map((t) => t.name).join(', ') || 'none'}`);
  const chosen: CatalogTable[] = [];
  for (const t of tables.rows.filter((r) => wanted(r.name)))
    chosen.push({
      name: t.name,
      key: t.key,
      rows: t.analysed ? Math.round(t.rows) : Number((await c.query<{ n: string }>(`SELECT ${SQL_MARK} count(*) AS n FROM ${tableIdent(t.name)}`)).rows[0]!.n),
    });
  const names = new Set(chosen.map((t) => t.name));
  // A foreign key declared on partitions only (a backend whose partitions reference each other,
  // one set per tenant or run) is its partitioned roots' relation: named by the roots, once.
  const fks = await c.query<{ child: string; column: string; parent: string; parent_column: string; columns: number }>(
    `SELECT DISTINCT ${SQL_MARK} cn.nspname || '.' || ct.relname AS child, ca.attname AS column, pn.nspname || '.' || pt.relname AS parent,
            pa.attname AS parent_column,
            cardinality(k.conkey) - (SELECT count(*) FROM pg_attribute r WHERE r.attrelid = k.conrelid AND r.attnum = ANY(k.conkey[2:]) AND r.attname = $1)::int AS columns
       FROM pg_constraint k
       JOIN pg_class ct ON ct.oid = coalesce(pg_partition_root(k.conrelid), k.conrelid) JOIN pg_namespace cn ON cn.oid = ct.relnamespace
       JOIN pg_class pt ON pt.oid = coalesce(pg_partition_root(k.confrelid), k.confrelid) JOIN pg_namespace pn ON pn.oid = pt.relnamespace
       JOIN pg_attribute ca ON ca.attrelid = ct.oid AND ca.attname = (SELECT attname FROM pg_attribute WHERE attrelid = k.conrelid AND attnum = k.conkey[1])
       JOIN pg_attribute pa ON pa.attrelid = pt.oid AND pa.attname = (SELECT attname FROM pg_attribute WHERE attrelid = k.confrelid AND attnum = k.confkey[1])
      WHERE k.contype = 'f'
      ORDER BY 1, 2`,
    [RUN_COLUMN],
  );
  return {
    tables: chosen,
    fks: fks.rows.filter((f) => names.has(f.child) && names.has(f.parent)).map((f) => ({ child: f.child, column: f.column, parent: f.parent, parentColumn: f.parent_column, columns: f.columns })),
  };
}

/**
 * Each table's parent: of its foreign keys to other tables, the one to the deepest (a comment
 * belongs to its article, and picks its author, a root), ties to the smaller table. Cycles count
 * as depth 0. Keyed by the child table.
 */
export function parentEdges<E extends { child: string; parent: string }>(tables: readonly string[], edges: readonly E[], rows?: ReadonlyMap<string, number>): Map<string, E> {
  const out = (t: string) => edges.filter((e) => e.child === t && e.parent !== t);
  const depth = new Map<string, number>();
  const depthOf = (t: string, seen = new Set<string>()): number => {
    if (depth.has(t)) return depth.get(t)!;
    if (seen.has(t)) return 0;
    seen.add(t);
    const d = Math.max(-1, ...out(t).map((e) => depthOf(e.parent, seen))) + 1;
    depth.set(t, d);
    return d;
  };
  return new Map(
    tables.flatMap((t) => {
      const e = out(t).sort((a, b) => depthOf(b.parent) - depthOf(a.parent) || (rows?.get(a.parent) ?? 0) - (rows?.get(b.parent) ?? 0))[0];
      return e ? [[t, e] as const] : [];
    }),
  );
}

async function shapeOf(c: pg.ClientBase, url: string, o: ShapeOptions): Promise<DataShape> {
  const limit = o.sampleAbove ?? SAMPLE_PARENTS;
  const catalog = await readCatalog(c, o);
  const chosen = catalog.tables;
  const rows = new Map(chosen.map((t) => [t.name, t.rows]));
  const skipped: string[] = [];
  const edges: EdgeShape[] = [];
  for (const fk of catalog.fks) {
    if (fk.columns > 1) {
      skipped.push(`${fk.child}.${fk.column}: a foreign key of ${fk.columns} columns (only single-column keys are fitted)`);
      continue;
    }
    const parents = rows.get(fk.parent)!;
    const sampled = parents > limit ? limit / parents : 1;
    const sample = sampled < 1 ? ` TABLESAMPLE SYSTEM (${(sampled * 100).toPrecision(6)}) REPEATABLE (42)` : '';
    const histogram = await c.query<{ n: string; parents: string }>(
      `SELECT ${SQL_MARK} s.n, count(*) AS parents
         FROM (SELECT p.${ident(fk.parentColumn)}, count(ch.${ident(fk.column)}) AS n
                 FROM ${tableIdent(fk.parent)} p${sample}
                 LEFT JOIN ${tableIdent(fk.child)} ch ON ch.${ident(fk.column)} = p.${ident(fk.parentColumn)}
                GROUP BY p.${ident(fk.parentColumn)}) s
        GROUP BY s.n ORDER BY s.n`,
    );
    edges.push({ child: fk.child, column: fk.column, parent: fk.parent, parentColumn: fk.parentColumn, histogram: histogram.rows.map((r) => [Number(r.n), Number(r.parents)] as const), sampled });
  }

  const out: TableShape[] = [];
  for (const t of chosen) {
    const [schema, table] = t.name.split('.') as [string, string];
    const cols = await c.query<{
      name: string;
      type: string;
      kind: string;
      nullable: boolean;
      null_frac: number | null;
      n_distinct: number | null;
      avg_width: number | null;
      mcv: string[] | null;
      mcf: number[] | null;
    }>(
      `SELECT ${SQL_MARK} a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, ty.typtype AS kind, NOT a.attnotnull AS nullable,
              s.null_frac::float8, s.n_distinct::float8, s.avg_width::float8,
              CASE WHEN ty.typtype = 'e' OR a.atttypid = 'bool'::regtype THEN s.most_common_vals::text::text[] END AS mcv,
              CASE WHEN ty.typtype = 'e' OR a.atttypid = 'bool'::regtype THEN s.most_common_freqs::float8[] END AS mcf
         FROM pg_attribute a JOIN pg_class r ON r.oid = a.attrelid JOIN pg_namespace n ON n.oid = r.relnamespace
         JOIN pg_type ty ON ty.oid = a.atttypid
         LEFT JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = r.relname AND s.attname = a.attname AND NOT s.inherited
        WHERE n.nspname = $1 AND r.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum`,
      [schema, table],
    );
    const total = rows.get(t.name)!;
    const columns: ColumnShape[] = cols.rows.map((r) => ({
      name: r.name,
      type: r.type,
      nullable: r.nullable,
      nullShare: r.null_frac,
      distinct: r.n_distinct === null ? null : r.n_distinct < 0 ? Math.round(-r.n_distinct * total) : r.n_distinct,
      avgBytes: r.avg_width,
      ...(r.mcv && r.mcf && { values: Object.fromEntries(r.mcv.map((v, i) => [v, r.mcf![i]!])) }),
    }));
    // Lengths and spans, computed by the server over a sample of the table.
    const texts = columns.filter((col) => /^(text|character varying|character)/.test(col.type));
    const times = columns.filter((col) => /^(timestamp|date)/.test(col.type));
    if ((texts.length || times.length) && total > 0) {
      const share = total > limit ? limit / total : 1;
      const sample = share < 1 ? ` TABLESAMPLE SYSTEM (${(share * 100).toPrecision(6)}) REPEATABLE (42)` : '';
      const parts = [
        ...texts.flatMap((col) => [`percentile_disc(0.5) WITHIN GROUP (ORDER BY char_length(${ident(col.name)}))`, `percentile_disc(0.95) WITHIN GROUP (ORDER BY char_length(${ident(col.name)}))`]),
        ...times.map((col) => `extract(epoch FROM max(${ident(col.name)})::timestamptz - min(${ident(col.name)})::timestamptz) / 86400`),
      ];
      const r = (await c.query({ text: `SELECT ${SQL_MARK} ${parts.join(', ')} FROM ${tableIdent(t.name)}${sample}`, rowMode: 'array' })).rows[0] as (string | number | null)[];
      texts.forEach((col, i) => {
        if (r[2 * i] !== null) col.length = { p50: Number(r[2 * i]), p95: Number(r[2 * i + 1]) };
      });
      times.forEach((col, i) => {
        const v = r[2 * texts.length + i];
        if (v !== null && v !== undefined) col.spanDays = Math.round(Number(v) * 10) / 10;
      });
    }
    out.push({ name: t.name, rows: total, key: t.key, columns });
  }
  return { url: redactUrl(url), at: new Date().toISOString(), tables: out, edges, skipped };
}
