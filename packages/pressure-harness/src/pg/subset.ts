/**
 * A consistent subset of a database, read for `pressure dataset import` in one read-only
 * transaction: the chosen roots' rows (a share sampled with TABLESAMPLE BERNOULLI … REPEATABLE, or
 * those a filter selects, and the largest parents where asked: the whales), every row below them
 * through the foreign keys that hold a row's parent, then every row any of those points at (and
 * the parents of those), until nothing points outside. Every foreign key of the subset resolves
 * inside it. Bounded: past `maxRows` it stops and says so, having read no more than that.
 */
import type pg from 'pg';
import { type Column, readColumns } from './columns.js';
import { type ForeignKey, parentEdges, readCatalog } from './shape.js';
import { ident, readOnly, SQL_MARK, tableIdent } from './url.js';

export type SubsetRoot = { table: string; share?: number; where?: string; whales?: number };

export type SubsetColumn = Pick<Column, 'name' | 'type' | 'maxLength' | 'unique' | 'nullable' | 'generated'>;
export type SubsetTable = { name: string; key: string; keyType: string; columns: SubsetColumn[]; rows: Record<string, string | null>[] };
export type Subset = {
  tables: SubsetTable[];
  /** Each table's foreign key that holds its row's parent (the deepest other table it points at), by child table. */
  parentOf: Record<string, ForeignKey>;
  /** Every single-column foreign key among the subset's tables. */
  fks: ForeignKey[];
  /** What was left out, and why (a table without a single-column key, a multi-column key). */
  skipped: string[];
};

/** A root as the command line writes it: `users=5%`, `users:<filter>`, `users=5%+whales:2`, `users+whales:2:<filter>` (whales before the filter). */
export function parseRoot(text: string): SubsetRoot | string {
  const m = /^([A-Za-z_][\w.]*)(?:=(\d+(?:\.\d+)?)%)?(?:\+whales:(\d+))?(?::(.+))?$/s.exec(text.trim());
  if (!m) return `"${text}" is not table=<share>%, table:<filter> or table=<share>%+whales:<n>`;
  const [, table, share, whales, where] = m;
  if (share === undefined && where === undefined && whales === undefined) return `"${text}" names no share, filter or whales: write ${table}=10% or ${table}:<SQL condition>`;
  const pct = share === undefined ? undefined : Number(share);
  if (pct !== undefined && !(pct > 0 && pct <= 100)) return `"${text}": the share must be over 0% and at most 100%`;
  return { table: table!, ...(pct !== undefined && { share: pct }), ...(where && { where }), ...(whales && { whales: Number(whales) }) };
}

export const readSubset = (url: string, o: { roots: SubsetRoot[]; maxRows: number; seed?: number; timeoutMs?: number }): Promise<Subset> =>
  readOnly(url, (c) => subsetOf(c, o), { applicationName: 'pressure-harness dataset import', timeoutMs: o.timeoutMs ?? 60_000, repeatable: true });

/**
 * Rows as PostgreSQL prints them, every value text (or null): what COPY reads back unchanged, for
 * every type (arrays, bytea, ranges, json), with no JavaScript type in between.
 */
