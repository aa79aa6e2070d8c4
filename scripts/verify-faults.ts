/**
 * npm run verify:faults [-- --profile smoke] [--faults n_plus_one,cache_off]
 *
 * Proof that the perf project catches the regressions it exists for. Runs the whole perf project
 * once clean and once per fault (APP_FAULTS, see app/faults.ts), each on a fresh app, and checks:
 *   - clean: every perf test passes;
 *   - each fault: the scenario that should catch it fails, with a message naming a budget.
 * Prints one line per run and writes bench-results/faults.json:
 *   {"clean": "passed", "faults": {"n_plus_one": {"caught": true, "by": "<test title>", "budget": "<rule broken>"}, …}}
 * Exit code 0 only when the clean run passed and every fault was caught.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { FAULTS, type Fault, parseFaults } from '../app/faults.js';
import { SEED_PROFILES } from '../config/settings.js';
import { failAndExit, flagsOrExit } from './backend.js';
import { nestedRunEnv } from './nested-run.js';

/** The scenario that exists to catch each fault (others may fail too; this one must). */
export const CATCHER: Record<Fault, string> = {
  n_plus_one: 'dashboard.hydrate',
  offset_pagination: 'items.deep_pagination',
  drop_index: 'items.deep_pagination',
  cache_off: 'dashboard.stampede',
  lock_contention: 'projects.hot_update',
  slow_worker: 'jobs.burst_writes',
};

const flags = flagsOrExit('verify:faults', { profile: { type: 'string' }, faults: { type: 'string' } }, `npm run verify:faults -- [--profile ${SEED_PROFILES.join('|')}] [--faults n_plus_one,cache_off,…]`);
const profile = flags.profile ?? 'smoke';
if (!(SEED_PROFILES as readonly string[]).includes(profile)) failAndExit('verify:faults', `--profile must be one of ${SEED_PROFILES.join(', ')}, got ${JSON.stringify(profile)}`);
const chosen = flags.faults === undefined ? new Set<Fault>(FAULTS) : parseFaults(flags.faults);
if (typeof chosen === 'string') failAndExit('verify:faults', `--faults: ${chosen}`);
if (!chosen.size) failAndExit('verify:faults', `--faults must name at least one of ${FAULTS.join(', ')}`);

type TestResult = { title: string; ok: boolean; message: string };

/** Every test of a Playwright JSON report, with its outcome and error text. */
function testsOf(report: unknown): TestResult[] {
  const out: TestResult[] = [];
  const visit = (suite: { specs?: unknown[]; suites?: unknown[] }) => {
    for (const spec of (suite.specs ?? []) as { title: string; ok: boolean; tests: { results: { errors?: { message?: string }[] }[] }[] }[]) {
      const message = spec.tests.flatMap((t) => t.results.flatMap((r) => (r.errors ?? []).map((e) => e.message ?? ''))).join('\n');
      out.push({ title: spec.title, ok: spec.ok, message: message.replace(/\u001b\[[0-9;]*m/g, '') });
    }
    for (const s of (suite.suites ?? []) as never[]) visit(s);
  };
  for (const s of ((report as { suites?: unknown[] }).suites ?? []) as never[]) visit(s);
  return out;
}

async function perfRun(name: string, faults: string): Promise<{ tests: TestResult[]; seconds: number; exit: number; runError: string }> {
  const dir = path.join('.run', 'faults');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  rmSync(file, { force: true });
  const started = performance.now();
  const exit = await new Promise<number>((resolve) => {
    const child = spawn('npx', ['playwright', 'test', '--project=perf', '--reporter=json'], {
      // CI=1: never reuse a server already listening, it would not run with these faults.
      env: nestedRunEnv({ APP_FAULTS: faults, SEED_PROFILE: profile, PLAYWRIGHT_JSON_OUTPUT_FILE: file }),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.on('exit', (code) => {
      if (code !== 0 && code !== 1) process.stderr.write(err);
      resolve(code ?? 1);
    });
  });
  const seconds = +((performance.now() - started) / 1000).toFixed(1);
  let report: unknown = {};
  try {
    report = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return { tests: [], seconds, exit, runError: `no report written (exit ${exit})` };
  }
  const errors = ((report as { errors?: { message?: string }[] }).errors ?? []).map((e) => e.message ?? '').join('; ');
  return { tests: testsOf(report), seconds, exit, runError: errors };
}

const firstBudgetLine = (message: string) => /fail: [^\n"]+/.exec(message)?.[0]?.replace(/[",]+$/, '').trim();

const started = performance.now();
console.log(`verify:faults: perf project on the ${profile} profile, clean and with ${[...chosen].join(', ')}`);
const clean = await perfRun('clean', '');
const cleanOk = clean.exit === 0 && clean.tests.length > 0 && clean.tests.every((t) => t.ok);
console.log(`clean              ${cleanOk ? 'passed' : 'FAILED'}  (${clean.tests.filter((t) => t.ok).length}/${clean.tests.length} tests, ${clean.seconds} s)${cleanOk ? '' : `  ${clean.tests.filter((t) => !t.ok).map((t) => `${t.title}: ${firstBudgetLine(t.message) ?? t.message.split('\n')[0]}`).join('; ') || clean.runError}`}`);

const faults: Record<string, { caught: boolean; by: string | null; budget: string | null; expectedBy: string; alsoFailed: string[]; seconds: number }> = {};
for (const fault of FAULTS.filter((f) => chosen.has(f))) {
  const r = await perfRun(fault, fault);
  const catcher = r.tests.find((t) => t.title === CATCHER[fault]);
  const budget = catcher && !catcher.ok ? firstBudgetLine(catcher.message) ?? null : null;
  const caught = Boolean(catcher && !catcher.ok && budget);
  faults[fault] = {
    caught,
    by: caught ? catcher!.title : null,
    budget,
    expectedBy: CATCHER[fault],
    alsoFailed: r.tests.filter((t) => !t.ok && t.title !== CATCHER[fault]).map((t) => t.title),
    seconds: r.seconds,
  };
  console.log(`${fault.padEnd(18)} ${caught ? 'caught' : 'MISSED'}  by ${CATCHER[fault]}${budget ? `: ${budget}` : catcher ? ' (it passed)' : ` (not run: ${r.runError || `exit ${r.exit}`})`}  (${r.seconds} s)`);
}

const result = {
  clean: cleanOk ? 'passed' : 'failed',
  faults,
  profile,
  cleanSeconds: clean.seconds,
  totalSeconds: +((performance.now() - started) / 1000).toFixed(1),
  at: new Date().toISOString(),
};
mkdirSync('bench-results', { recursive: true });
writeFileSync('bench-results/faults.json', `${JSON.stringify(result, null, 2)}\n`);
const missed = Object.entries(faults).filter(([, f]) => !f.caught).map(([k]) => k);
console.log(`verify:faults: ${cleanOk ? 'clean run green' : 'clean run FAILED'}; ${Object.keys(faults).length - missed.length}/${Object.keys(faults).length} faults caught${missed.length ? ` (missed: ${missed.join(', ')})` : ''}; ${result.totalSeconds} s; bench-results/faults.json`);
process.exit(cleanOk && !missed.length ? 0 : 1);
