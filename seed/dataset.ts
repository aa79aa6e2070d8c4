/**
 * A whole dataset from a profile's knobs: planned deterministically (which account is a whale,
 * how many projects each has, how many items each project has), then seeded through app/'s
 * bulk endpoints: rows generated on worker threads (bulk.ts) as COPY text and sent from there,
 * while earlier chunks are being written. The whale route (seedWhaleAccount, server-side
 * generation) stays for tests that want one whale on its own (fixtures/perf.ts).
 */
import { performance } from 'node:perf_hooks';
import pLimit from 'p-limit';
import type { WhaleInput } from '../app/routes/internal/seed-schema.js';
import { assignTiers, drawLogNormal } from 'pressure-harness/seed';
import { buildAccount, TINY_ACCOUNT } from './factories.js';
import { CHUNK_TABLES, commentCounts, idSource, vocabularySize, type ChunkProject, type ChunkRows, type ChunkTask, type SendTask, type SentRows } from './bulk.js';
import { defaultThreads, generatorPool, type GeneratorPool } from 'pressure-harness/seed';
import { datasetName, type DatasetKnobs } from './profiles.js';

export { datasetName };
import type { BulkTransport, IdRanges, RowCounts, SeedClient } from './client.js';
import { seedProgress, type Progress } from 'pressure-harness/seed';
import { fakerFor, intBetween, REFERENCE_DATE, stream } from 'pressure-harness/seed';

/** Accounts whose estimated rows pass this are sent first with the whales, whatever their tier (the long poles). */
export const WHALE_ROWS = 20_000;

export type AccountPlan = { index: number; path: string; tier: string; itemCounts: number[]; estimatedRows: number; whale: boolean };

export function estimateRows(itemCounts: number[], knobs: Pick<DatasetKnobs, 'commentDepth' | 'attachmentRate' | 'tagsPerItem'>): number {
  const items = itemCounts.reduce((a, b) => a + b, 0);
  // Means: depth comments per item, 2 attachments at the rate, tagsPerItem/2 tags.
  return 2 + itemCounts.length + Math.round(items * (1 + knobs.commentDepth + 2 * knobs.attachmentRate + knobs.tagsPerItem / 2));
}

export function planDataset(seed: string, knobs: DatasetKnobs): AccountPlan[] {
  const tiers = assignTiers(knobs.projectsPerAccount, knobs.accounts, stream(seed, 'dataset/tiers'));
  return tiers.map((tier, index) => {
    const path = `dataset/accounts/${index}`;
    const projects = intBetween(stream(seed, `${path}/shape`), tier.min, tier.max);
    const itemCounts = Array.from({ length: projects }, (_, j) => drawLogNormal(knobs.itemsPerProject, stream(seed, `${path}/projects/${j}/size`)));
    const estimatedRows = estimateRows(itemCounts, knobs);
    return { index, path, tier: tier.label, itemCounts, estimatedRows, whale: tier.label === 'whale' || estimatedRows > WHALE_ROWS };
  });
}

/** Faker-made text for a whale's server-side generation: realistic lengths, from its own stream. */
export function textBank(seed: string, path: string): WhaleInput['bank'] {
  const f = fakerFor(seed, `${path}/bank`);
  const many = <T>(n: number, make: () => T) => Array.from({ length: n }, make);
  return {
    projectNames: many(200, () => `${f.commerce.productAdjective()} ${f.commerce.product()}`),
    titles: many(600, () => f.helpers.arrayElement([f.hacker.phrase(), f.company.catchPhrase(), f.lorem.sentence({ min: 4, max: 12 })]).slice(0, 200)),
    paragraphs: many(600, () => f.lorem.paragraph({ min: 2, max: 9 })),
    comments: many(600, () => f.lorem.sentences(f.number.int({ min: 1, max: 8 }))),
    words: many(300, () =>
      f.hacker
        .noun()
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-'),
    ),
  };
}

