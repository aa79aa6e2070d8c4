/**
 * npm run verify:calibration [-- --runs 8] [--profile smoke]
 *
 * Does the comparison's printed confidence mean what it says on this machine? Runs the perf
 * project `--runs` times against a clean app/ (a fresh app and database each run, as each side of
 * a comparison is), while a second process keeps one core busy as a shared CI runner's
 * neighbours do; then compares those runs split into k rounds a side (1, 2, … up to half the
 * runs), looked at after each round as a sequential `pressure compare` looks, with the suite's
 * rules. Nothing changed between them, so every shift
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
import { existsSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { compareRuns, failing, type Finding } from 'pressure-harness/compare';
import { buckets, createHistogram, deserializeRoute, type Histogram, recordMs, serializeRoute } from 'pressure-harness/load';
import { writeJson, readScenarioFiles, type ScenarioFile } from 'pressure-harness/report';
import { SEED_PROFILES } from '../config/settings.js';
import { failAndExit, flagsOrExit, settingsOrExit } from './backend.js';
import { perfRunAgainst, startBackend, suiteRules } from './compare-runs.js';

const COMMAND = 'verify:calibration';
const LEVELS = [0.9, 0.95, 0.99, 0.999];

const flags = flagsOrExit(
  COMMAND,
  { runs: { type: 'string' }, profile: { type: 'string' }, reuse: { type: 'boolean' } },
  `npm run ${COMMAND} -- [--runs 4..20] [--profile ${SEED_PROFILES.join('|')}] [--reuse]`,
);
const runs = flags.runs === undefined ? 8 : Number(flags.runs);
if (!Number.isInteger(runs) || runs < 4 || runs > 20) failAndExit(COMMAND, `--runs must be a whole number from 4 to 20 (two rounds a side need four), got ${JSON.stringify(flags.runs)}`);
const profile = flags.profile ?? 'smoke';
if (!(SEED_PROFILES as readonly string[]).includes(profile)) failAndExit(COMMAND, `--profile must be one of ${SEED_PROFILES.join(' | ')}, got ${JSON.stringify(flags.profile)}`);
const settings = settingsOrExit();
const rules = await suiteRules();

const dirOf = (label: string) => path.join('.run', 'calibration', label);
// --reuse: judge the runs an earlier measurement left (a change of the comparison, the same runs).
const reused = flags.reuse
  ? Array.from({ length: runs }, (_, i) => {
      const label = `clean-${i + 1}`;
      const files = existsSync(path.join(dirOf(label), 'scenarios')) ? readScenarioFiles(dirOf(label)) : [];
      if (!files.length) failAndExit(COMMAND, `--reuse: ${dirOf(label)} holds no results; run without --reuse first (or ask for fewer --runs)`);
      return { label, files, seconds: 0 };
    })
  : undefined;

// One core kept busy for the whole measurement, as on a shared runner; ended by its PID.
const busy = spawn(process.execPath, ['-e', reused ? '' : 'for (;;) {}'], { stdio: 'ignore' });
const endBusy = () => {
  if (busy.exitCode === null && busy.signalCode === null) busy.kill('SIGKILL');
};
process.once('exit', endBusy);

const started = performance.now();
const results: { label: string; files: ScenarioFile[]; seconds: number }[] = reused ?? [];
try {
  for (let i = 1; !reused && i <= runs; i++) {
    const label = `clean-${i}`;
    const t0 = performance.now();
    const app = await startBackend(settings, label, {});
    try {
      const r = await perfRunAgainst(app.url, dirOf(label), { env: { DATABASE_URL: app.databaseUrl, SEED_PROFILE: profile }, budgets: 'record' });
      results.push({ label, files: r.files, seconds: +((performance.now() - t0) / 1000).toFixed(1) });
    } finally {
      await app.app.stop();
    }
    console.log(`  ${label}: ${results.at(-1)!.files.length} scenarios in ${results.at(-1)!.seconds} s`);
  }
} finally {
  endBusy();
}

/** A claim of a shift between clean runs: a finding or an improvement with its confidence. */
const claims = (fs: Finding[]) => fs.filter((f) => (f.kind === 'shift' || f.kind === 'single' || f.kind === 'signal') && typeof f.confidence === 'number');
const keyOf = (f: Finding) => `${f.scenario}|${f.route}|${f.metric}`;

