/**
 * The columns of tables, from PostgreSQL's catalog, with what a generator must respect to write
 * a row the table accepts: type, nullability, a default, a length limit, uniqueness, an enum's
 * labels, and what a one-column CHECK allows (a list of values, numeric bounds, a length). What
 * `pressure init` writes a factory from. Read-only; no row is read.
 */
import type pg from 'pg';
import { SQL_MARK } from './url.js';

export type Column = {
  name: string;
  /** format_type: `text`, `character varying(80)`, `timestamp with time zone`, an enum's name… */
  type: string;
  nullable: boolean;
  /** A default exists (a sequence, now(), a constant): the column may be left out. */
  hasDefault: boolean;
  /** GENERATED ALWAYS (identity or stored expression): the column must be left out. */
  generated: boolean;
  maxLength: number | null;
  /**
   * In a unique index or constraint, alone or with others (a tag's name unique per account): a
   * generated value is made unique on its own, which satisfies both.
   */
  unique: boolean;
  /** An enum's labels, or the values a CHECK lists. */
  values?: string[];
  /** From a CHECK: numeric bounds, and bounds of the text's length. */
  min?: number;
  max?: number;
  minLength?: number;
  maxLengthCheck?: number;
};

/** Columns of each `schema.table` asked for, in their order. */
export async function readColumns(c: pg.ClientBase, tables: readonly string[]): Promise<Map<string, Column[]>> {
  const out = new Map<string, Column[]>();
  for (const t of tables) {
    const [schema, table] = t.split('.') as [string, string];
    const { rows } = await c.query<{
      name: string;
      type: string;
      nullable: boolean;
      has_default: boolean;
      generated: boolean;
      len: number | null;
      is_unique: boolean;
      labels: string[] | null;
      checks: string[] | null;
    }>(
      `SELECT ${SQL_MARK} a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable,
              (a.atthasdef OR a.attidentity = 'd') AS has_default, (a.attgenerated <> '' OR a.attidentity = 'a') AS generated,
              CASE WHEN a.atttypid IN ('varchar'::regtype, 'bpchar'::regtype) AND a.atttypmod > 4 THEN a.atttypmod - 4 END AS len,
              EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisunique AND a.attnum = ANY(i.indkey::int2[])) AS is_unique,
              (SELECT array_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = a.atttypid) AS labels,
              (SELECT array_agg(pg_get_constraintdef(k.oid)) FROM pg_constraint k
                WHERE k.conrelid = a.attrelid AND k.contype = 'c' AND k.conkey = ARRAY[a.attnum]::int2[]) AS checks
         FROM pg_attribute a JOIN pg_class r ON r.oid = a.attrelid JOIN pg_namespace n ON n.oid = r.relnamespace
        WHERE n.nspname = $1 AND r.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
      [schema, table],
    );
    out.set(
      t,
      rows.map((r) => ({
        name: r.name,
        type: r.type,
        nullable: r.nullable,
        hasDefault: r.has_default,
        generated: r.generated,
        maxLength: r.len,
        unique: r.is_unique,
        ...(r.labels && { values: r.labels }),
        ...checksOf(r.name, r.checks ?? []),
      })),
    );
  }
  return out;
}

/**
 * What one-column CHECKs allow, as pg_get_constraintdef prints them:
 * `CHECK ((state = ANY (ARRAY['draft'::text, 'published'::text])))`, `CHECK ((n >= 0))`,
 * `CHECK ((char_length(name) <= 200))`, `CHECK (((length(title) >= 1) AND (length(title) <= 200)))`.
 * What it cannot read it leaves out: the factory's defaults then apply.
 */
export function checksOf(column: string, defs: readonly string[]): Pick<Column, 'values' | 'min' | 'max' | 'minLength' | 'maxLengthCheck'> {
  const out: Pick<Column, 'values' | 'min' | 'max' | 'minLength' | 'maxLengthCheck'> = {};
  const col = `"?${column.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"?`;
  for (const def of defs) {
    const list = new RegExp(`\\(${col}\\s*=\\s*ANY\\s*\\(+ARRAY\\[(.*?)\\]`).exec(def) ?? new RegExp(`${col}\\s+IN\\s*\\((.*?)\\)`).exec(def);
    if (list) {
      const values = [...list[1]!.matchAll(/'((?:[^']|'')*)'/g)].map((m) => m[1]!.replace(/''/g, "'"));
      if (values.length) out.values = values;
    }
    for (const m of def.matchAll(new RegExp(`\\((?:(char_length|length)\\()?${col}\\)?(?:::\\w+(?: \\w+)?)?\\s*(>=|>|<=|<)\\s*'?\\(?(-?\\d+(?:\\.\\d+)?)`, 'g'))) {
      const [, len, op, n] = m;
      const v = Number(n) + (op === '>' ? (len ? 1 : 0) : op === '<' ? (len ? -1 : 0) : 0);
      if (len) {
        if (op!.startsWith('>')) out.minLength = Math.max(out.minLength ?? 0, v);
        else out.maxLengthCheck = Math.min(out.maxLengthCheck ?? Infinity, v);
      } else if (op!.startsWith('>')) out.min = Math.max(out.min ?? -Infinity, op === '>' ? v + 1e-6 : v);
      else out.max = Math.min(out.max ?? Infinity, op === '<' ? v - 1e-6 : v);
    }
  }
  return out;
}
