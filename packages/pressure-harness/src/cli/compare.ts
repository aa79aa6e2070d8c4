/**
 * pressure compare: two versions of a backend, every metric of every scenario compared with no
 * rule written (compare/compare.ts), from two results folders already made, or from rounds run
 * here against two URLs, or against the suite's declared backend started at two git refs (each
 * on ports, a data folder and a database of its own: sides.ts). Rounds alternate (base,
 * candidate, then candidate, base, …: ABBA), so whatever the machine does meanwhile falls on
 * both sides alike. The suite is the one named (-c), the same for both sides: what differs is
 * the backend.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compareRuns, type Comparison, failing, type Side, stopWhenDecided, withSchema } from '../compare/compare.js';
import { diffIndexes, formatIndexDiff, type IndexDiff, indexesOf } from '../pg/schema.js';
import { compareMarkdown, findingLines } from '../compare/format.js';
import { loadCompareRules } from '../compare/rules.js';
import { readScenarioFiles } from '../report/results.js';
import type { BackendSpec } from '../config/backend.js';
import { envFlag, type FlagSpec, grepFlag, intFlag, parseFlags, UsageError } from './args.js';
import { perfRun } from './runs.js';
import { type Side as Started, startSide } from './sides.js';
import { loadSuite, type Suite } from './suite.js';

export const compare = {
  name: 'compare',
  summary: 'compare two versions, every metric, no rule written: two results folders or two URLs',
  usage:
    'pressure compare (--base-results <dir> --candidate-results <dir> | --base-url <url> --candidate-url <url> | --base <git ref> [--candidate <git ref>]) [--rounds 1-10] [--grep <re>] [--base-env K=V]… [--candidate-env K=V]… [--out <dir>] [-c <config>]',
  about:
    "Compares a candidate with a base, scenario by scenario and metric by metric (Mann–Whitney U on the latency histograms with Benjamini–Hochberg across them; counts, bytes, errors and PostgreSQL's figures as numbers), with the suite's comparison rules (budgets/compare.ts). With two URLs it runs the suite's perf project against each, alternating, with budgets recorded only; with git refs it first starts the backend the suite declares (harnessUse's backend) at each ref, from a git worktree (the candidate, by default, from the working tree), and removes all it made afterwards. Writes <out>/compare.json and compare.md; exits 1 when a finding fails, 2 on bad input.",
  example: 'npx pressure compare --base main --rounds 2   # the working tree against main',
  flags: {
    'base-results': { type: 'string', help: 'the results folder of a perf run of the base' },
    'candidate-results': { type: 'string', help: 'the results folder of a perf run of the candidate' },
    base: { type: 'string', help: "a git ref of the repository: the suite's declared backend at that commit is the base" },
    candidate: { type: 'string', help: 'a git ref for the candidate (default with --base: the working tree, uncommitted changes included)' },
    'base-url': { type: 'string', help: 'where the base answers (its path prefix included)' },
    'candidate-url': { type: 'string', help: 'where the candidate answers' },
    'base-env': { type: 'string', multiple: true, help: "K=V for the base's suite run (such as DATABASE_URL=…), or for its backend with git refs; repeatable" },
    'candidate-env': { type: 'string', multiple: true, help: "K=V for the candidate's suite run, or for its backend with git refs; repeatable" },
    rounds: { type: 'string', help: 'the most rounds a side with URLs or refs, 1 to 10 (default 4); they stop as soon as the verdict is clear' },
    'min-rounds': { type: 'string', help: 'rounds a side before the comparison may stop, 1 to 10 (default 2; the --rounds cap when higher)' },
    grep: { type: 'string', help: 'only scenarios whose title matches this regular expression' },
    out: { type: 'string', help: "where compare.json and compare.md go (default: <the suite's results folder>/compare)" },
  } satisfies FlagSpec,
  async run(argv: string[]): Promise<number> {
    const f = parseFlags('compare', argv, compare.flags, compare.usage);
    const problems = f.problems;
    const byResults = f['base-results'] !== undefined || f['candidate-results'] !== undefined;
    const byUrl = f['base-url'] !== undefined || f['candidate-url'] !== undefined;
    const byRef = f.base !== undefined || f.candidate !== undefined;
    if ([byResults, byUrl, byRef].filter(Boolean).length !== 1)
      problems.push('name two results folders (--base-results and --candidate-results), two URLs (--base-url and --candidate-url) or git refs (--base, and --candidate unless the working tree)');
    if (byResults && (!f['base-results'] || !f['candidate-results'])) problems.push('--base-results and --candidate-results go together');
    if (byUrl && (!f['base-url'] || !f['candidate-url'])) problems.push('--base-url and --candidate-url go together');
    if (byRef && !f.base) problems.push('--candidate <ref> needs --base <ref>');
    for (const k of ['base-url', 'candidate-url'] as const) if (f[k] !== undefined && !/^https?:\/\/[^\s]+$/.test(f[k])) problems.push(`--${k} must be an http(s) URL, got "${f[k]}"`);
    const rounds = intFlag(problems, 'rounds', f.rounds, 1, 10, 4);
    const minRounds = Math.min(rounds, intFlag(problems, 'min-rounds', f['min-rounds'], 1, 10, 2));
    const baseEnv = envFlag(problems, 'base-env', f['base-env']);
    const candidateEnv = envFlag(problems, 'candidate-env', f['candidate-env']);
    if (byResults && (f.rounds || f['min-rounds'] || f['base-env'] || f['candidate-env']))
      problems.push('--rounds, --min-rounds, --base-env and --candidate-env go with two URLs or git refs, not with results folders');
    const grep = grepFlag(problems, f.grep);
    f.done();

    const suite = await loadSuite(f.config);
    const out = f.out ? path.resolve(f.out) : path.join(suite.perf.resultsDir, 'compare');
    const rules = await loadCompareRules(suite.perf.budgetsDir);
    let base: Side;
    let candidate: Side;
    let schema: IndexDiff[] | undefined;
    let stopped: string | undefined;
    const until = stopWhenDecided(rules, minRounds);
    if (byResults) {
      const read = (dir: string) => {
        const files = readScenarioFiles(path.resolve(dir)).filter((x) => !grep || grep.test(x.scenario));
        if (!files.length)
          throw new UsageError('compare', [`${dir} holds no scenario results${grep ? ` matching ${grep}` : ''} (looked in ${path.join(path.resolve(dir), 'scenarios')})`], compare.usage);
        return files;
      };
      base = { label: f['base-results']!, rounds: [read(f['base-results']!)] };
      candidate = { label: f['candidate-results']!, rounds: [read(f['candidate-results']!)] };
    } else if (byUrl) {
      [base, candidate, stopped] = await abba(
        suite,
        [
          { label: 'base', url: f['base-url']!, env: baseEnv },
          { label: 'candidate', url: f['candidate-url']!, env: candidateEnv },
        ],
        { rounds, until },
        path.join(out, 'rounds'),
        f.grep,
      );
    } else {
      [base, candidate, schema, stopped] = await atRefs(suite, { base: f.base!, candidate: f.candidate ?? null, baseEnv, candidateEnv }, { rounds, until }, out, f.grep);
    }
    const compared = compareRuns(base, candidate, rules);
    const c = { ...(schema ? withSchema(compared, schema) : compared), ...(stopped && { stopped }) };
    write(out, c);
    return report(c, base, candidate, out);
  },
};

type Target = { label: string; url: string; env: Record<string, string>; side?: Started };

/** The backend the suite declares (harnessUse's backend), or a usage error saying how to declare one. */
export function declaredBackend(suite: Suite, verb: string, usage: string): BackendSpec {
  const spec = suite.use.backend;
  if (!spec)
    throw new UsageError(
      verb,
      [
        `${suite.configFile} declares no backend to start at a git ref: pass harnessUse(settings, { backend: { command, cwd, url, env } }) (see pressure-harness/config, backend.ts), or compare two URLs`,
      ],
      usage,
    );
  return spec;
}