/** Every way to pick k of the indices, in order. */
function choose(xs: number[], k: number): number[][] {
  if (k === 0) return [[]];
  if (xs.length < k) return [];
  const [h, ...t] = xs;
  return [...choose(t, k - 1).map((c) => [h!, ...c]), ...choose(t, k)];
}
/** At most this many comparisons per number of rounds a side, spread evenly over all the splits. */
const MAX_SPLITS = 120;

type Pair = { base: string; candidate: string; rounds: number; tests: number; claims: number[]; failing: number; decided: boolean };
const pairs: Pair[] = [];
for (let k = 1; 2 * k <= results.length; k++) {
  const idx = results.map((_, i) => i);
  const all = choose(idx, k).flatMap((b) =>
    choose(
      idx.filter((i) => !b.includes(i)),
      k,
    ).map((c) => [b, c] as const),
  );
  const step = Math.max(1, all.length / MAX_SPLITS);
  for (let n = 0; n < all.length && pairs.filter((p) => p.rounds === k).length < MAX_SPLITS; n += step) {
    const [b, c] = all[Math.floor(n)]!;
    // Looked at after every round a side, as a sequential comparison looks: a test counts as
    // crossed at a level when any look printed it (Ville's inequality promises that too).
    const highest = new Map<string, number>();
    let last;
    for (let r = 1; r <= k; r++) {
      last = compareRuns({ label: 'base', rounds: b.slice(0, r).map((i) => results[i]!.files) }, { label: 'candidate', rounds: c.slice(0, r).map((i) => results[i]!.files) }, rules);
      for (const f of claims([...last.findings, ...last.improvements])) highest.set(keyOf(f), Math.max(highest.get(keyOf(f)) ?? 0, f.confidence!));
    }
    pairs.push({
      base: b.map((i) => results[i]!.label).join('+'),
      candidate: c.map((i) => results[i]!.label).join('+'),
      rounds: k,
      tests: last!.tested,
      claims: [...highest.values()],
      failing: failing(last!).length,
      decided: last!.decision?.decided === true,
    });
  }
}
// One round a side prints no confidence (nothing knows the run-to-run variance): its tests would
// only dilute the rates, so the levels count comparisons of two rounds a side or more.
const judged = pairs.filter((p) => p.rounds >= 2);
const tests = judged.reduce((n, p) => n + p.tests, 0);
const levels = LEVELS.map((level) => {
  const crossings = judged.reduce((n, p) => n + p.claims.filter((x) => x >= level).length, 0);
  const rate = tests ? crossings / tests : 0;
  return {
    printed: level,
    crossings,
    tests,
    rate: +rate.toFixed(4),
    promised: +(1 - level).toFixed(4),
    calibrated: rate <= 1 - level,
    comparisonsWithAClaim: judged.filter((p) => p.claims.some((x) => x >= level)).length,
  };
});
const byRounds = [...new Set(pairs.map((p) => p.rounds))].map((k) => {
  const ps = pairs.filter((p) => p.rounds === k);
  const t = ps.reduce((n, p) => n + p.tests, 0);
  return {
    roundsASide: k,
    comparisons: ps.length,
    tests: t,
    crossings: Object.fromEntries(LEVELS.map((l) => [String(l), ps.reduce((n, p) => n + p.claims.filter((x) => x >= l).length, 0)])),
    failingFindings: ps.reduce((n, p) => n + p.failing, 0),
    decided: ps.filter((p) => p.decided).length,
  };
});
/**
 * Power, the other half of "how sure": the same clean runs with a known slowdown put into one
 * route's every request on the candidate side (its latency, service time and DB time histograms
 * scaled by the factor), and how often the comparison finds it, and fails it, by rounds a side.
 * A route of each kind: a cached read, a deep page, a write under load.
 */