export function whaleBody(o: { seed: string; runId: string; ttlSeconds: number; profile?: string; plan: AccountPlan; knobs: DatasetKnobs }): WhaleInput {
  const account = buildAccount({
    seed: o.seed,
    runId: o.runId,
    ttlSeconds: o.ttlSeconds,
    path: o.plan.path,
    shape: { projects: 0, itemsPerProject: 0, commentDepth: 0, attachmentRate: 0, tagsPerItem: 0 },
  }).account;
  return {
    runId: o.runId,
    ttlSeconds: o.ttlSeconds,
    seed: `${o.seed}:${o.plan.path}`,
    ...(o.profile && { profile: o.profile }),
    account,
    itemCounts: o.plan.itemCounts,
    commentDepth: o.knobs.commentDepth,
    attachmentRate: o.knobs.attachmentRate,
    tagsPerItem: o.knobs.tagsPerItem,
    referenceDate: REFERENCE_DATE,
    bank: textBank(o.seed, o.plan.path),
  };
}

export type DatasetAccount = { id: string; email: string; token: string; tier: string; index: number };
export type SeededDataset = { name: string; source: 'generated' | 'restored' | 'shared'; accounts: DatasetAccount[]; rows: RowCounts; seconds: number };

export const sumRows = (counts: RowCounts) => Object.values(counts).reduce((a, b) => a + b, 0);

function addRows(total: RowCounts, more: RowCounts) {
  for (const [k, v] of Object.entries(more)) total[k] = (total[k] ?? 0) + v;
}

export type DatasetOptions = {
  seed: string;
  runId: string;
  ttlSeconds: number;
  profile: string;
  knobs: DatasetKnobs;
  /** Chunks in flight at once (generating or sending). Default: the generator threads + 2. */
  concurrency?: number;
  /** Generator threads; 0 generates on this thread. Default: defaultThreads(), or 0 for a dataset under SMALL_DATASET rows. */
  threads?: number;
  /** Estimated rows per chunk (CHUNK_ROWS by default). */
  chunkRows?: number;
  onAccount?: (a: DatasetAccount, rows: number) => void;
};

/** Estimated rows under which workers cost more to start than they save. */
export const SMALL_DATASET = 20_000;
/** Estimated rows per chunk: big enough to keep COPY busy, small enough to overlap generating and sending. */
export const CHUNK_ROWS = 25_000;

type PlannedChunk = { projects: (Omit<ChunkProject, 'accountId' | 'author' | 'tagIds'> & { account: AccountPlan })[]; rows: number };

/**
 * Cuts the dataset into chunks of whole projects, the biggest accounts first (they are the long
 * poles), after a ramp: the first chunks are an eighth, a quarter and a half of `chunkRows`,
 * made of the smallest accounts' projects, so that the first rows reach the database while the
 * full-size chunks are still being made.
 */
export function planChunks(plan: AccountPlan[], chunkRows = CHUNK_ROWS): PlannedChunk[] {
  type Entry = PlannedChunk['projects'][number] & { rows: number };
  const entries: Entry[] = sendOrder(plan).flatMap((a) => {
    const perItem =
      a.estimatedRows /
      Math.max(
        1,
        a.itemCounts.reduce((x, y) => x + y, 0),
      );
    return a.itemCounts.map((items, project) => ({ account: a, accountPath: a.path, project, items, firstOfAccount: project === 0, rows: 1 + items * perItem }));
  });
  const cut = (list: Entry[], sizes: (k: number) => number, until = Infinity): PlannedChunk[] => {
    const chunks: PlannedChunk[] = [];
    let current: PlannedChunk = { projects: [], rows: 0 };
    for (const { rows, ...p } of list) {
      if (chunks.length >= until) break;
      current.projects.push(p);
      current.rows += rows;
      if (current.rows >= sizes(chunks.length)) {
        chunks.push(current);
        current = { projects: [], rows: 0 };
      }
    }
    if (current.projects.length && chunks.length < until) chunks.push(current);
    return chunks;
  };
  const RAMP = [8, 4, 2];
  const ramp = cut([...entries].reverse(), (k) => chunkRows / RAMP[k]!, RAMP.length);
  const taken = ramp.reduce((n, c) => n + c.projects.length, 0);
  return [...ramp, ...cut(entries.slice(0, entries.length - taken), () => chunkRows)];
}

/** Whales first: they are the long poles, the small accounts fill in around them. */
function sendOrder(plan: AccountPlan[]): AccountPlan[] {
  return [...plan].sort((a, b) => Number(b.whale) - Number(a.whale) || b.estimatedRows - a.estimatedRows || a.index - b.index);
}

const estimated = (plan: AccountPlan[]) => plan.reduce((a, p) => a + p.estimatedRows, 0);

