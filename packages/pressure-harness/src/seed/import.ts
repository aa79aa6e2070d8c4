/**
 * An imported subset (pg/subset.ts) as a domain the SQL adapter writes (`pressure dataset import`,
 * the seed's approach "export production data, anonymize it, import it"): each table an entity
 * under the parent its rows belong to, each row with its own number of children (`byParent`),
 * each column a field that gives the row's value, anonymized (anonymize.ts), or, for a foreign key,
 * a reference to the imported row it pointed at. The adapter then does what it does for generated
 * data: new keys (a sequence's, a uuid), every reference rewired to them, every row tagged with
 * the run (its run columns, or the ledger) and an expiry, and cleanup by run. Pure.
 */
import { EXPIRY_COLUMN, RUN_COLUMN } from '../contract/protocol.js';
import type { Subset } from '../pg/subset.js';
import { anonymizer, detectMask, type Mask, type MaskChoice } from './anonymize.js';
import { type ChildCount, defineDomain, type Domain, type EntityDecl } from './domain.js';
import { entityName } from './fit.js';
import type { SqlMapping } from './sql.js';

export type ImportReport = {
  tables: { table: string; entity: string; rows: number; parent: string | null; columns: (MaskChoice & { column: string })[] }[];
  /** Rows left out: their parent's key was null, so they belong to no row of the subset. */
  orphans: Record<string, number>;
  skipped: string[];
};

export type ImportPlan = {
  domain: Domain;
  mapping: SqlMapping;
  report: ImportReport;
  /** Per table and masked column, the original values: what must appear nowhere after the import. */
  originals: { table: string; column: string; mask: Mask; values: string[] }[];
};

/** Keys the adapter makes anew (a sequence's, a uuid): the row's own key is left behind. */
const GENERATED_KEY = /^(smallint|integer|bigint|uuid)$/;

/**
 * The domain and mapping that write `subset`, with every column anonymized as detected, or as
 * `masks` says (`table.column` or `column` → a mask).
 */
