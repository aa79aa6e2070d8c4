/**
 * The indexes of a database, from PostgreSQL's catalog (pg_indexes), and what differs between two
 * databases: when two versions of a backend run side by side, an index one of them lacks is the
 * likeliest cause of a table read by sequential scans in it, and naming it turns a finding into a
 * diagnosis. Read-only; the harness's own tables are left out.
 */
import { SQL_MARK, withClient } from './url.js';

export type IndexDef = { table: string; name: string; definition: string };
export type IndexDiff = { change: 'missing' | 'added' | 'changed'; table: string; name: string; base?: string; candidate?: string };

export async function indexesOf(url: string): Promise<IndexDef[]> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ table: string; name: string; definition: string }>(
      `SELECT ${SQL_MARK} schemaname || '.' || tablename AS table, indexname AS name, indexdef AS definition
         FROM pg_indexes
        WHERE schemaname NOT IN ('pg_catalog', 'information_schema') AND tablename <> 'pressure_ledger'
        ORDER BY 1, 2`,
    );
    return rows;
  });
}

/** Indexes the candidate lacks (missing), has beyond the base's (added), or defines otherwise (changed). */
export function diffIndexes(base: IndexDef[], candidate: IndexDef[]): IndexDiff[] {
  const key = (i: IndexDef) => `${i.table}|${i.name}`;
  const b = new Map(base.map((i) => [key(i), i]));
  const c = new Map(candidate.map((i) => [key(i), i]));
  const out: IndexDiff[] = [];
  for (const [k, i] of b) {
    const other = c.get(k);
    if (!other) out.push({ change: 'missing', table: i.table, name: i.name, base: i.definition });
    else if (other.definition !== i.definition) out.push({ change: 'changed', table: i.table, name: i.name, base: i.definition, candidate: other.definition });
  }
  for (const [k, i] of c) if (!b.has(k)) out.push({ change: 'added', table: i.table, name: i.name, candidate: i.definition });
  return out;
}

export function formatIndexDiff(d: IndexDiff): string {
  if (d.change === 'missing') return `index ${d.name} on ${d.table} is in the base, not in the candidate (${d.base})`;
  if (d.change === 'added') return `index ${d.name} on ${d.table} is new in the candidate (${d.candidate})`;
  return `index ${d.name} on ${d.table} changed: ${d.base} → ${d.candidate}`;
}
