/**
 * A domain, declared once: entities, who is whose parent, how many children a parent has (the
 * design's distributions: tiers with whales, log-normal long tails), and a factory per field.
 * The same declaration drives every seeding adapter (public API, SQL, seed endpoints), so a
 * suite says what its data looks like and not how each path writes it.
 *
 *   defineDomain({
 *     author:  { count: 200, tiers: WHALE_TIERS, fields: { username: ({ faker, index }) => … } },
 *     article: { parent: 'author', perParent: { byTier: { small: [1, 5], mid: [6, 50], whale: [200, 1000] } }, fields: { … } },
 *     comment: { parent: 'article', perParent: { logNormal: { p50: 2, p95: 20, max: 200 } }, fields: { … } },
 *   })
 *
 * Deterministic: every row draws from its own named stream (`<seed>:<entity>/<path>`), so the
 * same seed gives the same rows, and adding a row changes no other. A root row's tier is
 * inherited by its descendants (a whale author's articles are a whale's articles).
 */
import type { Faker } from '@faker-js/faker';
import { assignTiers, drawLogNormal, type LogNormal, type Tier } from './distributions.js';
import type { SignIn } from './sign-in.js';
import { fakerFor, intBetween, REFERENCE_DATE, stream, type Stream } from './streams.js';

/** What a field factory sees: its own faker and stream, its row's place, its parent's generated row. */
export type FieldContext = {
  faker: Faker;
  s: Stream;
  /** The row's index among its siblings (or among all roots). */
  index: number;
  /** The row's path: unique in the dataset, stable across runs (`author/3/article/17`). */
  path: string;
  tier: string;
  /** The run this row belongs to: for values that must be unique across runs sharing a database (emails, slugs). */
  runId: string;
  parent?: GeneratedRow;
  /** A timestamp in the six months before the reference date, after `notBefore` (ISO), weekday and working-hour heavy. */
  time: (notBefore?: string) => string;
  /**
   * Another row, chosen from a root entity (a comment's author among all users): adapters put its
   * key in the field. `distinct`: no two siblings pick the same row for this field, and a row
   * never picks its own root ancestor: a join table's pairs (follower, followed) stay unique.
   */
  pick: (rootEntity: string, o?: { distinct?: boolean }) => Ref;
  /** An earlier row of the same entity under the same parent (a reply's parent comment), or null for the first: a self reference. */
  earlier: () => Ref | null;
  /** This row's fields made so far, in declaration order: a later field may depend on an earlier one (publishedAt after createdAt). */
  values: Readonly<Record<string, unknown>>;
};
/** A field that holds another row's key: resolved by the adapter that writes the row. */
export type Ref = { $ref: string };
export const isRef = (v: unknown): v is Ref => typeof v === 'object' && v !== null && typeof (v as Ref).$ref === 'string';
export type FieldFactory = (ctx: FieldContext) => unknown;

/**
 * How many children a parent has: a fixed number; a log-normal long tail (`zero`: the share of
 * parents with none); a range per tier of the root (`default` for any other); or, for a `share` of
 * parents, a number in `of` (and 0 for the rest); or each parent's own, by its path (data that
 * exists already: an imported subset's, `dataset import`), 0 for a parent not named.
 */
export type ChildCount =
  | number
  | { logNormal: LogNormal; zero?: number }
  | { byTier: Record<string, readonly [number, number]> }
  | { share: number; of: readonly [number, number] }
  | { byParent: Readonly<Record<string, number>> };

export type EntityDecl = {
  /** The parent entity: each row of this one belongs to one row of it. */
  parent?: string;
  /** Roots: how many. */
  count?: number;
  /** Roots: tiers assigned by exact quota (whales included), inherited by descendants. */
  tiers?: Tier[];
  /** Children: how many per parent row. */
  perParent?: ChildCount;
  fields: Record<string, FieldFactory>;
  /** How a row of this entity signs in (a user): see sign-in.ts. */
  signIn?: SignIn;
};

