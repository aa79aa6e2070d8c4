/**
 * npm run perf:compare -- --base <git ref>                      app/ at that ref against app/ of the working tree
 * npm run perf:compare -- --base-url <url> --candidate-url <url> any two running deployments of a backend
 * npm run perf:compare -- --base-results <dir> --candidate-results <dir>   two perf runs already made
 *   [--rounds 3] [--grep <regex>] [--base-env K=V]… [--candidate-env K=V]… [--out perf-results]
 *
 * Runs the perf project against both sides in short alternating rounds (base, candidate, then
 * candidate, base, …), so that whatever the machine does meanwhile falls on both alike, with the
 * hand-written budgets recorded but not gating (PERF_BUDGETS=record). Then compares every route's
 * every metric without a rule (harness/compare): writes <out>/compare.json and compare.md, prints
 * the findings, and exits 1 when one fails.
 *
 * Where this command starts the backends (--base <ref>, or --base-env/--candidate-env alone),
 * each runs on ports of its own, with a database of its own: the base from a git worktree of the
 * ref (sharing this checkout's node_modules), the candidate from the working tree, uncommitted
 * changes included. Only processes it started are stopped, by their PID. --base-env and
 * --candidate-env go to the backend this command starts; with two URLs, to that side's suite run.
 */
import { execFileSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { failing, type Side } from '../harness/compare/compare.js';
import { formatFinding } from '../harness/compare/format.js';
import { readScenarioFiles } from '../harness/report/results.js';
import { failAndExit, flagsOrExit, settingsOrExit } from './backend.js';
import { perfRunAgainst, startBackend, suiteRules, writeComparison } from './compare-runs.js';

const COMMAND = 'perf:compare';
const USAGE =
  'npm run perf:compare -- (--base <git ref> | --base-url <url> --candidate-url <url> | --base-results <dir> --candidate-results <dir> | --base-env K=V --candidate-env K=V) ' +
  '[--rounds 1-10] [--grep <regex>] [--base-env K=V]… [--candidate-env K=V]… [--out <dir>]';
const flags = flagsOrExit(
  COMMAND,
  {
    base: { type: 'string' },
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
const mode = flags['base-results'] || flags['candidate-results'] ? 'results' : flags['base-url'] || flags['candidate-url'] ? 'urls' : 'apps';
if (mode === 'results' && !(flags['base-results'] && flags['candidate-results'])) failAndExit(COMMAND, `--base-results and --candidate-results go together\nUsage: ${USAGE}`);
if (mode === 'urls' && !(flags['base-url'] && flags['candidate-url'])) failAndExit(COMMAND, `--base-url and --candidate-url go together\nUsage: ${USAGE}`);
if (mode === 'apps' && flags.base === undefined && !Object.keys(baseEnv).length && !Object.keys(candidateEnv).length) {
  failAndExit(COMMAND, `say what to compare: --base <git ref>, two URLs, two results folders, or the same app with --base-env/--candidate-env\nUsage: ${USAGE}`);
}
const out = flags.out ?? 'perf-results';
const settings = settingsOrExit();

/** A worktree of `ref` with this checkout's node_modules; removed when done. */
function worktreeOf(ref: string): { dir: string; remove: () => void } {
  let commit: string;
  try {
    commit = execFileSync('git', ['rev-parse', '--verify', `${ref}^{commit}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch {
    failAndExit(COMMAND, `--base ${JSON.stringify(ref)} is not a commit of this repository (a branch, tag or SHA such as HEAD~1)`);
  }
  const dir = path.join(tmpdir(), `perf-compare-${commit.slice(0, 12)}-${process.pid}`);
  execFileSync('git', ['worktree', 'add', '--detach', dir, commit], { stdio: 'ignore' });
  symlinkSync(path.resolve('node_modules'), path.join(dir, 'node_modules'), 'dir');
  return { dir, remove: () => execFileSync('git', ['worktree', 'remove', '--force', dir], { stdio: 'ignore' }) };
}

const started = performance.now();
type Target = { label: string; url: string; env: Record<string, string> };

let base: Side;
let candidate: Side;
const cleanups: (() => Promise<unknown> | void)[] = [];
try {
  if (mode === 'results') {
    const read = (dir: string) => {
      const files = readScenarioFiles(dir);
      if (!files.length) failAndExit(COMMAND, `${dir} holds no perf results (expected ${path.join(dir, 'scenarios', '<id>.json')})`);
      return files;
    };
    base = { label: flags['base-results']!, rounds: [read(flags['base-results']!)] };
    candidate = { label: flags['candidate-results']!, rounds: [read(flags['candidate-results']!)] };
  } else {
    let targets: [Target, Target];
    if (mode === 'urls') {
      targets = [
        { label: flags['base-url']!, url: flags['base-url']!, env: baseEnv },
        { label: flags['candidate-url']!, url: flags['candidate-url']!, env: candidateEnv },
      ];
    } else {
      const tree = flags.base === undefined ? undefined : worktreeOf(flags.base);
      if (tree) cleanups.push(tree.remove);
      console.log(`${COMMAND}: starting the base (${flags.base ?? 'working tree'}${Object.keys(baseEnv).length ? ` with ${JSON.stringify(baseEnv)}` : ''}) and the candidate (working tree${Object.keys(candidateEnv).length ? ` with ${JSON.stringify(candidateEnv)}` : ''})…`);
      const b = await startBackend(settings, 'base', baseEnv, tree?.dir);
      cleanups.push(() => b.app.stop());
      const c = await startBackend(settings, 'candidate', candidateEnv);
      cleanups.push(() => c.app.stop());
      const describe = (ref: string, env: Record<string, string>) => `${ref}${Object.keys(env).length ? ` (${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')})` : ''}`;
      targets = [
        { label: describe(flags.base ?? 'working tree', baseEnv), url: b.url, env: { DATABASE_URL: b.databaseUrl } },
        { label: describe('working tree', candidateEnv), url: c.url, env: { DATABASE_URL: c.databaseUrl } },
      ];
    }
    base = { label: targets[0].label, rounds: [] };
    candidate = { label: targets[1].label, rounds: [] };
    for (let r = 1; r <= rounds; r++) {
      // ABBA: the side that goes first alternates, so a drift of the machine favours neither.
      const order = r % 2 === 1 ? [0, 1] : [1, 0];
      for (const i of order) {
        const side = i === 0 ? base : candidate;
        const t0 = performance.now();
        const run = await perfRunAgainst(targets[i]!.url, path.join('.run', 'compare', i === 0 ? 'base' : 'candidate', String(r)), { ...(flags.grep && { grep: flags.grep }), env: targets[i]!.env });
        if (run.exit !== 0) console.log(`  (that run exited ${run.exit}: a test failed on something other than a budget; its results are compared as they are)`);
        side.rounds.push(run.files);
        console.log(`  round ${r}/${rounds} ${i === 0 ? 'base     ' : 'candidate'} ${side.label}: ${side.rounds.at(-1)!.length} scenarios, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
      }
    }
  }
} finally {
  for (const c of cleanups.reverse()) await c();
}

const comparison = writeComparison(base, candidate, await suiteRules(), out, 'compare', { seconds: +((performance.now() - started) / 1000).toFixed(1) });
const fails = failing(comparison);
for (const f of comparison.findings) console.log(`  ${f.severity === 'fail' ? 'FAIL' : 'warn'}  ${formatFinding(f)}`);
console.log(
  `${COMMAND}: ${comparison.compared} metrics compared (${comparison.tested} tested), ${fails.length} failing, ${comparison.findings.length - fails.length} warning; ` +
    `${path.join(out, 'compare.md')} (${((performance.now() - started) / 1000).toFixed(0)} s)`,
);
process.exit(fails.length ? 1 : 0);
