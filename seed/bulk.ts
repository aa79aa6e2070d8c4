/**
 * app/'s dataset rows in COPY text, generated on worker threads (pressure-harness/src/seed/workers.ts) and
 * sent to POST /internal/test/bulk/rows/{table}. A chunk is a run of whole projects; its rows
 * depend only on (seed, account path, project index) and the ids it was given, never on how
 * the dataset was cut into chunks or on which thread made them.
 *
 * Text comes from a faker-made bank (built once per thread from the seed) and is picked per
 * row from the project's own stream: real words and realistic lengths, at a cost per row a
 * dataset of millions can pay. The realism rules are factories.ts's: activity on weekdays in
 * working hours, draft → published → archived in order, reply chains no deeper than the
 * profile's comment depth.
 */
import { CopyBuffer, copyField } from 'pressure-harness/seed';
import { bulkAgent, postBulkRows, type BulkAgent, type BulkTransport } from './client.js';
import { fakerFor, intBetween, stream, type Stream } from 'pressure-harness/seed';
import { activityTime, iso } from './factories.js';

export type IdRanges = [string, string][];
/** One project of a chunk: its account, its position in the account, and its size. */
export type ChunkProject = { accountId: string; accountPath: string; author: string; project: number; items: number; tagIds: string[]; firstOfAccount: boolean };
export type ChunkTask = {
  seed: string;
  runId: string;
  /** ISO timestamp every row expires at. */
  expiresAt: string;
  commentDepth: number;
  attachmentRate: number;
  tagsPerItem: number;
  projects: ChunkProject[];
  ids: { projects: IdRanges; items: IdRanges; comments: IdRanges };
};
export const CHUNK_TABLES = ['projects', 'tags', 'items', 'comments', 'attachments', 'item_tags'] as const;
export type ChunkTable = (typeof CHUNK_TABLES)[number];
export type ChunkRows = Record<ChunkTable, { rows: number; bytes: Uint8Array }>;

/** How many tags an account's vocabulary holds: grows with its items, within 2·tagsPerItem…40. */
export function vocabularySize(items: number, tagsPerItem: number): number {
  return tagsPerItem === 0 ? 0 : Math.min(40, Math.max(2 * tagsPerItem, Math.ceil(Math.sqrt(items))));
}

/** The comment count of each item of a project: its own stream, so the caller can count ids without generating. */
export function commentCounts(seed: string, accountPath: string, project: number, items: number, commentDepth: number): number[] {
  if (commentDepth === 0) return new Array<number>(items).fill(0);
  const s = stream(seed, `${accountPath}/projects/${project}/comment-counts`);
  return Array.from({ length: items }, () => intBetween(s, 0, 2 * commentDepth));
}