export function importPlan(subset: Subset, o: { secret: string; masks?: Record<string, Mask> }): ImportPlan {
  const transform = anonymizer(o.secret);
  const names = subset.tables.map((t) => t.name);
  const byName = new Map(subset.tables.map((t) => [t.name, t]));
  const entity = (t: string) => entityName(t, names);
  // Paths, top down: a root row is `<entity>/<i>`, a child `<parent path>/<entity>/<j>`.
  const pathOf = new Map<string, Map<string, string>>(names.map((t) => [t, new Map()]));
  const counts = new Map<string, Record<string, number>>();
  const orphans: Record<string, number> = {};
  const placed = new Map<string, { path: string; row: Record<string, string | null> }[]>(names.map((t) => [t, []]));
  // A parent table with no row in the subset (every child's key to it null): no parent to be under.
  const parentOf = (t: string) => (byName.has(subset.parentOf[t]?.parent ?? '') ? subset.parentOf[t] : undefined);
  for (const t of subset.tables) {
    const e = parentOf(t.name);
    const perParent: Record<string, number> = {};
    for (const row of t.rows) {
      let path: string;
      if (!e) path = `${entity(t.name)}/${placed.get(t.name)!.length}`;
      else {
        const parentPath = row[e.column] === null ? undefined : pathOf.get(e.parent)!.get(String(row[e.column]));
        if (!parentPath) {
          orphans[t.name] = (orphans[t.name] ?? 0) + 1;
          continue;
        }
        const j = perParent[parentPath] ?? 0;
        perParent[parentPath] = j + 1;
        path = `${parentPath}/${entity(t.name)}/${j}`;
      }
      pathOf.get(t.name)!.set(String(row[t.key]), path);
      placed.get(t.name)!.push({ path, row });
    }
    if (e) counts.set(t.name, perParent);
  }

  const refs = new Map(subset.fks.map((f) => [`${f.child}.${f.column}`, f]));
  const tables: ImportReport['tables'] = [];
  const originals: ImportPlan['originals'] = [];
  const entities: Record<string, EntityDecl> = {};
  const mapping: SqlMapping = {};
  for (const t of subset.tables) {
    const e = parentOf(t.name);
    const rows = placed.get(t.name)!;
    const generatedKey = GENERATED_KEY.test(t.keyType);
    const hasEmail = t.columns.some((c) => /e_?mail/i.test(c.name));
    const columns: ImportReport['tables'][number]['columns'] = [];
    const values = new Map<string, Record<string, unknown>>(rows.map((r) => [r.path, {}]));
    for (const c of t.columns) {
      if (c.generated || c.name === RUN_COLUMN || c.name === EXPIRY_COLUMN) continue;
      if (e && c.name === e.column) continue; // the parent: the adapter writes it
      if (c.name === t.key && generatedKey) continue; // a new key: the adapter makes it
      const fk = refs.get(`${t.name}.${c.name}`);
      if (fk && fk.parentColumn === byName.get(fk.parent)?.key) {
        // A reference: the imported row it pointed at, by path; null where it pointed at nothing.
        columns.push({ column: c.name, mask: 'keep', why: `a reference to ${fk.parent}, rewired to the imported row` });
        for (const r of rows) {
          const v = r.row[c.name];
          const target = v === null || v === undefined ? undefined : pathOf.get(fk.parent)!.get(String(v));
          values.get(r.path)![c.name] = target ? { $ref: target } : null;
        }
        continue;
      }
      const chosen = o.masks?.[`${t.name.split('.')[1]}.${c.name}`] ?? o.masks?.[`${t.name}.${c.name}`] ?? o.masks?.[c.name];
      const choice: MaskChoice = chosen
        ? { mask: chosen, why: 'as asked (--mask)' }
        : detectMask(
            { table: t.name, column: c.name, type: c.type, maxLength: c.maxLength, unique: c.unique },
            rows.slice(0, 500).map((r) => r.row[c.name]),
            hasEmail,
          );
      columns.push({ column: c.name, ...choice });
      if (choice.mask !== 'keep') originals.push({ table: t.name, column: c.name, mask: choice.mask, values: [...new Set(rows.flatMap((r) => (r.row[c.name] === null ? [] : [r.row[c.name]!])))] });
      for (const r of rows) values.get(r.path)![c.name] = transform(choice.mask, r.row[c.name], c.maxLength);
    }
    const fields = Object.fromEntries(columns.map(({ column }) => [column, ({ path }: { path: string }) => values.get(path)![column]]));
    if (!Object.keys(fields).length) throw new Error(`${t.name}: nothing to write but its keys; a table the adapter can seed needs one column besides them`);
    const perParent: ChildCount | undefined = e ? { byParent: counts.get(t.name)! } : undefined;
    entities[entity(t.name)] = e ? { parent: entity(e.parent), perParent, fields } : { count: rows.length, fields };
    // In the public schema by its bare name, as a suite's own mapping names it: the ledger keys rows by it.
    mapping[entity(t.name)] = { table: t.name.startsWith('public.') ? t.name.slice('public.'.length) : t.name, ...(e && { parentColumn: e.column }), ...(!generatedKey && { key: t.key }) };
    tables.push({ table: t.name, entity: entity(t.name), rows: rows.length, parent: e?.parent ?? null, columns });
  }
  return { domain: defineDomain(entities), mapping, report: { tables, orphans, skipped: subset.skipped }, originals };
}

/** The report of an import: what was read, and for each column what was done to it and why. */
export function formatImport(r: ImportReport, o: { from: string; runId: string; expires: string; absent?: { checked: number; found: string[] } }): string {
  const lines = [`dataset import: from ${o.from}: ${r.tables.reduce((a, t) => a + t.rows, 0).toLocaleString('en-US')} rows of ${r.tables.length} tables, as run ${o.runId} (expires ${o.expires})`];
  for (const t of r.tables) {
    lines.push(`  ${t.table}: ${t.rows.toLocaleString('en-US')} rows${t.parent ? `, under ${t.parent}` : ''}`);
    const by = new Map<string, string[]>();
    for (const c of t.columns) {
      const what = `${c.mask === 'keep' ? 'kept' : c.mask} (${c.why})`;
      by.set(what, [...(by.get(what) ?? []), c.column]);
    }
    for (const [what, cols] of by) lines.push(`    ${cols.join(', ')}: ${what}`);
  }
  for (const [t, n] of Object.entries(r.orphans)) lines.push(`  left out: ${n} rows of ${t} whose parent key was null`);
  for (const s of r.skipped) lines.push(`  skipped ${s}`);
  if (o.absent)
    lines.push(
      `  checked: ${o.absent.found.length ? `${o.absent.found.length} ORIGINAL VALUES FOUND (${o.absent.found.slice(0, 3).join('; ')})` : `none of ${o.absent.checked.toLocaleString('en-US')} original values of the anonymized columns appears in them`}`,
    );
  return lines.join('\n');
}
