/**
 * One chunk of a SQL seed, made into COPY text: the rows of a run of root rows (or of everything
 * below them), each with its key, its parent's key and its references resolved, ready for one
 * COPY per table. Runs on a seed worker (see sql.ts, workers.ts) or inline; it touches no
 * database, so that generating the next chunk never waits on writing the last.
 *
 * A key is known without asking anyone: a sequence's keys were reserved up front as ranges, and
 * a chunk's rows take them by their place in the plan (the chunk's offset, then generation order);
 * a uuid is derived from the run and the row's path; a natural key is a field's value (a root
 * row another chunk writes is made again, by its path, to read it).
 */
import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { EXPIRY_COLUMN, RUN_COLUMN } from '../contract/protocol.js';
import { type Domain, type GeneratedRow, generateDomain, isRef, rootRow, type WalkRange } from './domain.js';

/** How a table's rows get their keys and which columns a COPY writes, as sql.ts read them from the catalog. */
export type KeySpec =
  | { kind: 'sequence'; ranges: [start: string, count: number][] }
  | { kind: 'uuid' }
  | { kind: 'natural'; field: string }
  /** The key is the parent's key (a one-to-one table keyed by its foreign key). */
  | { kind: 'parent' }
  /** No single-column key (a join table's composite key): rows are reached through their parent. */
  | { kind: 'none' };

export type TableSpec = { table: string; key: KeySpec; pk?: string; parentColumn?: string; fields: { field: string; column: string }[]; runTagged: boolean };

/** Which generated rows a seed hands back (with their keys): every row of an entity, or its first n per parent. */
export type Keep = Record<string, 'all' | number>;

export type ChunkConfig = { seed: string; runId: string; expires: string; tables: Record<string, TableSpec>; keep?: Keep };
export type ChunkTask = WalkRange & { offsets: Record<string, number> };
export type KeptRow = GeneratedRow & { key: string | null };
export type ChunkOut = {
  /** COPY text per entity, in the table's `columnsOf` order. */
  copy: Record<string, Uint8Array>;
  rows: Record<string, number>;
  kept: KeptRow[];
  /** The keys of the chunk's root rows (part 'roots'): what goes into the ledger. */
  rootKeys: string[];
};

/** The columns a table's COPY names, in order. */
export const columnsOf = (t: TableSpec): string[] => [
  ...(t.pk && t.key.kind !== 'parent' ? [t.pk] : []),
  ...(t.parentColumn ? [t.parentColumn] : []),
  ...t.fields.map((f) => f.column),
  ...(t.runTagged ? [RUN_COLUMN, EXPIRY_COLUMN] : []),
];

/** COPY text format: backslash, tab, newline and carriage return escaped; NULL as \N. */
export function copyValue(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  const s = v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[\\\t\n\r]/.test(s) ? s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r') : s;
}