export type Domain = { entities: Readonly<Record<string, EntityDecl>>; order: string[] };
export type GeneratedRow = { entity: string; path: string; parentPath?: string; tier: string; values: Record<string, unknown> };

/** Validates the declaration (every problem at once) and orders entities parents first. */
export function defineDomain(entities: Record<string, EntityDecl>): Domain {
  const problems: string[] = [];
  for (const [name, e] of Object.entries(entities)) {
    if (!/^[a-z][a-z0-9_]*$/.test(name)) problems.push(`${name}: an entity name must be lowercase letters, digits and underscores`);
    if (e.parent !== undefined && !entities[e.parent]) problems.push(`${name}.parent: no entity "${e.parent}"; declared: ${Object.keys(entities).join(', ')}`);
    if (e.parent === undefined && !(Number.isInteger(e.count) && e.count! >= 0)) problems.push(`${name}.count: a root entity needs a whole number of rows, got ${String(e.count)}`);
    if (e.parent !== undefined && e.perParent === undefined) problems.push(`${name}.perParent: a child entity needs a count per parent (a number, { logNormal }, or { byTier })`);
    if (e.tiers && Math.abs(e.tiers.reduce((a, t) => a + t.share, 0) - 1) > 1e-9) problems.push(`${name}.tiers: shares must add up to 1`);
    if (!e.fields || !Object.keys(e.fields).length) problems.push(`${name}.fields: declare at least one field factory`);
  }
  const order: string[] = [];
  const visiting = new Set<string>();
  const visit = (n: string) => {
    if (order.includes(n)) return;
    if (visiting.has(n)) return void problems.push(`${n}: parents form a cycle`);
    visiting.add(n);
    const p = entities[n]?.parent;
    if (p && entities[p]) visit(p);
    visiting.delete(n);
    if (!order.includes(n)) order.push(n);
  };
  for (const n of Object.keys(entities)) visit(n);
  if (problems.length) throw new Error(`defineDomain: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n  - ${[...new Set(problems)].join('\n  - ')}`);
  return Object.freeze({ entities: Object.freeze({ ...entities }), order });
}

function childCount(c: ChildCount, tier: string, s: Stream, parentPath: string): number {
  if (typeof c === 'number') return c;
  if ('byParent' in c) return c.byParent[parentPath] ?? 0;
  // `zero`: the share of parents with none (an article nobody commented on), drawn first.
  if ('logNormal' in c) return c.zero && s() < c.zero ? 0 : drawLogNormal(c.logNormal, s);
  if ('share' in c) return s() < c.share ? intBetween(s, c.of[0], c.of[1]) : 0;
  const range = c.byTier[tier] ?? c.byTier.default;
  if (!range) throw new Error(`no count for tier "${tier}" in byTier (${Object.keys(c.byTier).join(', ')}); add it or a "default"`);
  return intBetween(s, range[0], range[1]);
}

const DAY = 86_400_000;
function activity(s: Stream, notBefore?: string): string {
  const end = Date.parse(REFERENCE_DATE);
  const start = Math.max(end - 180 * DAY, notBefore ? Date.parse(notBefore) + 60_000 : 0);
  for (let attempt = 0; ; attempt++) {
    const t = start + s() * Math.max(60_000, end - start);
    const d = new Date(t);
    const weekend = d.getUTCDay() === 0 || d.getUTCDay() === 6;
    const offHours = d.getUTCHours() < 8 || d.getUTCHours() > 18;
    // Most activity on weekdays, in working hours: redraw most of the rest.
    if (attempt < 6 && ((weekend && s() < 0.8) || (offHours && s() < 0.7))) continue;
    return d.toISOString();
  }
}

/** A run of consecutive root rows of one entity and everything below them: the unit a seed generates and writes at once. */
export type Chunk = { root: string; from: number; to: number; rows: Record<string, number> };

/**
 * The plan: how many rows of each entity, by tier, before anything is generated: cheap (counts
 * only), so that a seed can be refused within a second when it would not fit. With `chunkRows`,
 * also the chunks: root rows in order, cut where a chunk's subtree rows reach `chunkRows`, with
 * each chunk's rows per entity (where a writer's keys for that chunk start).
 */
