/**
 * Factories that turn (seed, path, shape) into the seedAccount request body. Pure functions:
 * the same arguments give the same body, byte for byte.
 *
 * Realism rules kept here: foreign keys are valid by construction (children are nested in
 * their parents), items follow draft → published → archived with timestamps in that order,
 * activity clusters on weekdays in working hours, and text has realistic lengths.
 */
import type { Faker } from '@faker-js/faker';
import { fakerFor, intBetween, REFERENCE_DATE, stream, type Stream } from 'pressure-harness/seed';

export type { SeedAccountInput as SeedAccountBody, SeedComment, SeedItem, SeedProject } from '../app/routes/internal/seed-schema.js';
import type { SeedAccountInput as SeedAccountBody, SeedComment, SeedItem, SeedProject } from '../app/routes/internal/seed-schema.js';

/** How one account looks. */
export type AccountShape = {
  projects: number;
  /** Items in each project: one count for all, or one count per project. */
  itemsPerProject: number | readonly number[];
  /** Longest reply chain per item thread; an item has 0 to 2·depth comments. */
  commentDepth: number;
  /** Share of items with one or more attachments, 0–1. */
  attachmentRate: number;
  tagsPerItem: number;
};

export const TINY_ACCOUNT: AccountShape = { projects: 0, itemsPerProject: 0, commentDepth: 0, attachmentRate: 0, tagsPerItem: 0 };

export const itemsIn = (shape: Pick<AccountShape, 'itemsPerProject'>, project: number): number =>
  typeof shape.itemsPerProject === 'number' ? shape.itemsPerProject : (shape.itemsPerProject[project] ?? 0);

const DAY = 86_400_000;
const HISTORY_DAYS = 180; // activity spreads over the six months before REFERENCE_DATE

/**
 * A timestamp in the history window that looks like people made it: mostly weekdays, mostly
 * 08:00–18:00 UTC, minutes and seconds spread, microseconds set (like a real database).
 */
const END = Date.parse(REFERENCE_DATE);
const START = END - HISTORY_DAYS * DAY;

export function activityTime(s: Stream, notBefore = START): number {
  for (let attempt = 0; ; attempt++) {
    const day = Math.floor(notBefore / DAY) + Math.floor(s() * Math.max(1, (END - notBefore) / DAY));
    // Day 0 (1970-01-01) was a Thursday: the weekday by arithmetic, as getUTCDay would say it.
    const weekday = (((day + 4) % 7) + 7) % 7;
    const working = weekday !== 0 && weekday !== 6;
    if (!working && s() < 0.8 && attempt < 8) continue; // 80% of weekend draws are redrawn
    const hour = s() < 0.85 ? intBetween(s, 8, 17) : intBetween(s, 0, 23);
    const t = day * DAY + hour * 3_600_000 + Math.floor(s() * 3_600_000);
    if (t >= notBefore || attempt >= 8) return Math.max(t, notBefore);
  }
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));
const pad3 = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : String(n));
const days = new Map<number, string>();

/**
 * ISO with microseconds, e.g. 2024-09-03T14:05:11.482913Z: Date.toISOString's text, built
 * from a cached date and the time of day (millions of rows pay for it).
 */
export function iso(ms: number, s: Stream): string {
  const micros = pad3(intBetween(s, 0, 999));
  const t = Math.floor(ms);
  const day = Math.floor(t / DAY);
  let date = days.get(day);
  if (date === undefined) days.set(day, (date = new Date(day * DAY).toISOString().slice(0, 10)));
  const rem = t - day * DAY;
  const sec = Math.floor(rem / 1000);
  return `${date}T${pad2(Math.floor(sec / 3600))}:${pad2(Math.floor(sec / 60) % 60)}:${pad2(sec % 60)}.${pad3(rem % 1000)}${micros}Z`;
}

function paragraphs(f: Faker, min: number, max: number): string {
  return f.lorem.paragraphs(f.number.int({ min, max }), '\n\n');
}

