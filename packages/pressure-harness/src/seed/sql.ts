/**
 * The SQL seeding adapter: a declared domain (seed/domain.ts) written straight into
 * PostgreSQL through DATABASE_URL, for any backend's schema.
 *
 * Schema-aware: each entity names its table; the adapter reads the table's primary key, its
 * key's default (a sequence, or gen_random_uuid()), and the foreign key to the parent's table
 * from the catalog, so a suite maps fields to columns and nothing else. Parents are written
 * before children, each table in one COPY, keys allocated up front (nextval in bulk) so that
 * children know their parents' keys without a round trip per row.
 *
 * Tagged by run: a table with the contract's run columns (test_run_id, expires_at) gets them on
 * every row; for any other table the row's key goes into a ledger table (pressure_ledger) with
 * the run and the expiry. Cleanup deletes a run's rows children first, including rows the tests
 * hung under them (found through the same foreign keys), and the leak proof counts what is left.
 * Every table written is analyzed after the seed, so that the run is planned on its real sizes.
 */
import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { EXPIRY_COLUMN, RUN_COLUMN } from '../contract/protocol.js';
import type { RunResources } from '../lifecycle/run.js';
import { SQL_MARK, withClient } from '../pg/url.js';
import { type Domain, generateDomain, type GeneratedRow, groupByEntity, isRef, planDomain } from './domain.js';
import { seedProgress } from './progress.js';

/**
 * Per entity: its table, the columns its fields go to (by default the field's own name), and, for
 * a table keyed by a natural key (a username, a slug, a code), the field whose value is the key.
 */
export type SqlMapping = Record<string, { table: string; columns?: Record<string, string>; key?: string }>;

/** How a row's key is made: nextval of the key's sequence, a random uuid (with or without a default), or a field's value. */
type KeyKind = 'sequence' | 'uuid' | 'natural';
type TableInfo = { table: string; pk: string; pkKind: KeyKind; sequence?: string; parentColumn?: string; runTagged: boolean; columns: Set<string>; keyField?: string };

export const LEDGER = 'pressure_ledger';
const LEDGER_DDL = `CREATE ${SQL_MARK} TABLE IF NOT EXISTS ${LEDGER} (
  run_id text NOT NULL, table_name text NOT NULL, key text NOT NULL, expires_at timestamptz NOT NULL,
  PRIMARY KEY (run_id, table_name, key))`;

const ident = pg.escapeIdentifier;

/** The catalog's answer for each entity's table; a mapping that does not fit the schema is refused with every problem at once. */
async function inspect(c: pg.Client, domain: Domain, mapping: SqlMapping): Promise<Map<string, TableInfo>> {
  const problems: string[] = [];
  const info = new Map<string, TableInfo>();
  for (const entity of domain.order) {
    const m = mapping[entity];
    if (!m) {
      problems.push(`${entity}: no table mapped; add { ${entity}: { table: '…' } }`);
      continue;
    }
    const cols = await c.query<{ name: string; def: string | null; type: string }>(
      `SELECT a.attname AS name, pg_get_expr(d.adbin, d.adrelid) AS def, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped`,
      [m.table],
    );
    if (!cols.rows.length) {
      problems.push(`${entity}: table "${m.table}" does not exist`);
      continue;
    }
    const pk = await c.query<{ name: string }>(
      `SELECT a.attname AS name FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indrelid = to_regclass($1) AND i.indisprimary`,
      [m.table],
    );
    if (pk.rows.length !== 1) {
      problems.push(`${entity}: table "${m.table}" needs a single-column primary key, has ${pk.rows.length}`);
      continue;
    }
    const pkName = pk.rows[0]!.name;
    const pkCol = cols.rows.find((r) => r.name === pkName);
    const def = pkCol?.def ?? '';
    const seq = (await c.query<{ seq: string | null }>(`SELECT pg_get_serial_sequence($1, $2) AS seq`, [m.table, pkName])).rows[0]?.seq;
    // The adapter makes every key itself: a sequence's next values, a uuid whatever the column's
    // default (none is fine), or the value of the field the mapping names as the natural key.
    const keyField = m.key;
    if (keyField && !(keyField in domain.entities[entity]!.fields)) problems.push(`${entity}: key '${keyField}' is not a field of ${entity}; its fields: ${Object.keys(domain.entities[entity]!.fields).join(', ')}`);
    const pkKind: KeyKind | undefined = keyField ? 'natural' : seq ? 'sequence' : pkCol?.type === 'uuid' || /gen_random_uuid|uuid_generate/.test(def) ? 'uuid' : undefined;
    if (!pkKind) problems.push(`${entity}: the key ${m.table}.${pkName} (${pkCol?.type ?? '?'}, default ${def || 'none'}) is neither a sequence nor a uuid: name the field that holds it, { ${entity}: { table: '${m.table}', key: '<field>' } }`);
    const columns = new Set(cols.rows.map((r) => r.name));
    const t: TableInfo = { table: m.table, pk: pkName, pkKind: pkKind ?? 'uuid', ...(seq && { sequence: seq }), ...(keyField && { keyField }), runTagged: columns.has(RUN_COLUMN) && columns.has(EXPIRY_COLUMN), columns };
    const parent = domain.entities[entity]!.parent;
    if (parent) {
      const parentTable = mapping[parent]?.table;
      const fk = await c.query<{ col: string }>(
        `SELECT a.attname AS col FROM pg_constraint k JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
          WHERE k.contype = 'f' AND k.conrelid = to_regclass($1) AND k.confrelid = to_regclass($2) AND array_length(k.conkey, 1) = 1`,
        [m.table, parentTable ?? ''],
      );
      if (fk.rows.length !== 1) problems.push(`${entity}: "${m.table}" needs exactly one foreign key to "${parentTable}" (its parent ${parent}'s table), has ${fk.rows.length}`);
      else t.parentColumn = fk.rows[0]!.col;
    }
    for (const field of Object.keys(domain.entities[entity]!.fields)) {
      const col = m.columns?.[field] ?? field;
      if (!columns.has(col)) problems.push(`${entity}.${field}: no column "${col}" in ${m.table}; map it with columns: { ${field}: '<column>' }`);
    }
    info.set(entity, t);
  }
  if (problems.length) throw new Error(`SQL seeding: the domain does not fit the schema (${problems.length} problem${problems.length === 1 ? '' : 's'})\n  - ${problems.join('\n  - ')}`);
  return info;
}

