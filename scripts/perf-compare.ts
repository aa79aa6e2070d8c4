/**
 * npm run perf:compare -- --base <git ref>                      app/ at that ref against app/ of the working tree
 * npm run perf:compare -- --base-url <url> --candidate-url <url> any two running deployments of a backend
 * npm run perf:compare -- --base-results <dir> --candidate-results <dir>   two perf runs already made
 * npm run perf:compare -- --bisect <good>..<bad>                 the first commit after good that is worse than it
 * npm run perf:compare -- --baseline <tag>                       is a saved baseline stale? (its commit, run here now, against what it recorded)
 *   [--rounds 3 (the most; they stop once the verdict is clear)] [--grep <regex>] [--base-env K=V]… [--candidate-env K=V]… [--out perf-results]
 *
 * Runs the perf project against both sides in short alternating rounds (base, candidate, then
 * candidate, base, …), so that whatever the machine does meanwhile falls on both alike, with the
 * hand-written budgets recorded but not gating (PERF_BUDGETS=record). Then compares every route's
 * every metric without a rule (pressure-harness/src/compare): writes <out>/compare.json and compare.md, prints
 * the findings, and exits 1 when one fails.
 *
 * Where this command starts the backends (--base <ref>, --bisect, --baseline, or
 * --base-env/--candidate-env alone), each runs on ports of its own, with a database of its own:
 * a ref from a git worktree (sharing this checkout's node_modules), the candidate from the working
 * tree, uncommitted changes included. Only processes it started are stopped, by their PID.
 * --base-env and --candidate-env go to the backend this command starts; with two URLs, to that
 * side's suite run.
 *
 * --bisect: good and bad are compared first (the regression: bad's failing findings); then the
 * commits between them, by halves (git rev-list --first-parent), each against good, until the
 * first one showing a failing finding of the regression's (same scenario, route and metric).
 * --baseline: the baseline's results (baseline:save) against fresh rounds of app/ at the commit it
 * was saved from: a failing finding means the baseline no longer says how that code runs here
 * (another machine, another PostgreSQL): save it again.
 */
import { execFileSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadBaseline } from 'pressure-harness/budgets';
import { failing, type Side, stopWhenDecided } from 'pressure-harness/compare';
import { formatFinding } from 'pressure-harness/compare';
import { readScenarioFiles, type ScenarioFile } from 'pressure-harness/report';
import { failAndExit, flagsOrExit, settingsOrExit } from './backend.js';
import { perfRunAgainst, startBackend, suiteRules, writeComparison } from './compare-runs.js';

const COMMAND = 'perf:compare';
const USAGE =
  'npm run perf:compare -- (--base <git ref> | --base-url <url> --candidate-url <url> | --base-results <dir> --candidate-results <dir> | --bisect <good>..<bad> | --baseline <tag> | --base-env K=V --candidate-env K=V) ' +
  '[--rounds 1-10] [--grep <regex>] [--base-env K=V]… [--candidate-env K=V]… [--out <dir>]';
const flags = flagsOrExit(
  COMMAND,
  {
    base: { type: 'string' },
    bisect: { type: 'string' },
    baseline: { type: 'string' },
    'base-url': { type: 'string' },
    'candidate-url': { type: 'string' },
    'base-results': { type: 'string' },
    'candidate-results': { type: 'string' },
    'base-env': { type: 'string', multiple: true },
    'candidate-env': { type: 'string', multiple: true },
    rounds: { type: 'string' },
    grep: { type: 'string' },
    out: { type: 'string' },
  },
  USAGE,
);