const INJECTED: [scenario: string, route: string][] = [
  ['dashboard.hydrate', 'whale_warm'],
  ['items.deep_pagination', 'keyset_page_500'],
  ['jobs.burst_writes', 'POST /v1/projects/:id/items'],
];
function slowed(files: ScenarioFile[], scenario: string, route: string, factor: number): ScenarioFile[] {
  const scale = (h: Histogram) => {
    const n = createHistogram();
    for (const [v, count] of buckets(h)) for (let i = 0; i < count; i++) recordMs(n, v * factor);
    return n;
  };
  return files.map((f) => {
    const r = f.scenario === scenario ? f.raw.routes[route] : undefined;
    if (!r) return f;
    const m = deserializeRoute(r);
    const evidence = Object.fromEntries(Object.entries(m.evidence).map(([k, e]) => [k, k === 'db_ms' && e.kind === 'sample' ? { ...e, h: scale(e.h) } : e]));
    return { ...f, raw: { ...f.raw, routes: { ...f.raw.routes, [route]: serializeRoute({ ...m, latency: scale(m.latency), service: scale(m.service), evidence }) } } };
  });
}
const power = [1.5, 2, 4].flatMap((factor) =>
  [2, 3, 4]
    .filter((k) => 2 * k <= results.length)
    .map((k) => {
      let trials = 0;
      let found = 0;
      let failed = 0;
      for (const [scenario, route] of INJECTED) {
        // Six splits per route: the first k runs of a rotation against the next k.
        for (let start = 0; start < 6; start++) {
          const order = results.map((_, i) => (start + i) % results.length);
          const base = order.slice(0, k).map((i) => results[i]!.files);
          const cand = order.slice(k, 2 * k).map((i) => slowed(results[i]!.files, scenario, route, factor));
          const c = compareRuns({ label: 'base', rounds: base }, { label: 'candidate', rounds: cand }, rules);
          const f = c.findings.find((x) => x.kind === 'shift' && x.scenario === scenario && x.route === route);
          trials++;
          if (f) found++;
          if (f?.severity === 'fail') failed++;
        }
      }
      return { factor, roundsASide: k, trials, found, failed };
    }),
);

const result = {
  runs,
  profile,
  pairs: pairs.length,
  tests,
  busyCore: true,
  reused: reused !== undefined,
  seconds: +((performance.now() - started) / 1000).toFixed(0),
  method:
    'the comparison as pressure compare makes it (pressure-harness/src/compare, sequential.ts): rounds as replicates, moderated variances, mixture e-values, e-BH; printed confidence 1 − the e-BH level. Clean runs split into k rounds a side (k = 1 up to half the runs; at most 120 splits each), every split looked at after each round a side as a sequential comparison looks; a test is crossed at a level when any look printed it.',
  levels,
  byRounds,
  power,
  failingFindings: pairs.reduce((n, p) => n + p.failing, 0),
  decided: judged.filter((p) => p.decided).length,
  perPair: pairs.map((p) => ({
    base: p.base,
    candidate: p.candidate,
    rounds: p.rounds,
    tests: p.tests,
    claims: p.claims.length,
    failing: p.failing,
    highest: p.claims.length ? Math.max(...p.claims) : null,
  })),
  notes:
    'A claim is a shift finding or improvement between runs of the same clean version: every one is false. rate = crossings / tests: how often a clean test printed at least that confidence; calibrated when rate <= 1 − printed. Pairs share runs, so they are not independent; the rates are estimates.',
};
writeJson('bench-results/calibration.json', result);

console.log(
  `\n${COMMAND}: ${runs} clean runs (${profile}, one core kept busy), ${pairs.length} comparisons (${byRounds.map((b) => `${b.comparisons} of ${b.roundsASide} a side`).join(', ')}), ${tests} shift tests`,
);
for (const l of levels)
  console.log(
    `  printed >= ${(l.printed * 100).toFixed(1)}%: crossed by ${l.crossings} of ${l.tests} clean tests (${(l.rate * 100).toFixed(2)}%, promised <= ${(l.promised * 100).toFixed(2)}%) ${l.calibrated ? 'calibrated' : 'NOT calibrated'}; ${l.comparisonsWithAClaim} of ${judged.length} comparisons`,
  );
for (const p of power) console.log(`  a ×${p.factor} slowdown of one route, ${p.roundsASide} rounds a side: found ${p.found} of ${p.trials}, failed ${p.failed}`);
console.log(`  failing findings between clean runs: ${result.failingFindings}; wrote bench-results/calibration.json`);
const off = levels.filter((l) => !l.calibrated);
if (off.length) failAndExit(COMMAND, `printed confidence is not calibrated at ${off.map((l) => `${l.printed * 100}% (crossed by ${(l.rate * 100).toFixed(2)}% of clean tests)`).join(', ')}`);
