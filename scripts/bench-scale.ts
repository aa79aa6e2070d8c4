/**
 * npm run bench:scale [-- --profile xl]
 *
 * The suite at ten times `medium`, on this machine:
 * 1. plans the profile (and stops, naming the knob, when it does not fit);
 * 2. seeds it through the endpoints and saves it, timing raw COPY of the same rows and a restore
 *    (scripts/measure-dataset.ts), and its bytes on disk;
 * 3. runs the perf project on it (SEED_DATASET=restore) and on `smoke`, each with its results
 *    in perf-results/scale/<profile>/;
 * 4. writes bench-results/scale.json: rows, seconds, rows/s against COPY, restore seconds, bytes,
 *    the plan's estimates beside what was measured, and each scenario's verdict and p95 on both
 *    sizes. Exits 1 when the perf project fails on the big dataset, the restore takes 10 s or
 *    more, or the dataset has fewer than 5 million rows.
 */
import { writeJson } from 'pressure-harness/report';
import { SEED_PROFILES, type SeedProfile } from '../config/settings.js';
import { formatPlan, planOf } from '../seed/plan.js';
import { resolveKnobs } from '../seed/profiles.js';
import { failAndExit, flagsOrExit, settingsOrExit, withBackend } from './backend.js';
import { type DatasetMeasure, measureDataset } from './measure-dataset.js';
import { perfProject, type ScenarioResult } from './perf-project.js';

const MIN_ROWS = 5_000_000;
const MAX_RESTORE_SECONDS = 10;
/** A perf run that has not ended by then is stopped: the benchmark must end by itself. */
const PERF_TIMEOUT_MS = 25 * 60_000;

const settings = settingsOrExit();
const flags = flagsOrExit('bench:scale', { profile: { type: 'string' } }, `npm run bench:scale -- [--profile ${SEED_PROFILES.join('|')}]`);
const profile = (flags.profile ?? 'xl') as SeedProfile;
if (!SEED_PROFILES.includes(profile)) failAndExit('bench:scale', `--profile must be one of ${SEED_PROFILES.join(' | ')}, got ${JSON.stringify(flags.profile)}`);
if (!settings.startApp || !settings.verifyDatabaseUrl) failAndExit('bench:scale', 'runs against app/ and its embedded database: leave BASE_URL and DATABASE_URL unset');
const knobs = resolveKnobs(profile);

const plan = planOf(profile, settings.seed, knobs, { maxRows: settings.datasetLimits.maxRows, ...(settings.datasetLimits.dataDir && { dataDir: settings.datasetLimits.dataDir }) });
console.log(formatPlan(plan));
if (plan.problems.length) failAndExit('bench:scale', 'the dataset does not fit (above); nothing was written');

let measure: DatasetMeasure | undefined;
await withBackend(settings, async () => {
  console.log(`bench:scale: seeding and saving ${profile}…`);
  measure = await measureDataset(settings, profile, knobs);
});
const m = measure!;
console.log(
  `bench:scale: ${m.rows.toLocaleString('en-US')} rows in ${m.seconds.toFixed(1)} s (raw COPY ${m.copySeconds.toFixed(1)} s); restore ${m.restoreSeconds.toFixed(2)} s; ${(m.bytes / 1e9).toFixed(2)} GB on disk`,
);

// The big dataset restored from the save just made; smoke generated as a pull request's run is.
const big = await perfProject(profile, { SEED_DATASET: 'restore' }, PERF_TIMEOUT_MS, 'bench:scale');
const small = await perfProject('smoke', { SEED_DATASET: 'auto' }, PERF_TIMEOUT_MS, 'bench:scale');

const ids = [...new Set([...Object.keys(big.scenarios), ...Object.keys(small.scenarios)])].sort();
const result = {
  profile,
  rows: m.rows,
  accounts: m.accounts,
  whales: m.whales,
  seconds: +m.seconds.toFixed(2),
  rowsPerSec: Math.round(m.rows / m.seconds),
  copySeconds: +m.copySeconds.toFixed(2),
  copyRowsPerSec: Math.round(m.rows / m.copySeconds),
  ratio: +(m.copySeconds / m.seconds).toFixed(3),
  restoreSeconds: +m.restoreSeconds.toFixed(2),
  bytesOnDisk: m.bytes,
  bytesPerRow: Math.round(m.bytes / m.rows),
  plan: { rows: plan.totalRows, bytes: Math.round(plan.bytes), seconds: +plan.seconds.toFixed(1), rowsPerSec: plan.rowsPerSec },
  perf: {
    [profile]: { verdict: big.verdict, exitCode: big.exitCode, seconds: +big.seconds.toFixed(1) },
    smoke: { verdict: small.verdict, exitCode: small.exitCode, seconds: +small.seconds.toFixed(1) },
  },
  scenarios: Object.fromEntries(ids.map((id) => [id, { [profile]: big.scenarios[id] ?? null, smoke: small.scenarios[id] ?? null }])),
  notes:
    'seconds: the seed through the endpoints, generation included; ratio: raw COPY seconds / endpoint seconds for the same rows (median of 3 COPYs). ' +
    'restoreSeconds: CREATE DATABASE … TEMPLATE of the saved dataset, as a run restores it. plan: the estimate made before seeding, at the rates measured earlier on this machine. ' +
    `scenarios: each scenario's verdict and p95 latency on ${profile} (restored) and on smoke (generated).`,
};
writeJson('bench-results/scale.json', result);

console.log(`\nbench:scale (${profile} beside smoke):`);
for (const id of ids) {
  const [b, s] = [big.scenarios[id], small.scenarios[id]];
  const cell = (r?: ScenarioResult) => (r ? `${r.verdict} p95 ${r.p95Ms === null ? 'n/a' : `${r.p95Ms.toFixed(1)} ms`}` : 'not run');
  console.log(`  ${id.padEnd(32)} ${profile}: ${cell(b).padEnd(26)} smoke: ${cell(s)}`);
}
console.log(`  estimate before seeding: ${(plan.bytes / 1e9).toFixed(2)} GB, ${plan.seconds.toFixed(0)} s; measured: ${(m.bytes / 1e9).toFixed(2)} GB, ${m.seconds.toFixed(0)} s`);
console.log('  wrote bench-results/scale.json');

const failures = [
  m.rows < MIN_ROWS && `the dataset has ${m.rows} rows, fewer than ${MIN_ROWS}`,
  m.restoreSeconds >= MAX_RESTORE_SECONDS && `restoring took ${m.restoreSeconds.toFixed(1)} s, not under ${MAX_RESTORE_SECONDS} s`,
  big.verdict !== 'passed' && `the perf project on ${profile} did not pass (${big.verdict}); perf-results/scale/${profile}/summary.md says why`,
].filter((f): f is string => typeof f === 'string');
if (failures.length) failAndExit('bench:scale', failures.join('; '));
