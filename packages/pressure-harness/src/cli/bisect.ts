/**
 * pressure bisect: the first commit after a good one that is worse than it. The suite's declared
 * backend at good and at bad are compared first; bad's failing findings are the regression (none:
 * nothing to look for, exit 0). Then the commits between them (git rev-list --first-parent), by
 * halves, each against good, until the first that shows a failing finding of the regression's
 * (the same scenario, route and metric). The good side keeps running across the steps: each step
 * starts one backend, not two.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compareRuns, failing, type Finding, withSchema, stopWhenDecided } from '../compare/compare.js';
import { findingLines, formatFinding } from '../compare/format.js';
import { loadCompareRules } from '../compare/rules.js';
import { type FlagSpec, grepFlag, intFlag, parseFlags } from './args.js';
import { declaredBackend, roundsBetween, startRef } from './compare.js';
import { gitToplevel, resolveRef, type Side as Started } from './sides.js';
import { loadSuite } from './suite.js';

const keyOf = (f: Finding) => `${f.scenario}|${f.route}|${f.metric}`;

export const bisect = {
  name: 'bisect',
  summary: 'the first commit between a good and a bad one that is worse than good',
  usage: 'pressure bisect --good <git ref> --bad <git ref> [--rounds 1-10] [--grep <re>] [--out <dir>] [-c <config>]',
  about:
    "Compares the suite's declared backend at --bad with --good (every metric, no rule written); the failing findings are the regression. Then bisects the first-parent commits between them, each compared with good, to the first one that shows a failing finding of the regression's. Writes <out>/bisect.json; exits 1 when it names a commit, 0 when bad is not worse than good, 2 on bad input.",
  example: 'npx pressure bisect --good v1.3.0 --bad main --grep articles',
  flags: {
    good: { type: 'string', help: 'a git ref the regression is not in' },
    bad: { type: 'string', help: 'a git ref it is in' },
    rounds: { type: 'string', help: 'the most rounds a side per comparison, 1 to 10 (default 3); each stops as soon as its verdict is clear, from 2 rounds a side' },
    grep: { type: 'string', help: 'only scenarios whose title matches this regular expression' },
    out: { type: 'string', help: "where bisect.json and each step's rounds go (default: <the suite's results folder>/bisect)" },
  } satisfies FlagSpec,
  async run(argv: string[]): Promise<number> {
    const f = parseFlags('bisect', argv, bisect.flags, bisect.usage);
    if (!f.good) f.problems.push('--good <git ref> is required');
    if (!f.bad) f.problems.push('--bad <git ref> is required');
    const rounds = intFlag(f.problems, 'rounds', f.rounds, 1, 10, 3);
    grepFlag(f.problems, f.grep);
    f.done();
    const suite = await loadSuite(f.config);
    const spec = declaredBackend(suite, 'bisect', bisect.usage);
    const top = gitToplevel(spec.cwd);
    const [good, bad] = [resolveRef(top, f.good!), resolveRef(top, f.bad!)];
    const commits = execFileSync('git', ['rev-list', '--first-parent', '--reverse', `${good}..${bad}`], { cwd: top, encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
    if (!commits.length) throw new Error(`${f.bad} is not after ${f.good} on its first-parent line: nothing to bisect`);
    const out = f.out ? path.resolve(f.out) : path.join(suite.perf.resultsDir, 'bisect');
    const rules = await loadCompareRules(suite.perf.budgetsDir);
    const work = mkdtempSync(path.join(tmpdir(), 'pressure-bisect-'));
    let base: Started | undefined;
    try {
      base = await startRef(suite, spec, 'good', good, {}, work);
      const step = async (commit: string, n: number) => {
        const candidate = await startRef(suite, spec, `step${n}`, commit, {}, work);
        try {
          const [b, c, schema] = await roundsBetween(suite, [base!, candidate], { rounds, until: stopWhenDecided(rules) }, path.join(out, `step${n}`), f.grep);
          const cmp = compareRuns(b, c, rules);
          return failing(schema ? withSchema(cmp, schema) : cmp);
        } finally {
          await candidate.stop();
        }
      };
      const subject = (c: string) => execFileSync('git', ['log', '-1', '--format=%h %s', c], { cwd: top, encoding: 'utf8' }).trim();
      console.log(`bisect: ${commits.length} commits from ${f.good} to ${f.bad}; ${f.bad} against ${f.good} first`);
      const regression = await step(bad, 0);
      if (!regression.length) {
        console.log(`bisect: ${f.bad} is not worse than ${f.good} (no failing finding): nothing to bisect`);
        write(out, { good, bad, regression: [], first: null });
        return 0;
      }
      console.log(`bisect: the regression: ${regression.length} failing finding(s)\n${findingLines(regression).join('\n')}`);
      const keys = new Set(regression.map(keyOf));
      // Invariant: commits[hi] shows the regression; everything up to lo does not (lo = -1: good).
      let [lo, hi] = [-1, commits.length - 1];
      const steps: { commit: string; regressed: boolean; findings: string[] }[] = [];
      let n = 1;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        const found = (await step(commits[mid]!, n++)).filter((x) => keys.has(keyOf(x)));
        steps.push({ commit: commits[mid]!, regressed: found.length > 0, findings: found.map(formatFinding) });
        console.log(`bisect: ${subject(commits[mid]!)}: ${found.length ? `worse (${found.length} of the regression's findings)` : 'not worse'}`);
        if (found.length) hi = mid;
        else lo = mid;
      }
      const first = commits[hi]!;
      console.log(`bisect: the first worse commit is ${subject(first)}`);
      write(out, { good, bad, regression: regression.map(formatFinding), steps, first, subject: subject(first) });
      return 1;
    } finally {
      await base?.stop();
      rmSync(work, { recursive: true, force: true });
    }
  },
};

function write(out: string, value: unknown): void {
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'bisect.json'), `${JSON.stringify(value, null, 2)}\n`);
}