export function planDomain(
  domain: Domain,
  seed: string,
  o: { chunkRows?: number } = {},
): { rows: Record<string, number>; byTier: Record<string, Record<string, number>>; total: number; chunks: Chunk[] } {
  const rows: Record<string, number> = {};
  const byTier: Record<string, Record<string, number>> = {};
  const chunks: Chunk[] = [];
  const limit = o.chunkRows ?? Infinity;
  let open: (Chunk & { size: number }) | undefined;
  const close = () => {
    if (open) chunks.push({ root: open.root, from: open.from, to: open.to, rows: open.rows });
    open = undefined;
  };
  for (const r of walk(domain, seed, '', false)) {
    rows[r.entity] = (rows[r.entity] ?? 0) + 1;
    const t = (byTier[r.entity] ??= {});
    t[r.tier] = (t[r.tier] ?? 0) + 1;
    if (!r.parentPath) {
      // A root row starts a new chunk once the open one is full, or belongs to another entity.
      if (open && (open.root !== r.entity || open.size >= limit)) close();
      const index = Number(r.path.slice(r.entity.length + 1));
      open ??= { root: r.entity, from: index, to: index, rows: {}, size: 0 };
      open.to = index + 1;
    }
    open!.rows[r.entity] = (open!.rows[r.entity] ?? 0) + 1;
    open!.size++;
  }
  close();
  return { rows, byTier, total: Object.values(rows).reduce((a, b) => a + b, 0), chunks };
}

/** Which rows a walk yields: every row (the default), or one chunk's root rows, or the rows below them. */
export type WalkRange = { root: string; from: number; to: number; part: 'roots' | 'below' };

/** Every row of the dataset (or of `range`), parents before their children, values generated. */
export function generateDomain(domain: Domain, seed: string, runId: string, range?: WalkRange): Iterable<GeneratedRow> {
  return walk(domain, seed, runId, true, range);
}

/** A root row by its index, as the walk makes it: what a chunk needs of a root another chunk writes (its natural key). */
export function rootRow(domain: Domain, seed: string, runId: string, entity: string, index: number): GeneratedRow {
  for (const r of walk(domain, seed, runId, true, { root: entity, from: index, to: index + 1, part: 'roots' })) return r;
  throw new Error(`${entity}/${index}: no such root row (${entity} has ${domain.entities[entity]?.count ?? 0})`);
}

/** Tiers of a root entity's rows, by index: computed once per domain, seed and entity. */
const tierCache = new WeakMap<Domain, Map<string, string[]>>();
function tiersOf(domain: Domain, seed: string, root: string): string[] {
  let bySeed = tierCache.get(domain);
  if (!bySeed) tierCache.set(domain, (bySeed = new Map()));
  const key = `${seed}\0${root}`;
  let tiers = bySeed.get(key);
  if (!tiers) {
    const e = domain.entities[root]!;
    tiers = e.tiers ? assignTiers(e.tiers, e.count!, stream(seed, `tiers/${root}`)).map((t) => t.label) : Array<string>(e.count!).fill('default');
    bySeed.set(key, tiers);
  }
  return tiers;
}

