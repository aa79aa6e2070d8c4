/**
 * Baselines per release tag: what each scenario measured on a release, kept in the suite's
 * baselines folder as <tag>.json and compared against with PERF_BASELINE=<tag>.
 *
 * `pressure baseline save --tag v1.4.0` writes one from the last perf run's results
 * (<results>/scenarios/*.json). A file is validated when read: a hand-edited or truncated
 * baseline is an error naming what is wrong, never a silent "no baseline".
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export const BASELINE_TAG = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

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
        raw: z.object({
          routes: z.record(z.string(), z.object({ latency: z.string(), service: z.string(), requests: z.number() }).passthrough()),
          expected: z.array(z.number()),
          singles: z.record(z.string(), z.number()),
          wallMs: z.number(),
        }),
        pg: z.object({ available: z.boolean() }).passthrough().optional(),
      }),
    )
    .optional(),
});
export type Baseline = z.infer<typeof BaselineFile>;

export const baselineFile = (tag: string, dir: string) => path.join(dir, `${tag}.json`);

export function availableTags(dir: string): string[] {
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .map((f) => f.slice(0, -5))
        .sort()
    : [];
}

/** The baseline of `tag`, or a sentence saying why there is none and what exists. */
export function loadBaseline(tag: string, dir: string): Baseline | string {
  if (!BASELINE_TAG.test(tag)) return `"${tag}" is not a release tag; accepted: letters, digits, ".", "_" and "-", such as v1.4.0`;
  const file = baselineFile(tag, dir);
  if (!existsSync(file)) {
    const tags = availableTags(dir);
    return `no baseline for "${tag}" (${path.relative(process.cwd(), file)}); saved tags: ${tags.length ? tags.join(', ') : 'none'}. Save one with: npx pressure baseline save --tag ${tag}`;
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

/** What a baseline keeps of a scenario's result file. */
export type BaselineSource = { scenario: string; verdict: string; profile: string; stats: Record<string, Record<string, number>>; raw?: unknown; pg?: unknown };

/**
 * The baseline of `tag` from a run's scenario results, or the sentences that say why they make
 * none. Only passing scenarios are kept (a baseline of a failed run would make its failure the
 * norm): they are listed in `skipped`.
 */
export function baselineFromResults(
  files: BaselineSource[],
  o: { tag: string; commit: string | null; machine: string; savedAt?: Date },
): { baseline: Baseline; skipped: string[] } | { problems: string[] } {
  if (!BASELINE_TAG.test(o.tag)) return { problems: [`the tag must be letters, digits, ".", "_" and "-" (at most 64), such as v1.4.0; got ${JSON.stringify(o.tag)}`] };
  const scenarios: Baseline['scenarios'] = {};
  const results: Record<string, unknown> = {};
  const skipped: string[] = [];
  const profiles = new Set<string>();
  for (const s of files) {
    if (s.verdict !== 'passed') {
      skipped.push(`${s.scenario} (${s.verdict})`);
      continue;
    }
    scenarios[s.scenario] = s.stats;
    // The histograms and PostgreSQL's figures: what a later run is compared with, metric by metric.
    if (s.raw) results[s.scenario] = { raw: s.raw, ...(s.pg !== undefined && { pg: s.pg }) };
    profiles.add(s.profile);
  }
  if (!Object.keys(scenarios).length) return { problems: [`no passing scenario${skipped.length ? ` (not passing: ${skipped.join(', ')})` : ''}`] };
  if (profiles.size > 1) return { problems: [`the results come from several profiles (${[...profiles].join(', ')}): a baseline is of one profile`] };
  const parsed = BaselineFile.safeParse({
    tag: o.tag,
    savedAt: (o.savedAt ?? new Date()).toISOString(),
    commit: o.commit,
    profile: [...profiles][0]!,
    machine: o.machine,
    scenarios,
    ...(Object.keys(results).length && { results }),
  });
  if (!parsed.success) return { problems: parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`) };
  return { baseline: parsed.data, skipped };
}

/** Writes the baseline whole or not at all (a temporary file, then a rename); refuses to replace one unless `force`. */
export function writeBaseline(dir: string, baseline: Baseline, o: { force?: boolean } = {}): string {
  const target = baselineFile(baseline.tag, dir);
  if (existsSync(target) && !o.force) throw new Error(`${target} exists; pass --force to replace the baseline of ${baseline.tag}`);
  mkdirSync(dir, { recursive: true });
  const tmp = `${target}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(baseline, null, 2)}\n`);
  renameSync(tmp, target);
  return target;
}