function envPairs(flag: string, values: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/s.exec(v);
    if (!m) failAndExit(COMMAND, `--${flag} takes KEY=VALUE with an upper-case KEY (such as APP_FAULTS=n_plus_one), got ${JSON.stringify(v)}`);
    out[m[1]!] = m[2]!;
  }
  return out;
}
const baseEnv = envPairs('base-env', flags['base-env']);
const candidateEnv = envPairs('candidate-env', flags['candidate-env']);
const rounds = flags.rounds === undefined ? 3 : Number(flags.rounds);
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 10) failAndExit(COMMAND, `--rounds must be a whole number from 1 to 10, got ${JSON.stringify(flags.rounds)}`);
if (flags.grep !== undefined) {
  try {
    new RegExp(flags.grep);
  } catch (e) {
    failAndExit(COMMAND, `--grep must be a regular expression: ${(e as Error).message}`);
  }
}
for (const k of ['base-url', 'candidate-url'] as const) {
  const v = flags[k];
  if (v !== undefined && !/^https?:\/\/[^\s/]+/.test(v)) failAndExit(COMMAND, `--${k} must be an http(s) URL such as http://127.0.0.1:3000, got ${JSON.stringify(v)}`);
}
const mode =
  flags.bisect !== undefined
    ? 'bisect'
    : flags.baseline !== undefined
      ? 'baseline'
      : flags['base-results'] || flags['candidate-results']
        ? 'results'
        : flags['base-url'] || flags['candidate-url']
          ? 'urls'
          : 'apps';
const exclusive = (['base', 'bisect', 'baseline', 'base-url', 'base-results'] as const).filter((k) => flags[k] !== undefined);
if (exclusive.length > 1) failAndExit(COMMAND, `--${exclusive.join(' and --')} do not go together: say one thing to compare\nUsage: ${USAGE}`);
if (mode === 'bisect' && !/^[^.\s]+\.\.[^.\s]+$/.test(flags.bisect!)) failAndExit(COMMAND, `--bisect takes <good>..<bad>, two commits such as v1.3.0..main, got ${JSON.stringify(flags.bisect)}`);
if (mode === 'results' && !(flags['base-results'] && flags['candidate-results'])) failAndExit(COMMAND, `--base-results and --candidate-results go together\nUsage: ${USAGE}`);
if (mode === 'urls' && !(flags['base-url'] && flags['candidate-url'])) failAndExit(COMMAND, `--base-url and --candidate-url go together\nUsage: ${USAGE}`);
if (mode === 'apps' && flags.base === undefined && !Object.keys(baseEnv).length && !Object.keys(candidateEnv).length) {
  failAndExit(COMMAND, `say what to compare: --base <git ref>, two URLs, two results folders, or the same app with --base-env/--candidate-env\nUsage: ${USAGE}`);
}
const out = flags.out ?? 'perf-results';
const settings = settingsOrExit();