/** The declared backend at a ref (null: the working tree), with `env` on top of the declaration's. */
export function startRef(suite: Suite, spec: BackendSpec, label: string, ref: string | null, env: Record<string, string>, work: string): Promise<Started> {
  return startSide({ label, ref, spec: { ...spec, env: { ...spec.env, ...env } }, healthPath: suite.use.healthPath ?? '/healthz', templateUrl: suite.use.databaseUrl, work });
}

/** How many rounds a side at most, and the rule that may end them sooner (stopWhenDecided). */
export type Rounds = { rounds: number; until?: (base: Side, candidate: Side) => string | null };

/** ABBA rounds between two started sides, then their index differences (an index one side lacks names the cause of a scan), and why the rounds stopped. */
export async function roundsBetween(suite: Suite, sides: [Started, Started], rounds: Rounds, dir: string, grep?: string): Promise<[Side, Side, IndexDiff[] | undefined, string]> {
  const targets = sides.map((s): Target => ({
    label: s.ref ? `${s.label} ${s.ref}` : `${s.label} (working tree)`,
    url: s.url,
    env: s.databaseUrl ? { DATABASE_URL: s.databaseUrl } : {},
    side: s,
  })) as [Target, Target];
  const [bm, cm, stopped] = await abba(suite, targets, rounds, dir, grep);
  const [b, c] = sides;
  const schema = b.databaseUrl && c.databaseUrl ? diffIndexes(await indexesOf(b.databaseUrl), await indexesOf(c.databaseUrl)) : undefined;
  return [bm, cm, schema, stopped];
}

