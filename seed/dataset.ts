/**
 * A whole dataset from a profile's knobs: planned deterministically (which account is a whale,
 * how many projects each has, how many items each project has), then seeded through the
 * backend with bounded concurrency. Ordinary accounts travel as seedAccount bodies built by
 * faker; whales (and any account too big for one request) go to seedWhaleAccount, where the
 * server generates the rows from the same plan and a faker-made text bank.
 */
import { performance } from 'node:perf_hooks';
import pLimit from 'p-limit';
import type { WhaleInput } from '../app/routes/internal/seed-schema.js';
import { assignTiers, drawLogNormal } from '../harness/seed/distributions.js';
import { buildAccount, type AccountShape, type SeedAccountBody } from './factories.js';
import { datasetName, type DatasetKnobs } from './profiles.js';

export { datasetName };
import type { RowCounts, SeedClient } from './client.js';
import { seedProgress } from '../harness/seed/progress.js';
import { fakerFor, intBetween, REFERENCE_DATE, stream } from '../harness/seed/streams.js';

/** Accounts whose estimated rows pass this go the server-side way, whatever their tier. */
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
    words: many(300, () => f.hacker.noun().toLowerCase().replace(/[^a-z0-9]+/g, '-')),
  };
}

export function whaleBody(o: { seed: string; runId: string; ttlSeconds: number; profile?: string; plan: AccountPlan; knobs: DatasetKnobs }): WhaleInput {
  const account = buildAccount({ seed: o.seed, runId: o.runId, ttlSeconds: o.ttlSeconds, path: o.plan.path, shape: { projects: 0, itemsPerProject: 0, commentDepth: 0, attachmentRate: 0, tagsPerItem: 0 } }).account;
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

export function shapeOf(plan: AccountPlan, knobs: DatasetKnobs): AccountShape {
  return { projects: plan.itemCounts.length, itemsPerProject: plan.itemCounts, commentDepth: knobs.commentDepth, attachmentRate: knobs.attachmentRate, tagsPerItem: knobs.tagsPerItem };
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
  concurrency?: number;
  onAccount?: (a: DatasetAccount, rows: number) => void;
};

type Request = { plan: AccountPlan; whale?: WhaleInput; account?: SeedAccountBody };

/** Builds one account's request: pure, deterministic, and the only client-side CPU cost. */
function buildRequest(p: AccountPlan, o: DatasetOptions): Request {
  return p.whale
    ? { plan: p, whale: whaleBody({ ...o, plan: p }) }
    : { plan: p, account: buildAccount({ seed: o.seed, runId: o.runId, ttlSeconds: o.ttlSeconds, path: p.path, profile: o.profile, shape: shapeOf(p, o.knobs) }) };
}

/** Whales first: they are the long poles, the small accounts fill in around them. */
function sendOrder(plan: AccountPlan[]): AccountPlan[] {
  return [...plan].sort((a, b) => Number(b.whale) - Number(a.whale) || b.estimatedRows - a.estimatedRows || a.index - b.index);
}

/** Generates and sends account by account: what a run does. */
export async function generateDataset(client: SeedClient, o: DatasetOptions): Promise<SeededDataset> {
  const plan = sendOrder(planDataset(o.seed, o.knobs));
  return sendRequests(client, o, plan.map((p) => () => buildRequest(p, o)), estimated(plan));
}

const estimated = (plan: AccountPlan[]) => plan.reduce((a, p) => a + p.estimatedRows, 0);

/**
 * Builds every request first, then sends them: separates the harness's generation time from
 * the endpoints' throughput (bench:seed measures the two apart).
 */
export async function generateThenSend(client: SeedClient, o: DatasetOptions): Promise<SeededDataset & { generateSeconds: number; sendSeconds: number }> {
  const t0 = performance.now();
  const plan = sendOrder(planDataset(o.seed, o.knobs));
  const built = plan.map((p) => buildRequest(p, o));
  const generateSeconds = (performance.now() - t0) / 1000;
  const sent = await sendRequests(client, o, built.map((r) => () => r), estimated(plan));
  return { ...sent, seconds: generateSeconds + sent.seconds, generateSeconds, sendSeconds: sent.seconds };
}

async function sendRequests(client: SeedClient, o: DatasetOptions, requests: (() => Request)[], planned: number): Promise<SeededDataset> {
  const started = performance.now();
  const limit = pLimit(o.concurrency ?? 3);
  const rows: RowCounts = {};
  // Rows, rows/s and time left every few seconds on a long seed (the plan's estimate is the total).
  const progress = seedProgress(`dataset ${datasetName(o.profile, o.seed, o.knobs)}`, planned);
  const accounts = await Promise.all(
    requests.map((make) =>
      limit(async () => {
        const { plan: p, whale, account } = make();
        const seeded = whale ? await client.seedWhaleAccount(whale) : await client.seedAccount(account!);
        addRows(rows, seeded.rows);
        progress.add(sumRows(seeded.rows));
        const a: DatasetAccount = { id: seeded.account.id, email: seeded.account.email, token: seeded.token, tier: p.tier, index: p.index };
        o.onAccount?.(a, sumRows(seeded.rows));
        return a;
      }),
    ),
  );
  accounts.sort((a, b) => a.index - b.index);
  return { name: datasetName(o.profile, o.seed, o.knobs), source: 'generated', accounts, rows, seconds: (performance.now() - started) / 1000 };
}

