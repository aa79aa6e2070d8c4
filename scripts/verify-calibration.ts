/**
 * npm run verify:calibration [-- --runs 6] [--profile smoke]
 *
 * Does the comparison's printed confidence mean what it says on this machine? Runs the perf
 * project `--runs` times against a clean app/ (a fresh app and database each run, as each side of
 * a comparison is), while a second process keeps one core busy as a shared CI runner's
 * neighbours do; then compares every pair of those runs, one run a side, exactly as
 * `pressure compare` would (the suite's rules). Nothing changed between them, so every shift
 * claimed is a false alarm: for each confidence level, the share of the shift tests (every
 * route × noisy metric compared) whose finding or improvement printed at least that confidence.
 * A calibrated 99% is crossed by 1% of clean tests or fewer.
 *
 * Writes bench-results/calibration.json (per level: crossings, tests, rate, and whether the rate
 * is within the level's promise; per pair: tests, claims, failing findings). Exits 1 when a
 * level's rate exceeds 1 − level: the printed confidence is then not calibrated, and the file
 * says by how much.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { compareRuns, failing, type Finding } from 'pressure-harness/compare';
import type { ScenarioFile } from 'pressure-harness/report';
import { SEED_PROFILES } from '../config/settings.js';
import { failAndExit, flagsOrExit, settingsOrExit } from './backend.js';
import { perfRunAgainst, startBackend, suiteRules } from './compare-runs.js';

const COMMAND = 'verify:calibration';
const LEVELS = [0.9, 0.95, 0.99, 0.999];

const flags = flagsOrExit(COMMAND, { runs: { type: 'string' }, profile: { type: 'string' } }, `npm run ${COMMAND} -- [--runs 3..20] [--profile ${SEED_PROFILES.join('|')}]`);
const runs = flags.runs === undefined ? 6 : Number(flags.runs);
if (!Number.isInteger(runs) || runs < 3 || runs > 20) failAndExit(COMMAND, `--runs must be a whole number from 3 to 20 (pairs grow as runs²), got ${JSON.stringify(flags.runs)}`);
const profile = flags.profile ?? 'smoke';
if (!(SEED_PROFILES as readonly string[]).includes(profile)) failAndExit(COMMAND, `--profile must be one of ${SEED_PROFILES.join(' | ')}, got ${JSON.stringify(flags.profile)}`);
const settings = settingsOrExit();
const rules = await suiteRules();

// One core kept busy for the whole measurement, as on a shared runner; ended by its PID.
const busy = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
const endBusy = () => {
  if (busy.exitCode === null && busy.signalCode === null) busy.kill('SIGKILL');
};
process.once('exit', endBusy);

const started = performance.now();
const results: { label: string; files: ScenarioFile[]; seconds: number }[] = [];
try {
  for (let i = 1; i <= runs; i++) {
    const label = `clean-${i}`;
    const t0 = performance.now();
    const app = await startBackend(settings, label, {});
    try {
      const r = await perfRunAgainst(app.url, path.join('.run', 'calibration', label), { env: { DATABASE_URL: app.databaseUrl, SEED_PROFILE: profile }, budgets: 'record' });
      results.push({ label, files: r.files, seconds: +((performance.now() - t0) / 1000).toFixed(1) });
    } finally {
      await app.app.stop();
    }
    console.log(`  ${label}: ${results.at(-1)!.files.length} scenarios in ${results.at(-1)!.seconds} s`);
  }
} finally {
  endBusy();
}

/** A claim of a shift between two clean runs: a finding or an improvement with its confidence. */
const claims = (fs: Finding[]) => fs.filter((f) => f.kind === 'shift' && typeof f.confidence === 'number');
const pairs: { base: string; candidate: string; tests: number; claims: number[]; failing: number }[] = [];
for (let i = 0; i < results.length; i++) {
  for (let j = i + 1; j < results.length; j++) {
    const [a, b] = [results[i]!, results[j]!];
    const c = compareRuns({ label: a.label, rounds: [a.files] }, { label: b.label, rounds: [b.files] }, rules);
    pairs.push({ base: a.label, candidate: b.label, tests: c.tested, claims: claims([...c.findings, ...c.improvements]).map((f) => f.confidence!), failing: failing(c).length });
  }
}
const tests = pairs.reduce((n, p) => n + p.tests, 0);
const levels = LEVELS.map((level) => {
  const crossings = pairs.reduce((n, p) => n + p.claims.filter((x) => x >= level).length, 0);
  const rate = tests ? crossings / tests : 0;
  return {
    printed: level,
    crossings,
    tests,
    rate: +rate.toFixed(4),
    promised: +(1 - level).toFixed(4),
    calibrated: rate <= 1 - level,
    pairsWithAClaim: pairs.filter((p) => p.claims.some((x) => x >= level)).length,
  };
});
const result = {
  runs,
  profile,
  pairs: pairs.length,
  tests,
  busyCore: true,
  seconds: +((performance.now() - started) / 1000).toFixed(0),
  method:
    'the comparison as pressure compare makes it (pressure-harness/src/compare): per route and noisy metric, Mann–Whitney U on the two runs’ requests, Benjamini–Hochberg across the comparison, printed confidence 1 − q on shifts past the effect and ratio floors. One run a side, every pair of clean runs.',
  levels,
  failingFindings: pairs.reduce((n, p) => n + p.failing, 0),
  perPair: pairs.map((p) => ({ base: p.base, candidate: p.candidate, tests: p.tests, claims: p.claims.length, failing: p.failing, highest: p.claims.length ? Math.max(...p.claims) : null })),
  notes:
    'A claim is a shift finding or improvement between two runs of the same clean version: every one is false. rate = crossings / tests: how often a clean test printed at least that confidence; calibrated when rate <= 1 − printed. Pairs share runs, so they are not independent; the rates are estimates.',
};
mkdirSync('bench-results', { recursive: true });
writeFileSync('bench-results/calibration.json', `${JSON.stringify(result, null, 2)}\n`);

console.log(`\n${COMMAND}: ${runs} clean runs (${profile}, one core kept busy), ${pairs.length} pairs, ${tests} shift tests`);
for (const l of levels)
  console.log(
    `  printed >= ${(l.printed * 100).toFixed(1)}%: crossed by ${l.crossings} of ${l.tests} clean tests (${(l.rate * 100).toFixed(2)}%, promised <= ${(l.promised * 100).toFixed(2)}%) ${l.calibrated ? 'calibrated' : 'NOT calibrated'}; ${l.pairsWithAClaim} of ${pairs.length} pairs`,
  );
console.log(`  failing findings between clean runs: ${result.failingFindings}; wrote bench-results/calibration.json`);
const off = levels.filter((l) => !l.calibrated);
if (off.length) failAndExit(COMMAND, `printed confidence is not calibrated at ${off.map((l) => `${l.printed * 100}% (crossed by ${(l.rate * 100).toFixed(2)}% of clean tests)`).join(', ')}`);
