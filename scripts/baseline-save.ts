/**
 * npm run baseline:save -- --tag v1.4.0 [--from perf-results/scenarios] [--force]
 *
 * Saves what the last perf run measured as the baseline of a release tag:
 * budgets/baselines/<tag>.json, read back with PERF_BASELINE=<tag>. Only passing scenarios are
 * saved (a baseline of a failed run would make its failure the norm); an existing tag is kept
 * unless --force. The file is written whole or not at all.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BASELINE_TAG, BASELINES_DIR, type Baseline, BaselineFile, baselineFile } from '../harness/budgets/baselines.js';
import { failAndExit, flagsOrExit } from './backend.js';

const flags = flagsOrExit(
  'baseline:save',
  { tag: { type: 'string' }, from: { type: 'string' }, force: { type: 'boolean' } },
  'npm run baseline:save -- --tag <release tag> [--from perf-results/scenarios] [--force]',
);
const tag = flags.tag;
if (!tag) failAndExit('baseline:save', '--tag is required: the release tag to save the baseline under, such as v1.4.0');
if (!BASELINE_TAG.test(tag)) failAndExit('baseline:save', `--tag must be letters, digits, ".", "_" and "-" (at most 64), such as v1.4.0; got ${JSON.stringify(tag)}`);
const from = flags.from ?? path.join('perf-results', 'scenarios');
if (!existsSync(from)) failAndExit('baseline:save', `${from} does not exist: run the perf project first (npx playwright test --project=perf)`);
const target = baselineFile(tag);
if (existsSync(target) && !flags.force) failAndExit('baseline:save', `${path.relative(process.cwd(), target)} exists; pass --force to replace the baseline of ${tag}`);

type ScenarioFile = { scenario: string; verdict: string; profile: string; stats: Record<string, Record<string, number>>; raw?: unknown; pg?: unknown };
const files = readdirSync(from).filter((f) => f.endsWith('.json'));
const scenarios: Baseline['scenarios'] = {};
const results: Record<string, unknown> = {};
const skipped: string[] = [];
const profiles = new Set<string>();
for (const f of files) {
  let s: ScenarioFile;
  try {
    s = JSON.parse(readFileSync(path.join(from, f), 'utf8')) as ScenarioFile;
  } catch (e) {
    failAndExit('baseline:save', `${path.join(from, f)} is not JSON: ${(e as Error).message}`);
  }
  if (typeof s.scenario !== 'string' || typeof s.stats !== 'object') failAndExit('baseline:save', `${path.join(from, f)} is not a scenario result (no scenario/stats)`);
  if (s.verdict !== 'passed') {
    skipped.push(`${s.scenario} (${s.verdict})`);
    continue;
  }
  scenarios[s.scenario] = s.stats;
  // The histograms and PostgreSQL's figures: what a later run is compared with, metric by metric.
  if (s.raw) results[s.scenario] = { raw: s.raw, ...(s.pg !== undefined && { pg: s.pg }) };
  profiles.add(s.profile);
}
if (!Object.keys(scenarios).length) failAndExit('baseline:save', `no passing scenario in ${from}${skipped.length ? ` (skipped: ${skipped.join(', ')})` : ''}`);
if (profiles.size > 1) failAndExit('baseline:save', `the results in ${from} come from several profiles (${[...profiles].join(', ')}): a baseline is of one profile`);

let commit: string | null = null;
try {
  commit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
} catch {
  /* not a git checkout: the baseline says so */
}
const parsed = BaselineFile.safeParse({
  tag,
  savedAt: new Date().toISOString(),
  commit,
  profile: [...profiles][0]!,
  machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
  scenarios,
  ...(Object.keys(results).length && { results }),
});
if (!parsed.success) failAndExit('baseline:save', `the results in ${from} do not make a baseline: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
const baseline = parsed.data;
mkdirSync(BASELINES_DIR, { recursive: true });
const tmp = `${target}.tmp-${process.pid}`;
writeFileSync(tmp, `${JSON.stringify(baseline, null, 2)}\n`);
renameSync(tmp, target);
console.log(`baseline:save: ${path.relative(process.cwd(), target)}: ${Object.keys(scenarios).length} scenarios (${baseline.profile} profile)${skipped.length ? `; skipped, not passing: ${skipped.join(', ')}` : ''}. Compare with PERF_BASELINE=${tag}.`);