export function buildItem(f: Faker, s: Stream, projectCreated: number, shape: Pick<AccountShape, 'commentDepth' | 'attachmentRate' | 'tagsPerItem'>): SeedItem {
  const created = activityTime(s, projectCreated);
  const roll = s();
  // Most work is published, a quarter still in draft, a tenth archived.
  const state: SeedItem['state'] = roll < 0.25 ? 'draft' : roll < 0.9 ? 'published' : 'archived';
  const item: SeedItem = {
    title: f.helpers.arrayElement([f.hacker.phrase(), f.company.catchPhrase(), f.lorem.sentence({ min: 4, max: 12 })]).slice(0, 200),
    body: paragraphs(f, 1, 6),
    state,
    createdAt: iso(created, s),
  };
  if (state !== 'draft') {
    const published = activityTime(s, created + 60_000);
    item.publishedAt = iso(published, s);
    if (state === 'archived') item.archivedAt = iso(activityTime(s, published + 60_000), s);
  }
  const nComments = shape.commentDepth === 0 ? 0 : intBetween(s, 0, 2 * shape.commentDepth);
  if (nComments) {
    // Each comment answers the one before it (60%) unless that chain is already commentDepth
    // deep; otherwise it starts a new top-level comment.
    let t = created;
    const depth: number[] = [];
    item.comments = Array.from({ length: nComments }, (_, i) => {
      t = activityTime(s, t + 60_000);
      const c: SeedComment = { body: f.lorem.sentences(f.number.int({ min: 1, max: 8 })), createdAt: iso(t, s) };
      if (i > 0 && depth[i - 1]! < shape.commentDepth && s() < 0.6) c.replyTo = i - 1;
      depth.push(c.replyTo === undefined ? 1 : depth[i - 1]! + 1);
      return c;
    });
  }
  if (s() < shape.attachmentRate) {
    item.attachments = Array.from({ length: intBetween(s, 1, 3) }, () => ({
      filename: f.system.fileName(),
      contentType: f.system.mimeType(),
      sizeBytes: Math.floor(1_000 * Math.exp(s() * 9)), // 1 KB – 8 MB, log-uniform
      createdAt: iso(activityTime(s, created), s),
    }));
  }
  if (shape.tagsPerItem > 0) {
    item.tags = [...new Set(Array.from({ length: intBetween(s, 0, shape.tagsPerItem) }, () => f.hacker.noun().toLowerCase()))];
  }
  return item;
}

/**
 * One account and its tree. `path` names it within the dataset (e.g. `w0/accounts/3`): its
 * values depend only on (seed, path, shape), and its email is unique per run and path.
 */
export function buildAccount(o: { seed: string; runId: string; ttlSeconds: number; path: string; shape: AccountShape; profile?: string }): SeedAccountBody {
  const f = fakerFor(o.seed, `${o.path}/account`);
  const first = f.person.firstName();
  const last = f.person.lastName();
  const company = f.company.name();
  const projects: SeedProject[] = Array.from({ length: o.shape.projects }, (_, pi) => {
    const pf = fakerFor(o.seed, `${o.path}/projects/${pi}`);
    const ps = stream(o.seed, `${o.path}/projects/${pi}/times`);
    const created = activityTime(ps);
    // One faker per project, reseeded per item: item ii draws from its own named stream
    // (`…/items#ii`) without paying for a new Faker each time.
    const itemFaker = fakerFor(o.seed, `${o.path}/projects/${pi}/items`);
    return {
      name: `${pf.commerce.productAdjective()} ${pf.commerce.product()} ${pf.word.noun()}`.slice(0, 200),
      description: pf.lorem.paragraph(),
      createdAt: iso(created, ps),
      items: Array.from({ length: itemsIn(o.shape, pi) }, (_, ii) => {
        itemFaker.seed(ii);
        return buildItem(itemFaker, stream(o.seed, `${o.path}/projects/${pi}/items/${ii}`), created, o.shape);
      }),
    };
  });
  const slug = o.path.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
  return {
    runId: o.runId,
    ttlSeconds: o.ttlSeconds,
    seed: o.seed,
    ...(o.profile && { profile: o.profile }),
    account: { name: `${first} ${last} (${company})`.slice(0, 200), email: `${slug}@${o.runId}.test.invalid` },
    projects,
  };
}