/** A worktree of `ref` with this checkout's node_modules; removed when done. */
function commitOf(ref: string, flag: string): string {
  try {
    return execFileSync('git', ['rev-parse', '--verify', `${ref}^{commit}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch {
    failAndExit(COMMAND, `--${flag} ${JSON.stringify(ref)} is not a commit of this repository (a branch, tag or SHA such as HEAD~1)`);
  }
}

function worktreeOf(ref: string, flag = 'base'): { dir: string; remove: () => void } {
  const commit = commitOf(ref, flag);
  const dir = path.join(tmpdir(), `perf-compare-${commit.slice(0, 12)}-${process.pid}`);
  execFileSync('git', ['worktree', 'add', '--detach', dir, commit], { stdio: 'ignore' });
  symlinkSync(path.resolve('node_modules'), path.join(dir, 'node_modules'), 'dir');
  return { dir, remove: () => execFileSync('git', ['worktree', 'remove', '--force', dir], { stdio: 'ignore' }) };
}

const started = performance.now();
type Target = { label: string; url: string; env: Record<string, string> };
const cleanups: (() => Promise<unknown> | void)[] = [];
const describe = (ref: string, env: Record<string, string>) =>
  `${ref}${
    Object.keys(env).length
      ? ` (${Object.entries(env)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')})`
      : ''
  }`;

/** app/ at `ref` (a worktree) or of the working tree, started on ports of its own; stopped at the end, or by the returned stop. */
async function appTarget(name: string, ref: string | undefined, env: Record<string, string>, flag = 'base'): Promise<Target & { stop: () => Promise<void> }> {
  const tree = ref === undefined ? undefined : worktreeOf(ref, flag);
  const b = await startBackend(settings, name, env, tree?.dir).catch((e: unknown) => {
    tree?.remove();
    throw e;
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await b.app.stop();
    tree?.remove();
  };
  cleanups.push(stop);
  return { label: describe(ref ?? 'working tree', env), url: b.url, env: { DATABASE_URL: b.databaseUrl }, stop };
}

/** Up to `rounds` rounds of each target, ABBA: the side that goes first alternates, so a drift of the machine favours neither. */
async function runRounds(targets: [Target, Target], n: number, tag: string): Promise<[Side, Side]> {
  const sides: [Side, Side] = [
    { label: targets[0].label, rounds: [] },
    { label: targets[1].label, rounds: [] },
  ];
  for (let r = 1; r <= n; r++) {
    for (const i of r % 2 === 1 ? [0, 1] : [1, 0]) {
      const t0 = performance.now();
      const run = await perfRunAgainst(targets[i]!.url, path.join('.run', 'compare', tag, i === 0 ? 'base' : 'candidate', String(r)), {
        ...(flags.grep && { grep: flags.grep }),
        env: targets[i]!.env,
      });
      if (run.exit !== 0) console.log(`  (that run exited ${run.exit}: a test failed on something other than a budget; its results are compared as they are)`);
      sides[i]!.rounds.push(run.files);
      console.log(`  round ${r}/${n} ${i === 0 ? 'base     ' : 'candidate'} ${sides[i]!.label}: ${run.files.length} scenarios, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
    // Sequential: stop once the verdict is clear (the e-values stay sound when looked at after every round).
    const why = until(sides[0], sides[1]);
    if (why) {
      console.log(`  ${why}`);
      break;
    }
  }
  return sides;
}

const rules = await suiteRules();
const until = stopWhenDecided(rules);
const key = (f: { scenario: string; route: string | null; metric: string }) => `${f.scenario}|${f.route}|${f.metric}`;

/** The first bad commit between good and bad: binary search over the first-parent history, each commit against good. */
async function bisect(goodRef: string, badRef: string): Promise<{ base: Side; candidate: Side; verdict: string }> {
  const good = commitOf(goodRef, 'bisect');
  const bad = commitOf(badRef, 'bisect');
  const commits = execFileSync('git', ['rev-list', '--first-parent', '--reverse', `${good}..${bad}`], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
  if (!commits.length || commits.at(-1) !== bad) failAndExit(COMMAND, `--bisect ${flags.bisect}: ${badRef} is not a descendant of ${goodRef} on the first-parent history`);
  console.log(`${COMMAND}: bisecting ${commits.length} commits from ${goodRef} (good) to ${badRef} (bad), ${rounds} round(s) a side each`);
  const base = await appTarget('good', good, baseEnv, 'bisect');
  const judge = async (commit: string): Promise<{ c: ReturnType<typeof writeComparison>; sides: [Side, Side] }> => {
    const t = await appTarget(`c-${commit.slice(0, 8)}`, commit, candidateEnv, 'bisect');
    try {
      const sides = await runRounds([base, t], rounds, commit.slice(0, 12));
      return { c: writeComparison(sides[0], sides[1], rules, path.join(out, 'bisect'), commit.slice(0, 12)), sides };
    } finally {
      await t.stop();
    }
  };
  const first = await judge(bad);
  const regression = new Set(failing(first.c).map(key));
  if (!regression.size) return { ...{ base: first.sides[0], candidate: first.sides[1] }, verdict: `${badRef} is not worse than ${goodRef} (no failing finding): nothing to bisect` };
  console.log(`  the regression (${badRef} against ${goodRef}): ${failing(first.c).map(formatFinding).join('; ')}`);
  // Invariant: commits[lo-1] (or good) is good, commits[hi] is bad, and `last` is commits[hi] against good.
  let lo = 0;
  let hi = commits.length - 1;
  let last = first;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const r = await judge(commits[mid]!);
    const shows = failing(r.c).filter((f) => regression.has(key(f)));
    console.log(`  ${commits[mid]!.slice(0, 12)} ${shows.length ? `bad: ${formatFinding(shows[0]!)}` : 'good'}`);
    if (shows.length) {
      hi = mid;
      last = r;
    } else lo = mid + 1;
  }
  const subject = execFileSync('git', ['log', '-1', '--format=%h %s', commits[hi]!], { encoding: 'utf8' }).trim();
  return { base: last.sides[0], candidate: last.sides[1], verdict: `first bad commit: ${subject}` };
}

let base: Side;
let candidate: Side;
let verdict: string | undefined;
try {
  if (mode === 'results') {
    const read = (dir: string) => {
      const files = readScenarioFiles(dir);
      if (!files.length) failAndExit(COMMAND, `${dir} holds no perf results (expected ${path.join(dir, 'scenarios', '<id>.json')})`);
      return files;
    };
    base = { label: flags['base-results']!, rounds: [read(flags['base-results']!)] };
    candidate = { label: flags['candidate-results']!, rounds: [read(flags['candidate-results']!)] };
  } else if (mode === 'bisect') {
    const [good, bad] = flags.bisect!.split('..') as [string, string];
    ({ base, candidate, verdict } = await bisect(good, bad));
  } else if (mode === 'baseline') {
    const b = loadBaseline(flags.baseline!, settings.perf.baselinesDir);
    if (typeof b === 'string') failAndExit(COMMAND, `--baseline: ${b}`);
    if (!b.results) failAndExit(COMMAND, `--baseline ${b.tag} keeps no recorded results (saved before baselines kept them): save it again with npm run baseline:save -- --tag ${b.tag} --force`);
    const grep = flags.grep ? new RegExp(flags.grep) : undefined;
    base = {
      label: `baseline ${b.tag} (saved ${b.savedAt.slice(0, 10)} on ${b.machine})`,
      rounds: [
        Object.entries(b.results)
          .filter(([id]) => !grep || grep.test(id))
          .map(([id, r]) => ({ scenario: id, raw: r.raw as unknown as ScenarioFile['raw'], pg: r.pg as ScenarioFile['pg'] })),
      ],
    };
    console.log(
      `${COMMAND}: is baseline ${b.tag} stale? app/ at ${b.commit ? b.commit.slice(0, 12) : 'the working tree (the baseline names no commit)'}, ${rounds} round(s), against what the baseline recorded`,
    );
    const t = await appTarget('baseline', b.commit ?? undefined, candidateEnv, 'baseline');
    candidate = { label: `${b.commit ? b.commit.slice(0, 12) : 'working tree'} now`, rounds: [] };
    for (let r = 1; r <= rounds; r++)
      candidate.rounds.push((await perfRunAgainst(t.url, path.join('.run', 'compare', 'baseline', String(r)), { ...(flags.grep && { grep: flags.grep }), env: t.env })).files);
  } else {
    let targets: [Target, Target];
    if (mode === 'urls') {
      targets = [
        { label: flags['base-url']!, url: flags['base-url']!, env: baseEnv },
        { label: flags['candidate-url']!, url: flags['candidate-url']!, env: candidateEnv },
      ];
    } else {
      console.log(`${COMMAND}: starting the base (${describe(flags.base ?? 'working tree', baseEnv)}) and the candidate (${describe('working tree', candidateEnv)})…`);
      targets = [await appTarget('base', flags.base, baseEnv), await appTarget('candidate', undefined, candidateEnv)];
    }
    [base, candidate] = await runRounds(targets, rounds, 'ab');
  }
} finally {
  for (const c of cleanups.reverse()) await c();
}

const comparison = writeComparison(base, candidate, rules, out, 'compare', { seconds: +((performance.now() - started) / 1000).toFixed(1), ...(verdict && { verdict }) });
const fails = failing(comparison);
for (const f of comparison.findings) console.log(`  ${f.severity === 'fail' ? 'FAIL' : 'warn'}  ${formatFinding(f)}`);
if (mode === 'baseline')
  console.log(
    `${COMMAND}: baseline ${flags.baseline} ${fails.length ? 'is STALE: it no longer says how its own commit runs here; save it again (npm run baseline:save -- --tag <tag> --force) from a run on this machine' : 'still holds on this machine'}`,
  );
if (verdict) console.log(`${COMMAND}: ${verdict}`);
console.log(
  `${COMMAND}: ${comparison.compared} metrics compared (${comparison.tested} tested), ${fails.length} failing, ${comparison.findings.length - fails.length} warning; ` +
    `${path.join(out, 'compare.md')} (${((performance.now() - started) / 1000).toFixed(0)} s)`,
);
// A bisection that found the commit did its job; any other mode fails on a failing finding.
process.exit(mode === 'bisect' ? (verdict?.startsWith('first bad commit') ? 0 : 1) : fails.length ? 1 : 0);
