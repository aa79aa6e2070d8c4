/**
 * pressure baseline save|check|list: a release's perf results kept as the suite's baseline
 * (<baselines>/<tag>.json, read back by runs with PERF_BASELINE=<tag>), checked against a later
 * run metric by metric, and listed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { availableTags, baselineFromResults, loadBaseline, writeBaseline } from '../budgets/baselines.js';
import { compareRuns, failing } from '../compare/compare.js';
import { findingLines } from '../compare/format.js';
import { loadCompareRules } from '../compare/rules.js';
import { readScenarioFiles, type ScenarioFile } from '../report/results.js';
import { actionOf, type FlagSpec, parseFlags, UsageError } from './args.js';
import { loadSuite } from './suite.js';

const ACTIONS = ['save', 'check', 'list'] as const;

export const baseline = {
  name: 'baseline',
  summary: "save a run's results as a release baseline, check a run against one, list them",
  usage: 'pressure baseline (save --tag <tag> [--from <results dir>] [--force] | check --tag <tag> [--from <results dir>] | list) [-c <config>]',
  about:
    "save: the passing scenarios of a perf run (default: the suite's results folder) become <baselines>/<tag>.json, written whole or not at all; an existing tag is kept unless --force. check: a run's results against what the baseline recorded, every metric, no rule written; exits 1 on a failing finding. list: the saved tags.",
  example: 'npx pressure baseline save --tag v1.4.0',
  flags: {
    tag: { type: 'string', help: 'the release tag: letters, digits, ".", "_" and "-", such as v1.4.0' },
    from: { type: 'string', help: "a perf run's results folder (default: the suite's)" },
    force: { type: 'boolean', help: 'replace a saved baseline of the same tag' },
  } satisfies FlagSpec,
  async run(argv: string[]): Promise<number> {
    const f = parseFlags('baseline', argv, baseline.flags, baseline.usage);
    const problems = f.problems;
    const action = actionOf(problems, f.positionals, ACTIONS);
    if ((action === 'save' || action === 'check') && !f.tag) problems.push(`${action} needs --tag <release tag>, such as v1.4.0`);
    if (action === 'list' && (f.tag || f.from || f.force)) problems.push('list takes no --tag, --from or --force');
    if (action === 'check' && f.force) problems.push('--force goes with save');
    f.done();
    const suite = await loadSuite(f.config);
    const dir = suite.perf.baselinesDir;
    if (action === 'list') {
      const tags = availableTags(dir);
      console.log(tags.length ? tags.map((t) => `${t}\t${path.join(dir, `${t}.json`)}`).join('\n') : `no baselines in ${dir}`);
      return 0;
    }
    const from = f.from ? path.resolve(f.from) : suite.perf.resultsDir;
    if (!existsSync(path.join(from, 'scenarios')))
      throw new UsageError(
        'baseline',
        [`${from} holds no scenarios/ folder: run the perf project first (npx playwright test --project=${suite.perfProject}) or name a results folder with --from`],
        baseline.usage,
      );
    const files = readScenarioFiles(from);
    if (action === 'save') {
      const made = baselineFromResults(files, {
        tag: f.tag!,
        commit: commitHere(suite.root),
        machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
      });
      if ('problems' in made)
        throw new UsageError(
          'baseline',
          made.problems.map((p) => `${from}: ${p}`),
          baseline.usage,
        );
      let target: string;
      try {
        target = writeBaseline(dir, made.baseline, { force: f.force ?? false });
      } catch (e) {
        throw new UsageError('baseline', [(e as Error).message], baseline.usage);
      }
      console.log(
        `baseline save: ${target}: ${Object.keys(made.baseline.scenarios).length} scenarios (${made.baseline.profile} profile)${made.skipped.length ? `; not passing, left out: ${made.skipped.join(', ')}` : ''}. Compare with PERF_BASELINE=${made.baseline.tag}.`,
      );
      return 0;
    }
    const b = loadBaseline(f.tag!, dir);
    if (typeof b === 'string') throw new UsageError('baseline', [b], baseline.usage);
    if (!b.results) throw new UsageError('baseline', [`baseline ${b.tag} recorded budget values only, no results to compare with: save it again`], baseline.usage);
    const recorded = Object.entries(b.results).map(([id, r]) => ({ scenario: id, raw: r.raw as unknown as ScenarioFile['raw'], pg: r.pg as ScenarioFile['pg'] }));
    const c = compareRuns({ label: `baseline ${b.tag}`, rounds: [recorded] }, { label: from, rounds: [files] }, await loadCompareRules(suite.perf.budgetsDir));
    const fails = failing(c);
    console.log(
      `baseline check: ${from} against ${b.tag} (saved ${b.savedAt.slice(0, 10)}, ${b.profile} profile, ${b.machine}): ${c.compared} metrics, ${fails.length} failing, ${c.findings.length - fails.length} warnings`,
    );
    for (const l of findingLines(c.findings)) console.log(l);
    return fails.length ? 1 : 0;
  },
};

/** The commit of the suite's checkout, or null outside git. */
function commitHere(cwd: string): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}