type Bank = ReturnType<typeof makeBank>;
const ATTACHMENT_TYPES: [string, string][] = [
  ['pdf', 'application/pdf'],
  ['png', 'image/png'],
  ['jpg', 'image/jpeg'],
  ['csv', 'text/csv'],
  ['docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
  ['xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
  ['zip', 'application/zip'],
  ['txt', 'text/plain'],
];

function makeBank(seed: string) {
  const f = fakerFor(seed, 'dataset/bank');
  // Stored escaped for COPY: a row is then plain concatenation.
  const many = (n: number, make: () => string) => Array.from({ length: n }, () => copyField(make()));
  return {
    adjectives: many(120, () => f.commerce.productAdjective()),
    products: many(120, () => f.commerce.product()),
    nouns: many(300, () => f.word.noun()),
    descriptions: many(400, () => f.lorem.paragraph()),
    titles: many(3000, () => f.helpers.arrayElement([f.hacker.phrase(), f.company.catchPhrase(), f.lorem.sentence({ min: 4, max: 12 })]).slice(0, 200)),
    paragraphs: many(4000, () => f.lorem.paragraph()),
    comments: many(3000, () => f.lorem.sentences(f.number.int({ min: 1, max: 8 }))),
    words: [
      ...new Set(
        many(800, () =>
          f.helpers
            .arrayElement([f.hacker.noun(), f.word.noun(), f.commerce.department()])
            .toLowerCase()
            .replace(/[^a-z0-9]+/g, '-'),
        ),
      ),
    ],
  };
}

const banks = new Map<string, Bank>();
const bankFor = (seed: string) => banks.get(seed) ?? (banks.set(seed, makeBank(seed)), banks.get(seed)!);
/** Builds the seed's text bank ahead of the first chunk (the worker pool's warm-up). */
export function warmBank(seed: string): void {
  bankFor(seed);
}

const pick = <T>(s: Stream, list: readonly T[]): T => list[Math.floor(s() * list.length)]!;

/** Hands out ids from reserved ranges, in order. */
export function idSource(ranges: IdRanges): () => string {
  let r = 0;
  let next = ranges.length ? Number(ranges[0]![0]) : 0;
  return () => {
    const range = ranges[r];
    if (!range) throw new Error('the chunk ran out of reserved ids: its counts and its rows disagree');
    const id = next;
    if (id >= Number(range[1])) {
      r++;
      next = ranges[r] ? Number(ranges[r]![0]) : 0;
    } else next++;
    return String(id);
  };
}

/** The names of an account's tags: distinct words of the bank, from the account's own stream. */
export function vocabulary(seed: string, accountPath: string, size: number): string[] {
  const words = bankFor(seed).words;
  const s = stream(seed, `${accountPath}/tags`);
  const chosen = new Set<string>();
  // Exactly `size` names (the caller reserved that many ids): past the bank's distinct words, numbered ones.
  for (let draws = 0; chosen.size < size; draws++) {
    const w = pick(s, words);
    chosen.add(draws < 8 * size ? w : `${w}-${chosen.size}`);
  }
  return [...chosen];
}

/** Generates one chunk's rows. Exported for the worker pool (pressure-harness/src/seed/workers.ts). */
export function generateChunk(t: ChunkTask): ChunkRows {
  const steps = chunkSteps(t);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** Items between the points where generating may pause (chunkSteps). */
const STEP_ITEMS = 64;

/** A chunk's rows, made in steps: the generator pauses every STEP_ITEMS items, so that a caller can let I/O run. */
function* chunkSteps(t: ChunkTask): Generator<void, ChunkRows> {
  const bank = bankFor(t.seed);
  const out = Object.fromEntries(CHUNK_TABLES.map((k) => [k, new CopyBuffer()])) as Record<ChunkTable, CopyBuffer>;
  const projectId = idSource(t.ids.projects);
  const itemId = idSource(t.ids.items);
  const commentId = idSource(t.ids.comments);
  // Every row ends with its run ID and expiry.
  const tail = `\t${copyField(t.runId)}\t${copyField(t.expiresAt)}`;

  for (const p of t.projects) {
    if (p.firstOfAccount && p.tagIds.length) {
      vocabulary(t.seed, p.accountPath, p.tagIds.length).forEach((name, k) => out.tags.line(`${p.tagIds[k]}\t${p.accountId}\t${name}${tail}`));
    }
    const base = `${p.accountPath}/projects/${p.project}`;
    const ps = stream(t.seed, `${base}/times`);
    const created = activityTime(ps);
    const createdIso = iso(created, ps);
    const pid = projectId();
    const cs = stream(t.seed, `${base}/content`);
    const name = `${pick(cs, bank.adjectives)} ${pick(cs, bank.products)} ${pick(cs, bank.nouns)}`.slice(0, 200);
    out.projects.line(`${pid}\t${p.accountId}\t${name}\t${pick(cs, bank.descriptions)}\t${createdIso}\t${createdIso}${tail}`);
    const author = copyField(p.author);

    const nComments = commentCounts(t.seed, p.accountPath, p.project, p.items, t.commentDepth);
    for (let i = 0; i < p.items; i++) {
      if (i % STEP_ITEMS === STEP_ITEMS - 1) yield;
      const iid = itemId();
      const itemCreated = activityTime(cs, created);
      const roll = cs();
      // Most work is published, a quarter still in draft, a tenth archived.
      const state = roll < 0.25 ? 'draft' : roll < 0.9 ? 'published' : 'archived';
      let body = pick(cs, bank.paragraphs);
      for (let k = intBetween(cs, 1, 6); k > 1; k--) body += `\\n\\n${pick(cs, bank.paragraphs)}`; // an escaped blank line between paragraphs
      const createdAt = iso(itemCreated, cs);
      let publishedAt = '\\N';
      let archivedAt = '\\N';
      let updatedAt = createdAt;
      if (state !== 'draft') {
        const published = activityTime(cs, itemCreated + 60_000);
        publishedAt = updatedAt = iso(published, cs);
        if (state === 'archived') archivedAt = updatedAt = iso(activityTime(cs, published + 60_000), cs);
      }
      out.items.line(`${iid}\t${pid}\t${p.accountId}\t${pick(cs, bank.titles)}\t${body}\t${state}\t${createdAt}\t${updatedAt}\t${publishedAt}\t${archivedAt}${tail}`);

      // Each comment answers the one before it (60%) unless that chain is commentDepth deep already.
      let at = itemCreated;
      let prevId = '\\N';
      let depth = 0;
      for (let c = 0; c < nComments[i]!; c++) {
        at = activityTime(cs, at + 60_000);
        const reply = c > 0 && depth < t.commentDepth && cs() < 0.6;
        depth = reply ? depth + 1 : 1;
        const cid = commentId();
        out.comments.line(`${cid}\t${iid}\t${p.accountId}\t${reply ? prevId : '\\N'}\t${author}\t${pick(cs, bank.comments)}\t${iso(at, cs)}${tail}`);
        prevId = cid;
      }
      if (cs() < t.attachmentRate) {
        for (let a = intBetween(cs, 1, 3); a > 0; a--) {
          const [ext, type] = pick(cs, ATTACHMENT_TYPES);
          const size = Math.floor(1_000 * Math.exp(cs() * 9)); // 1 KB – 8 MB, log-uniform
          out.attachments.line(`${iid}\t${p.accountId}\t${pick(cs, bank.words)}-${pick(cs, bank.words)}.${ext}\t${type}\t${size}\t${iso(activityTime(cs, itemCreated), cs)}${tail}`);
        }
      }
      if (p.tagIds.length) {
        const tags = new Set<string>();
        for (let k = intBetween(cs, 0, Math.min(t.tagsPerItem, p.tagIds.length)); k > 0; k--) tags.add(pick(cs, p.tagIds));
        for (const tag of tags) out.item_tags.line(`${iid}\t${tag}\t${p.accountId}${tail}`);
      }
    }
  }
  return Object.fromEntries(CHUNK_TABLES.map((k) => [k, out[k].take()])) as ChunkRows;
}

/** A chunk to generate and send from the worker: where to, and the run's TTL the endpoint asks for. */
export type SendTask = ChunkTask & { transport: BulkTransport; ttlSeconds: number };
export type SentRows = Record<ChunkTable, number>;

let agent: BulkAgent | undefined;
/** The end of the last generation asked for on this thread: chunks are generated one at a time, in order. */
let generating: Promise<unknown> = Promise.resolve();
/** How long a generation runs before it lets this thread's I/O (earlier chunks' requests) go on. */
const SLICE_MS = 4;

/**
 * Generates one chunk and sends it to the bulk endpoints from this thread, parents before
 * children, each table one request (one transaction); returns the rows sent per table. The bytes
 * never travel to the calling thread: handing it 250 MB a medium dataset in transferred buffers
 * made its garbage collector run a full collection of its own heap every few chunks (a second of
 * CPU a seed in a process with Playwright loaded). Exported for the worker pool.
 *
 * A worker holds several chunks: they are generated one after another, oldest first, and a
 * generation pauses every few milliseconds for the requests of the chunks before it. Generated
 * side by side, or without pauses, the first rows waited for three chunks to be made, and a
 * chunk's next table waited for the whole of another chunk's generation.
 */
export async function generateAndSend(t: SendTask): Promise<SentRows> {
  // After the generation before it, whether that one succeeded or not (its own caller hears of a failure).
  const generate = () => sliced(chunkSteps(t));
  const made = generating.then(generate, generate);
  generating = made;
  const rows = await made;
  agent ??= bulkAgent();
  const sent = {} as SentRows;
  for (const table of CHUNK_TABLES) {
    const { rows: count, bytes } = rows[table];
    sent[table] = count;
    if (count > 0) await postBulkRows(t.transport, agent, table, { runId: t.runId, ttlSeconds: t.ttlSeconds, rows: count }, bytes);
  }
  return sent;
}

/** Runs a generator to its end, letting the event loop run every SLICE_MS. */
async function sliced<R>(steps: Generator<void, R>): Promise<R> {
  let since = performance.now();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (performance.now() - since >= SLICE_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      since = performance.now();
    }
  }
}