/** A uuid made from the run and the row's path (RFC 9562's name-based layout, version 5): the same row of the same run has the same key in every worker. */
export function pathUuid(runId: string, path: string): string {
  const h = createHash('sha1').update(runId).update('\0').update(path).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.toString('hex', 0, 16);
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** The n-th key (0-based) of a sequence's reserved ranges. */
function nthKey(ranges: [string, number][], n: number): string {
  let left = n;
  for (const [start, count] of ranges) {
    if (left < count) return (BigInt(start) + BigInt(left)).toString();
    left -= count;
  }
  throw new Error(`key ${n} is past the ${ranges.reduce((a, r) => a + r[1], 0)} keys reserved: the plan and the rows disagree`);
}

/** The chunk writer for one domain and seed: `(task) => ChunkOut`. */
export function chunkWriter(domain: Domain, cfg: ChunkConfig): (task: ChunkTask) => ChunkOut {
  const roots = new Map<string, string>();
  /** A root row's key by index, from any chunk (references to authors, users, tags). */
  const rootKey = (entity: string, index: number): string => {
    const t = cfg.tables[entity]!;
    const path = `${entity}/${index}`;
    switch (t.key.kind) {
      case 'sequence':
        return nthKey(t.key.ranges, index);
      case 'uuid':
        return pathUuid(cfg.runId, path);
      case 'natural': {
        let k = roots.get(path);
        if (k === undefined) roots.set(path, (k = String(rootRow(domain, cfg.seed, cfg.runId, entity, index).values[t.key.field])));
        return k;
      }
      default:
        throw new Error(`${path}: a root table needs a single-column key`);
    }
  };
  return (task) => {
    const local = new Map<string, string>();
    const keyOf = (path: string): string => {
      const k = local.get(path);
      if (k !== undefined) return k;
      const m = /^([a-z][a-z0-9_]*)\/(\d+)$/.exec(path);
      if (m && domain.entities[m[1]!] && !domain.entities[m[1]!]!.parent) return rootKey(m[1]!, Number(m[2]));
      throw new Error(`a reference to ${path}, which is neither a root row nor written before it in its chunk: refer to a root row, an ancestor, or an earlier sibling`);
    };
    const text = new Map<string, string[]>();
    const ordinal: Record<string, number> = { ...task.offsets };
    const rows: Record<string, number> = {};
    const kept: KeptRow[] = [];
    const rootKeys: string[] = [];
    const perParent = new Map<string, number>();
    for (const r of generateDomain(domain, cfg.seed, cfg.runId, task)) {
      const t = cfg.tables[r.entity]!;
      const n = ordinal[r.entity] ?? 0;
      ordinal[r.entity] = n + 1;
      const parentKey = r.parentPath === undefined ? undefined : keyOf(r.parentPath);
      const key =
        t.key.kind === 'sequence'
          ? nthKey(t.key.ranges, n)
          : t.key.kind === 'uuid'
            ? pathUuid(cfg.runId, r.path)
            : t.key.kind === 'natural'
              ? String(r.values[t.key.field])
              : t.key.kind === 'parent'
                ? parentKey!
                : null;
      if (key !== null) local.set(r.path, key);
      if (!r.parentPath && key !== null) rootKeys.push(key);
      const vals: unknown[] = [];
      if (t.pk && t.key.kind !== 'parent') vals.push(key);
      if (t.parentColumn) vals.push(parentKey);
      for (const f of t.fields) {
        const v = r.values[f.field];
        vals.push(isRef(v) ? keyOf(v.$ref) : v);
      }
      if (t.runTagged) vals.push(cfg.runId, cfg.expires);
      let lines = text.get(r.entity);
      if (!lines) text.set(r.entity, (lines = []));
      lines.push(vals.map(copyValue).join('\t'));
      rows[r.entity] = (rows[r.entity] ?? 0) + 1;
      const keep = cfg.keep ? cfg.keep[r.entity] : 'all';
      if (keep === 'all') kept.push({ ...r, key });
      else if (typeof keep === 'number') {
        const under = r.parentPath ?? '';
        const seen = perParent.get(`${under}|${r.entity}`) ?? 0;
        if (seen < keep) (kept.push({ ...r, key }), perParent.set(`${under}|${r.entity}`, seen + 1));
      }
    }
    const encoder = new TextEncoder();
    const copy: Record<string, Uint8Array> = {};
    for (const [entity, lines] of text) copy[entity] = encoder.encode(`${lines.join('\n')}\n`);
    return { copy, rows, kept, rootKeys };
  };
}

// On a seed worker: the pool's warm call builds the writer once, from the suite's domain module
// (bundled by the caller when it is TypeScript); each task is then one chunk.
let writer: ((task: ChunkTask) => ChunkOut) | undefined;

export type WorkerSetup = ChunkConfig & { module: string; export: string; args: unknown[]; tsx: string | null };

export async function warmSqlChunk(setup: WorkerSetup): Promise<void> {
  if (setup.tsx) ((await import(setup.tsx)) as { register(): void }).register();
  const m = (await import(setup.module.startsWith('file:') ? setup.module : pathToFileURL(setup.module).href)) as Record<string, unknown>;
  const exported = m[setup.export];
  const domain = (typeof exported === 'function' ? (exported as (...a: unknown[]) => unknown)(...setup.args) : exported) as Domain | undefined;
  if (!domain || typeof domain !== 'object' || !Array.isArray(domain.order))
    throw new Error(`${setup.module}: export "${setup.export}" is not a domain (defineDomain(…)) nor a function that returns one`);
  writer = chunkWriter(domain, setup);
}

export function sqlChunk(task: ChunkTask): ChunkOut {
  if (!writer) throw new Error('sqlChunk ran before warmSqlChunk');
  return writer(task);
}