function* walk(domain: Domain, seed: string, runId: string, withValues: boolean, range?: WalkRange): Generator<GeneratedRow> {
  const children = new Map<string, string[]>();
  for (const n of domain.order) {
    const p = domain.entities[n]!.parent;
    if (p) children.set(p, [...(children.get(p) ?? []), n]);
  }
  const fakers = new Map<string, Faker>();
  /** `taken`: per field, the distinct picks of the row's siblings so far. */
  const make = (entity: string, path: string, index: number, tier: string, parent: GeneratedRow | undefined, taken: Map<string, Set<number>>): GeneratedRow => {
    const row: GeneratedRow = { entity, path, tier, values: {}, ...(parent && { parentPath: parent.path }) };
    if (!withValues) return row;
    let faker = fakers.get(entity);
    if (!faker) fakers.set(entity, (faker = fakerFor(seed, `domain/${entity}`)));
    faker.seed(hash(path)); // the row's own stream: drawing more for one row shifts no other
    const s = stream(seed, `domain/${path}`);
    let field = '';
    const pick = (root: string, o: { distinct?: boolean } = {}): Ref => {
      const n = domain.entities[root]?.count;
      if (domain.entities[root]?.parent !== undefined || !n) throw new Error(`${entity}: pick("${root}") needs a root entity with rows`);
      if (!o.distinct) return { $ref: `${root}/${intBetween(s, 0, n - 1)}` };
      if (!parent) throw new Error(`${entity}: pick("${root}", { distinct: true }) is for rows under a parent (a join table's rows), not for root rows`);
      // Distinct among the siblings' picks for this field, and never the row's own ancestor of
      // that entity (nobody follows themselves): a join table's pairs stay unique.
      let mine = taken.get(field);
      if (!mine) taken.set(field, (mine = new Set()));
      const own = path.startsWith(`${root}/`) ? Number(path.slice(root.length + 1).split('/')[0]) : -1;
      const free = n - mine.size - (own >= 0 && !mine.has(own) ? 1 : 0);
      if (free <= 0) throw new Error(`${path}.${field}: pick("${root}", { distinct: true }) has no ${root} left (${n} in all); lower the count per parent or raise ${root}'s count`);
      // Draws until free: expected few draws while under half are taken, then a walk from a random start.
      for (let i = 0; i < 8; i++) {
        const k = intBetween(s, 0, n - 1);
        if (k !== own && !mine.has(k)) return (mine.add(k), { $ref: `${root}/${k}` });
      }
      for (let k = intBetween(s, 0, n - 1), i = 0; i < n; i++, k = (k + 1) % n) if (k !== own && !mine.has(k)) return (mine.add(k), { $ref: `${root}/${k}` });
      throw new Error('unreachable');
    };
    const earlier = (): Ref | null => (index === 0 ? null : { $ref: `${parent ? `${parent.path}/` : ''}${entity}/${intBetween(s, 0, index - 1)}` });
    const ctx: FieldContext = { faker, s, index, path, tier, runId, ...(parent && { parent }), time: (notBefore) => activity(s, notBefore), pick, earlier, values: row.values };
    for (const [name, f] of Object.entries(domain.entities[entity]!.fields)) {
      field = name;
      row.values[name] = f(ctx);
    }
    return row;
  };
  function* below(parent: GeneratedRow): Generator<GeneratedRow> {
    for (const child of children.get(parent.entity) ?? []) {
      const n = childCount(domain.entities[child]!.perParent!, parent.tier, stream(seed, `count/${parent.path}/${child}`), parent.path);
      const taken = new Map<string, Set<number>>();
      for (let i = 0; i < n; i++) {
        const row = make(child, `${parent.path}/${child}/${i}`, i, parent.tier, parent, taken);
        yield row;
        yield* below(row);
      }
    }
  }
  for (const root of domain.order.filter((n) => !domain.entities[n]!.parent)) {
    if (range && range.root !== root) continue;
    const e = domain.entities[root]!;
    const tiers = tiersOf(domain, seed, root);
    const taken = new Map<string, Set<number>>();
    for (let i = range?.from ?? 0; i < (range?.to ?? e.count!); i++) {
      const row = make(root, `${root}/${i}`, i, tiers[i]!, undefined, taken);
      if (range?.part !== 'below') yield row;
      if (range?.part !== 'roots') yield* below(row);
    }
  }
}

/** A 32-bit FNV-1a of a path: the faker's per-row seed. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Rows grouped by entity, in generation order: one pass, each list appended in place. */
export function groupByEntity(rows: Iterable<GeneratedRow>): Map<string, GeneratedRow[]> {
  const out = new Map<string, GeneratedRow[]>();
  for (const r of rows) {
    const list = out.get(r.entity);
    if (list) list.push(r);
    else out.set(r.entity, [r]);
  }
  return out;
}
