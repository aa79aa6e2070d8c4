/**
 * The seed-endpoints adapter: a declared domain (seed/domain.ts) sent to a backend's own
 * seed endpoint, one root row with its whole tree per request: the shape such endpoints take
 * (children nested in their parents, so no request can hold a dangling reference). The backend
 * tags what it writes with the run and an expiry, and removes it through its run endpoints; the
 * suite says only how a tree becomes its endpoint's body (`send`).
 */
import pLimit from 'p-limit';
import { type Domain, generateDomain, type GeneratedRow, planDomain } from './domain.js';
import { seedProgress } from './progress.js';

/** A root row and everything below it, children grouped by entity, in generation order. */
export type Tree = { row: GeneratedRow; children: Record<string, Tree[]> };

export type EndpointsSeedOptions<R> = {
  domain: Domain;
  seed: string;
  runId: string;
  /** Sends one root's tree; returns what the suite keeps of it (an id, a token). */
  send: (tree: Tree) => Promise<R>;
  concurrency?: number;
  maxRows?: number;
};

/** The dataset as trees, one per root row. */
export function treesOf(domain: Domain, seed: string, runId: string): Tree[] {
  const roots: Tree[] = [];
  const byPath = new Map<string, Tree>();
  for (const row of generateDomain(domain, seed, runId)) {
    const node: Tree = { row, children: {} };
    byPath.set(row.path, node);
    if (!row.parentPath) roots.push(node);
    else (byPath.get(row.parentPath)!.children[row.entity] ??= []).push(node);
  }
  return roots;
}

const size = (t: Tree): number =>
  1 +
  Object.values(t.children)
    .flat()
    .reduce((a, c) => a + size(c), 0);

export async function seedEndpoints<R>(o: EndpointsSeedOptions<R>): Promise<{ results: R[]; rows: Record<string, number>; seconds: number; rowsPerSec: number }> {
  const plan = planDomain(o.domain, o.seed);
  if (o.maxRows !== undefined && plan.total > o.maxRows) throw new Error(`endpoint seeding: the plan has ${plan.total} rows, over the limit of ${o.maxRows}`);
  const trees = treesOf(o.domain, o.seed, o.runId);
  const progress = seedProgress(`seed endpoints ${o.runId}`, plan.total);
  const limit = pLimit(o.concurrency ?? 4);
  const results = await Promise.all(
    trees.map((t) =>
      limit(async () => {
        const r = await o.send(t);
        progress.add(size(t));
        return r;
      }),
    ),
  );
  const done = progress.done();
  return { results, rows: plan.rows, seconds: done.seconds, rowsPerSec: done.rowsPerSec };
}