/** COPY text format: backslash, tab, newline and carriage return escaped; NULL as \N. */
function copyValue(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  const s = v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

/** `keys`: each row's key by its path; `generated`: every row as the domain made it (values, tier). */
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
};

/** Seeds the whole domain; returns the key of every row by its path (what tests and perf scenarios use). */
export async function seedSql(o: SqlSeedOptions): Promise<SqlSeedResult> {
  const plan = planDomain(o.domain, o.seed);
  if (o.maxRows !== undefined && plan.total > o.maxRows) {
    throw new Error(`SQL seeding: the plan has ${plan.total} rows (${Object.entries(plan.rows).map(([k, v]) => `${k}=${v}`).join(', ')}), over the limit of ${o.maxRows}; lower the domain's counts or raise the limit`);
  }
  return withClient(o.databaseUrl, async (c) => {
    const info = await inspect(c, o.domain, o.mapping);
    await c.query(LEDGER_DDL);
    const byEntity = groupByEntity(generateDomain(o.domain, o.seed, o.runId));
    const keys = new Map<string, string>();
    const expires = new Date(Date.now() + o.ttlSeconds * 1000).toISOString();
    const progress = seedProgress(`seed sql ${o.runId}`, plan.total);
    const rows: Record<string, number> = {};
    await c.query('BEGIN');
    try {
      for (const entity of o.domain.order) {
        const list = byEntity.get(entity) ?? [];
        const t = info.get(entity)!;
        const m = o.mapping[entity]!;
        const ids =
          t.pkKind === 'sequence'
            ? (await c.query<{ id: string }>(`SELECT nextval($1)::text AS id FROM generate_series(1, $2)`, [t.sequence, list.length])).rows.map((r) => r.id)
            : t.pkKind === 'natural'
              ? list.map((r) => String(r.values[t.keyField!]))
              : list.map(() => randomUUID());
        list.forEach((r, i) => keys.set(r.path, ids[i]!));
        // A natural key's field is the key column: written once, as the key.
        const fields = Object.keys(o.domain.entities[entity]!.fields).filter((f) => (m.columns?.[f] ?? f) !== t.pk);
        const cols = [t.pk, ...(t.parentColumn ? [t.parentColumn] : []), ...fields.map((f) => m.columns?.[f] ?? f), ...(t.runTagged ? [RUN_COLUMN, EXPIRY_COLUMN] : [])];
        const lines = function* () {
          for (let i = 0; i < list.length; i++) {
            const r = list[i]!;
            const vals = [ids[i], ...(t.parentColumn ? [keys.get(r.parentPath!)] : []), ...fields.map((f) => (isRef(r.values[f]) ? keys.get((r.values[f] as { $ref: string }).$ref) : r.values[f])), ...(t.runTagged ? [o.runId, expires] : [])];
            yield `${vals.map(copyValue).join('\t')}\n`;
          }
        };
        await pipeline(Readable.from(lines()), c.query(copyFrom(`COPY ${SQL_MARK} ${ident(t.table)} (${cols.map(ident).join(', ')}) FROM STDIN`)));
        if (!t.runTagged && ids.length) {
          await c.query(`INSERT ${SQL_MARK} INTO ${LEDGER} (run_id, table_name, key, expires_at) SELECT $1, $2, k, $3 FROM unnest($4::text[]) AS k ON CONFLICT DO NOTHING`, [o.runId, t.table, expires, ids]);
        }
        rows[entity] = list.length;
        progress.add(list.length);
      }
      await c.query('COMMIT');
    } catch (e) {
      await c.query('ROLLBACK'); // all or nothing: a failed seed leaves no half of itself
      throw e;
    }
    // Fresh statistics for what was written: the planner otherwise plans the run's queries with
    // the row counts it saw before the seed (a table of 420 rows that now holds 85,000), and a
    // sequential scan it picks then says nothing about a missing index.
    for (const entity of o.domain.order) if (rows[entity]) await c.query(`ANALYZE ${SQL_MARK} ${ident(info.get(entity)!.table)}`);
    const done = progress.done();
    return { rows, seconds: done.seconds, rowsPerSec: done.rowsPerSec, keys, generated: [...byEntity.values()].flat() };
  });
}

