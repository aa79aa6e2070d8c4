/**
 * A dataset's plan, before any row is written: accounts by tier, whales, rows per table, bytes on
 * disk and time at this machine's measured rate, checked against the seed budget and the free
 * disk. Over either, the run stops at once, naming the knob to change and what would fit,
 * instead of failing deep into a seed (or into a full disk).
 *
 * Bytes and time are estimated at this machine's measured figures (bench-results/scale.json of
 * npm run bench:scale, else seed.json of bench:seed: bytes per row of a saved, vacuumed dataset
 * with its indexes, rows/s through the endpoints), else at the fallbacks below.
 */
import { existsSync, readFileSync, statfsSync } from 'node:fs';
import path from 'node:path';
import { planDataset } from './dataset.js';
import type { DatasetKnobs } from './profiles.js';

/** When no benchmark ran here: a row of app/'s schema with its indexes, as saved `medium` and `xl` datasets measured (640–700 B). */
export const BYTES_PER_ROW = 700;
/** Free disk kept beyond the estimate: indexes grow while built, WAL, a template clone. */
export const DISK_HEADROOM = 1.5;
/** When bench:seed has not run here: the endpoints' rate on this kind of machine. */
const FALLBACK_ROWS_PER_SEC = 75_000;

export type DatasetPlan = {
  profile: string;
  accounts: number;
  byTier: Record<string, number>;
  whales: number;
  rows: Record<string, number>;
  totalRows: number;
  bytes: number;
  seconds: number;
  rowsPerSec: number;
  limits: { maxRows: number; freeBytes: number | null; dataDir: string | null };
  /** Why it does not fit, each naming the knob to change; empty when it fits. */
  problems: string[];
};

/**
 * The endpoints' rows/s and the bytes a row takes on disk, as measured on this machine: by
 * bench:scale (the bigger dataset, closer to what a plan is about) or else bench:seed.
 */
export function measured(dir = 'bench-results'): { rowsPerSec: number; bytesPerRow: number } {
  const read = (file: string) => {
    try {
      return JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { rowsPerSec?: unknown; bytesPerRow?: unknown };
    } catch {
      return {};
    }
  };
  const [scale, seed] = [read('scale.json'), read('seed.json')];
  const pick = (k: 'rowsPerSec' | 'bytesPerRow', fallback: number) => [scale[k], seed[k]].find((v): v is number => typeof v === 'number' && v > 0) ?? fallback;
  return { rowsPerSec: pick('rowsPerSec', FALLBACK_ROWS_PER_SEC), bytesPerRow: pick('bytesPerRow', BYTES_PER_ROW) };
}

/** Free bytes on the filesystem that holds `dir` (or its nearest existing parent). */
export function freeBytes(dir: string): number {
  let d = path.resolve(dir);
  while (!existsSync(d)) d = path.dirname(d);
  const s = statfsSync(d);
  return s.bavail * s.bsize;
}

export function planOf(profile: string, seed: string, knobs: DatasetKnobs, o: { maxRows: number; dataDir?: string; rowsPerSec?: number; bytesPerRow?: number }): DatasetPlan {
  const accounts = planDataset(seed, knobs);
  const byTier: Record<string, number> = {};
  for (const a of accounts) byTier[a.tier] = (byTier[a.tier] ?? 0) + 1;
  const projects = accounts.reduce((n, a) => n + a.itemCounts.length, 0);
  const items = accounts.reduce((n, a) => n + a.itemCounts.reduce((x, y) => x + y, 0), 0);
  // The same means estimateRows uses: depth comments per item, 2 attachments at the rate, tagsPerItem/2 tags.
  const rows = {
    accounts: accounts.length,
    api_tokens: accounts.length,
    projects,
    items,
    comments: Math.round(items * knobs.commentDepth),
    attachments: Math.round(items * 2 * knobs.attachmentRate),
    item_tags: Math.round((items * knobs.tagsPerItem) / 2),
  };
  const totalRows = Object.values(rows).reduce((a, b) => a + b, 0);
  const here = measured();
  const bytes = totalRows * (o.bytesPerRow ?? here.bytesPerRow);
  const rowsPerSec = o.rowsPerSec ?? here.rowsPerSec;
  const free = o.dataDir ? freeBytes(o.dataDir) : null;
  const problems: string[] = [];
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  const gb = (b: number) => `${(b / 1e9).toFixed(1)} GB`;
  // What would fit: accounts scaled down by the tightest limit (the tiers keep their shares).
  const scale = Math.min(o.maxRows / totalRows, free === null ? Infinity : free / (bytes * DISK_HEADROOM));
  const fits = `about SEED_ACCOUNTS=${Math.max(1, Math.floor(knobs.accounts * scale * 0.95))} (or a smaller SEED_ITEMS_P95 than ${knobs.itemsPerProject.p95})`;
  if (totalRows > o.maxRows) {
    problems.push(
      `the plan has ${fmt(totalRows)} rows, over the backend's budget of ${fmt(o.maxRows)} (SEED_MAX_ROWS_PER_RUN). Recommended fix: ${fits}, or raise SEED_MAX_ROWS_PER_RUN only if the disk holds it`,
    );
  }
  if (free !== null && bytes * DISK_HEADROOM > free) {
    problems.push(
      `the plan needs about ${gb(bytes)} on disk (${gb(bytes * DISK_HEADROOM)} with headroom) and ${o.dataDir} has ${gb(free)} free. Recommended fix: ${fits}, or run it against a staging database with DATABASE_URL (seed/README.md)`,
    );
  }
  return {
    profile,
    accounts: accounts.length,
    byTier,
    whales: accounts.filter((a) => a.tier === 'whale').length,
    rows,
    totalRows,
    bytes,
    seconds: totalRows / rowsPerSec,
    rowsPerSec,
    limits: { maxRows: o.maxRows, freeBytes: free, dataDir: o.dataDir ?? null },
    problems,
  };
}

export function formatPlan(p: DatasetPlan): string {
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  return [
    `dataset plan (${p.profile}): ${fmt(p.accounts)} accounts (${Object.entries(p.byTier)
      .map(([t, n]) => `${fmt(n)} ${t}`)
      .join(', ')})`,
    `  rows: ${Object.entries(p.rows)
      .map(([t, n]) => `${t} ${fmt(n)}`)
      .join(', ')}; ${fmt(p.totalRows)} in all`,
    `  about ${(p.bytes / 1e9).toFixed(2)} GB on disk, about ${p.seconds < 120 ? `${Math.ceil(p.seconds)} s` : `${(p.seconds / 60).toFixed(1)} min`} at ${fmt(p.rowsPerSec)} rows/s`,
    `  limits: ${fmt(p.limits.maxRows)} rows (SEED_MAX_ROWS_PER_RUN)${p.limits.freeBytes === null ? '' : `, ${(p.limits.freeBytes / 1e9).toFixed(1)} GB free at ${p.limits.dataDir}`}`,
    ...p.problems.map((x) => `  does not fit: ${x}`),
  ].join('\n');
}