/**
 * Generates the dataset into the run: accounts and their tokens first (one request per 1,000),
 * then chunks of whole projects, generated on worker threads and sent from them as COPY text to
 * the bulk endpoints while earlier chunks are written, then one set-based check of every foreign key.
 */
export async function generateDataset(client: SeedClient, o: DatasetOptions): Promise<SeededDataset> {
  const started = performance.now();
  const plan = planDataset(o.seed, o.knobs);
  const planned = estimated(plan);
  const name = datasetName(o.profile, o.seed, o.knobs);
  const progress = seedProgress(`dataset ${name}`, planned);

  // Workers start now, loading while the accounts are created. With a direct transport they send
  // what they make (generateAndSend), several chunks each: one generates while the others' rows
  // travel. Inline, or without one, this thread sends.
  const threads = o.threads ?? (planned < SMALL_DATASET ? 0 : defaultThreads());
  const concurrency = o.concurrency ?? threads + 2;
  const sender = threads > 0 ? client.bulk : undefined;
  const pool = generatorPool<ChunkTask | SendTask, ChunkRows | SentRows>({
    module: new URL('./bulk.ts', import.meta.url),
    exportName: sender ? 'generateAndSend' : 'generateChunk',
    threads,
    tasksPerWorker: sender ? Math.ceil(concurrency / threads) : 1,
    warm: { exportName: 'warmBank', arg: o.seed },
  });
  try {
    return await seedWithPool(client, o, { plan, name, progress, pool, concurrency, sender, started });
  } finally {
    await pool.close();
  }
}