/** The suite's declared backend at two refs, started side by side, compared in ABBA rounds, and removed (also when a side fails). */
async function atRefs(
  suite: Suite,
  o: { base: string; candidate: string | null; baseEnv: Record<string, string>; candidateEnv: Record<string, string> },
  rounds: Rounds,
  out: string,
  grep?: string,
): Promise<[Side, Side, IndexDiff[] | undefined, string]> {
  const spec = declaredBackend(suite, 'compare', compare.usage);
  const work = mkdtempSync(path.join(tmpdir(), 'pressure-compare-'));
  const started: Started[] = [];
  try {
    started.push(await startRef(suite, spec, 'base', o.base, o.baseEnv, work));
    started.push(await startRef(suite, spec, 'candidate', o.candidate, o.candidateEnv, work));
    return await roundsBetween(suite, started as [Started, Started], rounds, path.join(out, 'rounds'), grep);
  } finally {
    for (const s of started.reverse()) await s.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Rounds of each target, the side that goes first alternating, until `until` says the verdict is
 * clear or the cap is reached; and why they stopped.
 */
export async function abba(suite: Suite, targets: [Target, Target], { rounds, until }: Rounds, dir: string, grep?: string): Promise<[Side, Side, string]> {
  const sides: [Side, Side] = [
    { label: `${targets[0].label} (${targets[0].url})`, rounds: [] },
    { label: `${targets[1].label} (${targets[1].url})`, rounds: [] },
  ];
  for (let r = 0; r < rounds; r++) {
    for (const i of r % 2 === 0 ? [0, 1] : [1, 0]) {
      const t = targets[i]!;
      console.log(`compare: round ${r + 1}/${rounds}, ${t.label} (${t.url})`);
      let run;
      try {
        run = await perfRun(suite, { baseUrl: t.url, dir: path.join(dir, `${t.label.replace(/[^\w.-]+/g, '_')}-${r + 1}`), env: t.env, ...(grep && { grep }) });
      } catch (e) {
        // A side that died or froze is said in words, with what it said last.
        const ended = t.side?.ended();
        const answering = ended
          ? false
          : await fetch(t.url, { signal: AbortSignal.timeout(5_000) }).then(
              () => true,
              () => false,
            );
        throw new Error(
          `round ${r + 1}: ${t.label} ${ended ? `stopped: its backend ${ended}` : answering ? `failed: ${(e as Error).message}` : `stopped answering at ${t.url}: ${(e as Error).message}`}`,
        );
      }
      if (run.failures.length) console.log(`  the run reported: ${run.failures.join('; ')}`);
      // A side that died while measured left results of errors: that is its death, not a regression to compare.
      const ended = t.side?.ended();
      if (ended) throw new Error(`round ${r + 1}: ${t.label} stopped during its run: its backend ${ended}`);
      sides[i]!.rounds.push(run.files);
    }
    const why = until?.(sides[0], sides[1]);
    if (why) {
      console.log(`compare: ${why}`);
      return [...sides, why];
    }
  }
  return [...sides, `the cap of ${rounds} round(s) a side`];
}

function write(out: string, c: Comparison): void {
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'compare.json'), `${JSON.stringify(c, null, 2)}\n`);
  writeFileSync(path.join(out, 'compare.md'), compareMarkdown(c));
}

function report(c: Comparison, base: Side, candidate: Side, out: string): number {
  const fails = failing(c);
  console.log(
    `compare: ${candidate.label} against ${base.label}: ${c.compared} metrics compared, ${fails.length} failing, ${c.findings.length - fails.length} warnings, ${c.improvements.length} improvements → ${path.join(out, 'compare.md')}`,
  );
  if (c.decision) console.log(`  rounds: ${c.decision.rounds.join(' + ')}; ${c.decision.decided ? 'decided' : 'not decided'}: ${c.decision.why}${c.stopped ? ` (stopped: ${c.stopped})` : ''}`);
  for (const d of c.environment ?? []) console.log(`  warn: the sides ran on different environments: ${d}`);
  for (const l of findingLines(c.findings)) console.log(l);
  for (const d of c.schema ?? []) console.log(`  schema: ${formatIndexDiff(d)}`);
  return fails.length ? 1 : 0;
}
