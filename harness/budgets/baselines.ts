/**
 * Baselines per release tag: what each scenario measured on a release, kept in
 * budgets/baselines/<tag>.json and compared against with PERF_BASELINE=<tag>.
 *
 * `npm run baseline:save -- --tag v1.4.0` writes one from the last perf run's results
 * (perf-results/scenarios/*.json). A file is validated when read: a hand-edited or truncated
 * baseline is an error naming what is wrong, never a silent "no baseline".
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export const BASELINE_TAG = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** The convention: a suite keeps its baselines in budgets/baselines/ (a suite may pass another folder). */
export const BASELINES_DIR = path.resolve('budgets', 'baselines');

const Stats = z.record(z.string(), z.number());
export const BaselineFile = z.object({
  tag: z.string().regex(BASELINE_TAG),
  savedAt: z.string(),
  commit: z.string().nullable(),
  profile: z.string(),
  machine: z.string(),
  /** scenario id → metric key (`latency_ms@page_1`) → stat label (`p(95)`) → value */
  scenarios: z.record(z.string(), z.record(z.string(), Stats)),
  /**
   * scenario id → what it recorded (the histograms of every route, PostgreSQL's figures): what a
   * run with PERF_BASELINE compares itself with, every metric, no rule written. Absent in
   * baselines saved before it existed: those compare their budgets' baseline rules only.
   */
  results: z
    .record(
      z.string(),
      z.object({
        raw: z.object({ routes: z.record(z.string(), z.object({ latency: z.string(), service: z.string(), requests: z.number() }).passthrough()), expected: z.array(z.number()), singles: z.record(z.string(), z.number()), wallMs: z.number() }),
        pg: z.object({ available: z.boolean() }).passthrough().optional(),
      }),
    )
    .optional(),
});
export type Baseline = z.infer<typeof BaselineFile>;

export const baselineFile = (tag: string, dir = BASELINES_DIR) => path.join(dir, `${tag}.json`);

export function availableTags(dir = BASELINES_DIR): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort() : [];
}

/** The baseline of `tag`, or a sentence saying why there is none and what exists. */
export function loadBaseline(tag: string, dir = BASELINES_DIR): Baseline | string {
  if (!BASELINE_TAG.test(tag)) return `"${tag}" is not a release tag; accepted: letters, digits, ".", "_" and "-", such as v1.4.0`;
  const file = baselineFile(tag, dir);
  if (!existsSync(file)) {
    const tags = availableTags(dir);
    return `no baseline for "${tag}" (${path.relative(process.cwd(), file)}); saved tags: ${tags.length ? tags.join(', ') : 'none'}. Save one with: npm run baseline:save -- --tag ${tag}`;
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    return `${file} is not JSON: ${(e as Error).message}`;
  }
  const parsed = BaselineFile.safeParse(json);
  if (!parsed.success) return `${file} is not a baseline: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`;
  if (parsed.data.tag !== tag) return `${file} holds the baseline of "${parsed.data.tag}", not "${tag}"`;
  return parsed.data;
}