async function seedWithPool(
  client: SeedClient,
  o: DatasetOptions,
  s: { plan: AccountPlan[]; name: string; progress: Progress; pool: GeneratorPool<ChunkTask | SendTask, ChunkRows | SentRows>; concurrency: number; sender?: BulkTransport; started: number },
): Promise<SeededDataset> {
  const { plan, name, progress, pool, concurrency, sender, started } = s;
  const rows: RowCounts = {};
  const tag = { runId: o.runId, ttlSeconds: o.ttlSeconds };
  const chunks = planChunks(plan, o.chunkRows);
  const counts = chunks.map((c) => ({
    projects: c.projects.length,
    items: c.projects.reduce((n, p) => n + p.items, 0),
    comments: c.projects.reduce((n, p) => n + commentCounts(o.seed, p.accountPath, p.project, p.items, o.knobs.commentDepth).reduce((x, y) => x + y, 0), 0),
  }));
  // Each account's tag vocabulary: its ids reserved with the others', its rows written with its first project.
  const vocab = plan.map((p) =>
    vocabularySize(
      p.itemCounts.reduce((x, y) => x + y, 0),
      o.knobs.tagsPerItem,
    ),
  );

  // Accounts (names and emails as factories.ts makes them, ids and tokens from the backend) and
  // every id the chunks need, side by side: a few requests, not one per chunk.
  const names = new Map<number, string>();
  const createAccounts = async () => {
    const made: DatasetAccount[] = [];
    for (let i = 0; i < plan.length; i += 1000) {
      const batch = plan.slice(i, i + 1000);
      const bodies = batch.map((p) => buildAccount({ seed: o.seed, runId: o.runId, ttlSeconds: o.ttlSeconds, path: p.path, shape: TINY_ACCOUNT }).account);
      const out = await client.bulkAccounts({ ...tag, seed: o.seed, profile: o.profile, accounts: bodies });
      batch.forEach((p, k) => names.set(p.index, bodies[k]!.name));
      out.forEach((m, k) => made.push({ id: m.id, email: m.email, token: m.token, tier: batch[k]!.tier, index: batch[k]!.index }));
      addRows(rows, { accounts: batch.length, api_tokens: batch.length });
      progress.add(2 * batch.length);
    }
    return made;
  };
  // The chunks' own ids are reserved as each chunk starts (a few milliseconds): reserving them
  // all first kept the first chunk waiting on half a million nextval calls. The first chunks'
  // and the tags' are reserved while the partitions are made (ids need no partition).
  const early = new Map(chunks.slice(0, concurrency).map((_, k) => [k, reserveChunk(client, o.runId, counts[k]!)] as const));
  const tagRanges = reserveAll(
    client,
    o.runId,
    'tags',
    vocab.reduce((x, y) => x + y, 0),
  );
  const [accounts] = await Promise.all([client.bulkBegin(o.runId).then(createAccounts), tagRanges, ...early.values()]);
  const byIndex = new Map(accounts.map((a) => [a.index, a]));
  const nextTag = idSource(await tagRanges);
  const tagIds = new Map(plan.map((p, k) => [p.index, Array.from({ length: vocab[k]! }, nextTag)] as const));

  // Accounts are done when their last chunk is: count chunks per account.
  const left = new Map<number, number>();
  const written = new Map<number, number>();
  for (const c of chunks) for (const a of new Set(c.projects.map((p) => p.account.index))) left.set(a, (left.get(a) ?? 0) + 1);
  const finish = (index: number, n: number) => {
    written.set(index, (written.get(index) ?? 0) + n);
    const rest = (left.get(index) ?? 0) - 1;
    left.set(index, rest);
    if (rest <= 0) o.onAccount?.(byIndex.get(index)!, written.get(index)! + 2);
  };
  for (const a of accounts) if (!left.has(a.index)) o.onAccount?.(a, 2);

  const expiresAt = new Date(Date.now() + o.ttlSeconds * 1000).toISOString();
  const limit = pLimit(concurrency);
  await Promise.all(
    chunks.map((c, k) =>
      limit(async () => {
        const ids = await (early.get(k) ?? reserveChunk(client, o.runId, counts[k]!));
        const task: ChunkTask = {
          seed: o.seed,
          runId: o.runId,
          expiresAt,
          commentDepth: o.knobs.commentDepth,
          attachmentRate: o.knobs.attachmentRate,
          tagsPerItem: o.knobs.tagsPerItem,
          ids,
          projects: c.projects.map(({ account, ...p }) => ({ ...p, accountId: byIndex.get(account.index)!.id, author: names.get(account.index)!, tagIds: tagIds.get(account.index)! })),
        };
        let n = 0;
        const wrote = (table: string, count: number) => {
          addRows(rows, { [table]: count });
          progress.add(count);
          n += count;
        };
        if (sender) {
          const sent = (await pool.run({ ...task, transport: sender, ttlSeconds: o.ttlSeconds })) as SentRows;
          for (const table of CHUNK_TABLES) if (sent[table]) wrote(table, sent[table]);
        } else {
          const made = (await pool.run(task)) as ChunkRows;
          // Parents before children: each request is its own transaction; the keys are checked at the end.
          for (const table of CHUNK_TABLES) {
            const { rows: count, bytes } = made[table];
            if (count === 0) continue;
            await client.bulkRows(table, { ...tag, rows: count }, bytes);
            wrote(table, count);
          }
        }
        const perAccount = new Map<number, number>();
        for (const p of c.projects) perAccount.set(p.account.index, 0);
        // Rows are not told apart by account in a chunk: the account's share is its items'.
        const items = c.projects.reduce((x, p) => x + p.items, 0) || 1;
        for (const p of c.projects) perAccount.set(p.account.index, perAccount.get(p.account.index)! + Math.round((n * p.items) / items));
        for (const [index, share] of perAccount) finish(index, share);
      }),
    ),
  );
  await client.bulkVerify(o.runId);
  accounts.sort((a, b) => a.index - b.index);
  return { name, source: 'generated', accounts, rows, seconds: (performance.now() - started) / 1000 };
}

/** Reserves n ids of a table, in requests of at most MAX_IDS_PER_REQUEST. */
async function reserveAll(client: SeedClient, runId: string, table: 'projects' | 'items' | 'comments' | 'tags', n: number): Promise<IdRanges> {
  const out: IdRanges = [];
  for (let left = n; left > 0; left -= MAX_IDS_PER_REQUEST) out.push(...(await client.bulkIds(runId, { [table]: Math.min(left, MAX_IDS_PER_REQUEST) }))[table]);
  return out;
}
const MAX_IDS_PER_REQUEST = 1_000_000;

/** One chunk's ids, in one request unless a table needs more than one request takes. */
async function reserveChunk(client: SeedClient, runId: string, counts: Record<'projects' | 'items' | 'comments', number>): Promise<Record<'projects' | 'items' | 'comments', IdRanges>> {
  if (Math.max(counts.projects, counts.items, counts.comments) <= MAX_IDS_PER_REQUEST) return client.bulkIds(runId, counts);
  const [projects, items, comments] = await Promise.all((['projects', 'items', 'comments'] as const).map((t) => reserveAll(client, runId, t, counts[t])));
  return { projects: projects!, items: items!, comments: comments! };
}