/**
 * Cleanup and leak proof for rows seeded through SQL (or recorded in the ledger by the API
 * adapter): children first, and with them any row the tests hung under a doomed parent.
 */
type Which = { runId: string } | { expired: true };

export function sqlResources(o: { databaseUrl: string; domain: Domain; mapping: SqlMapping }): RunResources & { recordKeys(runId: string, entity: string, keys: string[], expiresAt: string): Promise<void> } {
  /** The keys to delete, per entity: the run's (or every expired run's) rows, and every row below one of them. */
  const doomed = async (c: pg.Client, info: Map<string, TableInfo>, which: Which) => {
    const out = new Map<string, string[]>();
    for (const entity of o.domain.order) {
      const t = info.get(entity)!;
      const parent = o.domain.entities[entity]!.parent;
      const params: unknown[] = [t.table, parent ? (out.get(parent) ?? []) : []];
      const byRun = 'runId' in which ? (params.push(which.runId), `= $${params.length}`) : null;
      const ledger = byRun ? `run_id ${byRun}` : 'expires_at < now()';
      const tagged = t.runTagged ? ` OR ${byRun ? `${ident(RUN_COLUMN)} ${byRun}` : `${ident(EXPIRY_COLUMN)} < now()`}` : '';
      const { rows } = await c.query<{ k: string }>(
        `SELECT ${ident(t.pk)}::text AS k FROM ${ident(t.table)}
          WHERE ${ident(t.pk)}::text IN (SELECT key FROM ${LEDGER} WHERE table_name = $1 AND ${ledger})${tagged}
             ${t.parentColumn ? `OR ${ident(t.parentColumn)}::text = ANY($2::text[])` : 'OR $2::text[] IS NULL'}`,
        params,
      );
      out.set(entity, rows.map((r) => r.k));
    }
    return out;
  };
  const remove = (which: Which): Promise<number> =>
    withClient(o.databaseUrl, async (c) => {
      await c.query(LEDGER_DDL);
      const info = await inspect(c, o.domain, o.mapping);
      await c.query('BEGIN');
      try {
        const keys = await doomed(c, info, which);
        let n = 0;
        for (const entity of [...o.domain.order].reverse()) {
          const t = info.get(entity)!;
          n += (await c.query(`DELETE ${SQL_MARK} FROM ${ident(t.table)} WHERE ${ident(t.pk)}::text = ANY($1::text[])`, [keys.get(entity) ?? []])).rowCount ?? 0;
        }
        if ('runId' in which) await c.query(`DELETE ${SQL_MARK} FROM ${LEDGER} WHERE run_id = $1`, [which.runId]);
        else await c.query(`DELETE ${SQL_MARK} FROM ${LEDGER} WHERE expires_at < now()`);
        await c.query('COMMIT');
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
        await c.query(LEDGER_DDL);
        await c.query(`INSERT ${SQL_MARK} INTO ${LEDGER} (run_id, table_name, key, expires_at) SELECT $1, $2, k, $3 FROM unnest($4::text[]) AS k ON CONFLICT DO NOTHING`, [runId, table, expiresAt, keys]);
      });
    },
    reap: () => remove({ expired: true }),
    cleanup: (runId) => remove({ runId }),
    async remaining(runId) {
      return withClient(o.databaseUrl, async (c) => {
        await c.query(LEDGER_DDL);
        const info = await inspect(c, o.domain, o.mapping);
        const out: Record<string, number> = {};
        for (const entity of o.domain.order) {
          const t = info.get(entity)!;
          const { rows } = await c.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM ${ident(t.table)} WHERE ${ident(t.pk)}::text IN (SELECT key FROM ${LEDGER} WHERE table_name = $1 AND run_id = $2)${t.runTagged ? ` OR ${ident(RUN_COLUMN)} = $2` : ''}`,
            [t.table, runId],
          );
          if (rows[0]!.n) out[t.table] = rows[0]!.n;
        }
        // Ledger entries outlive their rows only if a cleanup did not finish: they count too.
        const { rows } = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${LEDGER} WHERE run_id = $1`, [runId]);
        if (rows[0]!.n) out[LEDGER] = rows[0]!.n;
        return out;
      });
    },
  };
}