const RAW = { getTypeParser: () => (v: string) => v } as unknown as pg.CustomTypesConfig;
const rowsOf = async (c: pg.ClientBase, text: string, values: unknown[] = []) => (await c.query<Record<string, string | null>>({ text, values, types: RAW })).rows;
async function subsetOf(c: pg.ClientBase, o: { roots: SubsetRoot[]; maxRows: number; seed?: number }): Promise<Subset> {
  const catalog = await readCatalog(c);
  const skipped: string[] = [];
  const keyed = new Map(catalog.tables.filter((t) => t.key).map((t) => [t.name, t.key!]));
  for (const t of catalog.tables) if (!t.key) skipped.push(`${t.name}: no single-column primary key`);
  const fks = catalog.fks.filter((f) => {
    if (f.columns > 1) skipped.push(`${f.child}.${f.column}: a foreign key of ${f.columns} columns`);
    return f.columns === 1 && keyed.has(f.child) && keyed.has(f.parent);
  });
  const resolve = (name: string) => {
    const t = [...keyed.keys()].find((k) => k === name || k.split('.')[1] === name);
    if (!t) throw new Error(`no table "${name}" with a single-column primary key; tables: ${[...keyed.keys()].join(', ') || 'none'}`);
    return t;
  };
  const roots = o.roots.map((r) => ({ ...r, table: resolve(r.table) }));

  // The parent of each table, as dataset fit chooses it.
  const parentOf = Object.fromEntries(parentEdges([...keyed.keys()], fks));
  const depthOf = (t: string, seen = new Set<string>()): number => {
    const p = parentOf[t]?.parent;
    if (!p || seen.has(p)) return 0;
    seen.add(t);
    return depthOf(p, seen) + 1;
  };

  // Columns: type, length limit, uniqueness (pg/columns.ts).
  const columns = new Map<string, SubsetColumn[]>();
  const keyTypes = new Map<string, string>();
  for (const [t, cols] of await readColumns(c, [...keyed.keys()])) {
    columns.set(t, cols);
    keyTypes.set(t, cols.find((r) => r.name === keyed.get(t))!.type);
  }

  const rows = new Map<string, Map<string, Record<string, string | null>>>();
  let total = 0;
  const add = (t: string, found: Record<string, string | null>[]) => {
    const m = rows.get(t) ?? new Map<string, Record<string, string | null>>();
    rows.set(t, m);
    let fresh = 0;
    for (const r of found) {
      const k = String(r[keyed.get(t)!]);
      if (!m.has(k)) (m.set(k, r), fresh++);
    }
    total += fresh;
    if (total > o.maxRows) throw new Error(`the subset passed ${o.maxRows.toLocaleString('en-US')} rows (--max-rows) at ${t}: choose a smaller share or a narrower filter`);
    return fresh;
  };
  // Read a bounded batch at a time: the rows whose column is one of `keys`.
  const where = async (t: string, column: string, keys: string[]) => {
    for (let i = 0; i < keys.length; i += 5000) {
      const batch = keys.slice(i, i + 5000);
      const type = column === keyed.get(t) ? keyTypes.get(t)! : columns.get(t)!.find((x) => x.name === column)!.type;
      add(t, await rowsOf(c, `SELECT ${SQL_MARK} * FROM ${tableIdent(t)} WHERE ${ident(column)} = ANY($1::text[]::${type}[]) LIMIT ${o.maxRows + 1}`, [batch]));
    }
  };

  // 1. The roots: a share, a filter, and the whales (the parents of most children).
  for (const r of roots) {
    const sample = r.share !== undefined && r.share < 100 ? ` TABLESAMPLE BERNOULLI (${r.share}) REPEATABLE (${o.seed ?? 42})` : '';
    const filter = r.where ? ` WHERE ${r.where}` : '';
    if (r.share !== undefined || r.where) add(r.table, await rowsOf(c, `SELECT ${SQL_MARK} * FROM ${tableIdent(r.table)}${sample}${filter} LIMIT ${o.maxRows + 1}`));
    if (r.whales) {
      const child = fks.filter((f) => parentOf[f.child] === f && f.parent === r.table)[0];
      if (!child) throw new Error(`${r.table} has no child table to rank its whales by`);
      // One aggregate over the child table, not a count per parent: a million users are not
      // counted one by one.
      const top = await rowsOf(
        c,
        `SELECT ${SQL_MARK} ${ident(child.column)}::text AS k FROM ${tableIdent(child.child)} WHERE ${ident(child.column)} IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT ${r.whales}`,
      );
      await where(
        r.table,
        child.parentColumn,
        top.map((x) => x.k!),
      );
    }
  }
  // 2. Down: every row whose parent is in, table by table, parents' tables first (so one pass).
  for (const t of [...keyed.keys()].filter((x) => parentOf[x]).sort((a, b) => depthOf(a) - depthOf(b))) {
    const e = parentOf[t]!;
    const parents = [...(rows.get(e.parent)?.values() ?? [])].map((r) => String(r[e.parentColumn]));
    if (parents.length) await where(t, e.column, parents);
  }
  // 3. Up: every row something points at, and its parents, until nothing points outside.
  for (let changed = true; changed;) {
    changed = false;
    for (const f of fks) {
      const have = rows.get(f.parent) ?? new Map();
      const missing = [...new Set([...(rows.get(f.child)?.values() ?? [])].map((r) => r[f.column]).filter((v) => v !== null && v !== undefined && !have.has(String(v))))].map(String);
      if (!missing.length) continue;
      const before = total;
      await where(f.parent, f.parentColumn, missing);
      if (total > before) changed = true;
    }
  }

  const order = [...keyed.keys()].filter((t) => rows.get(t)?.size).sort((a, b) => depthOf(a) - depthOf(b) || a.localeCompare(b));
  return {
    tables: order.map((t) => ({
      name: t,
      key: keyed.get(t)!,
      keyType: keyTypes.get(t)!,
      columns: columns.get(t)!,
      // In key order: a row a later one refers to (a reply's comment) comes first.
      rows: [...rows.get(t)!.values()].sort((a, b) => compareKeys(a[keyed.get(t)!], b[keyed.get(t)!])),
    })),
    parentOf: Object.fromEntries(Object.entries(parentOf).filter(([t]) => rows.get(t)?.size)),
    fks: fks.filter((f) => rows.get(f.child)?.size),
    skipped,
  };
}

const compareKeys = (a: unknown, b: unknown) => {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const [x, y] = [String(a), String(b)];
  return /^\d+$/.test(x) && /^\d+$/.test(y) ? (BigInt(x) < BigInt(y) ? -1 : BigInt(x) > BigInt(y) ? 1 : 0) : x.localeCompare(y);
};
