/**
 * npm run verify:compare [-- --rounds 1-5]
 *
 * Proves `pressure compare --base <ref> --candidate <ref>` on conduit's suite, at two commits of
 * this repository: in a scratch clone (this checkout's working tree, committed there, so that
 * nothing here changes), a commit that drops one of conduit's indexes; the pair must fail, naming
 * the index, and the clean pair (the same commit twice) must pass. Writes
 * bench-results/compare-refs.json with both verdicts, their findings and wall times.
 */
import { writeJson } from 'pressure-harness/report';
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { failAndExit, flagsOrExit } from './backend.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const INDEX = 'articles_author_created';
const flags = flagsOrExit('verify:compare', { rounds: { type: 'string' } }, 'npm run verify:compare -- [--rounds 1-5]');
const rounds = flags.rounds === undefined ? 1 : Number(flags.rounds);
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 5) failAndExit('verify:compare', `--rounds must be a whole number from 1 to 5, got ${JSON.stringify(flags.rounds)}`);

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.email=verify@localhost', '-c', 'user.name=verify:compare', ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

function pressure(cwd: string, args: string[]): Promise<{ code: number | null; output: string; seconds: number }> {
  const t = performance.now();
  return new Promise((resolve) => {
    const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'pressure'), args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('exit', (code) => resolve({ code, output, seconds: +((performance.now() - t) / 1000).toFixed(1) }));
  });
}

const work = mkdtempSync(path.join(tmpdir(), 'pressure-verify-compare-'));
try {
  // The scratch clone: this checkout's tracked files as they are now, as one commit (clean), then the index dropped (dropped).
  const clone = path.join(work, 'repo');
  git(ROOT, 'clone', '--quiet', '--shared', ROOT, clone);
  for (const f of git(ROOT, 'ls-files', '-m', '-o', '--exclude-standard').split('\n').filter(Boolean)) cpSync(path.join(ROOT, f), path.join(clone, f), { recursive: true });
  for (const f of git(ROOT, 'ls-files', '-d').split('\n').filter(Boolean)) rmSync(path.join(clone, f), { force: true });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(clone, 'node_modules'), 'dir');
  git(clone, 'add', '-A');
  git(clone, 'commit', '--quiet', '--allow-empty', '-m', 'clean: the working tree of the checkout');
  const schema = path.join(clone, 'examples', 'conduit', 'schema.sql');
  const before = readFileSync(schema, 'utf8');
  const after = before
    .split('\n')
    .filter((l) => !l.includes(INDEX))
    .join('\n');
  if (after === before) failAndExit('verify:compare', `examples/conduit/schema.sql has no ${INDEX} to drop`);
  writeFileSync(schema, after);
  git(clone, 'commit', '--quiet', '-am', `drop ${INDEX}`);

  const config = ['-c', 'examples/conduit/suite/playwright.config.ts', '--rounds', String(rounds)];
  const dropped = await pressure(clone, ['compare', ...config, '--base', 'HEAD~1', '--candidate', 'HEAD', '--out', path.join(work, 'dropped')]);
  const clean = await pressure(clone, ['compare', ...config, '--base', 'HEAD~1', '--candidate', 'HEAD~1', '--out', path.join(work, 'clean')]);
  const failing = (o: string) => o.split('\n').filter((l) => l.startsWith('  FAIL '));
  const result = {
    date: new Date().toISOString(),
    commit: git(ROOT, 'rev-parse', 'HEAD'),
    rounds,
    dropped: { index: INDEX, exit: dropped.code, seconds: dropped.seconds, failing: failing(dropped.output), namesIndex: failing(dropped.output).some((l) => l.includes(INDEX)) },
    clean: { exit: clean.code, seconds: clean.seconds, failing: failing(clean.output) },
  };
  const ok = result.dropped.exit === 1 && result.dropped.namesIndex && result.clean.exit === 0;
  writeJson(path.join(ROOT, 'bench-results', 'compare-refs.json'), { ...result, ok });
  console.log(
    `verify:compare: dropped ${INDEX}: exit ${dropped.code} in ${dropped.seconds} s, ${result.dropped.failing.length} failing${result.dropped.namesIndex ? ', naming the index' : ', NOT naming the index'}; clean pair: exit ${clean.code} in ${clean.seconds} s → bench-results/compare-refs.json`,
  );
  if (!ok) {
    console.error(`dropped:\n${dropped.output}\nclean:\n${clean.output}`);
    process.exitCode = 1;
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
