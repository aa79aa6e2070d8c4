/**
 * pressure merge: the perf results of a sharded run, one folder per shard, merged into one as an
 * unsharded run would have written them: histograms added bucket by bucket (never averaged
 * percentiles), each scenario assessed again by the step that assessed each shard (budgets, the
 * baseline's comparison, scale probes), statement statistics summed; then summary.md and
 * results.json for the whole run.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { formatOutcome } from '../budgets/define.js';
import { loadBudgets } from '../budgets/discover.js';
import { type Baseline, loadBaseline } from '../budgets/baselines.js';
import { loadCompareRules } from '../compare/rules.js';
import { commitOf, releaseOf } from '../report/meta.js';
import { mergeStatements, readDbFiles, readScenarioFiles, type ScenarioFile, writeJson } from '../report/results.js';
import { writeSummary } from '../report/summary.js';
import { mergeScenario } from '../results/merge.js';
import { type FlagSpec, parseFlags, UsageError } from './args.js';
import { loadSuite } from './suite.js';

export const merge = {
  name: 'merge',
  summary: "merge a sharded perf run's results folders into one, every finding and verdict kept",
  usage: 'pressure merge <shard results dir>… [--out <dir>] [--baseline <tag>] [-c <config>]',
  about:
    "Merges the perf results of a sharded run (each shard's results folder, as `npx playwright test --shard` left them) into one: histograms are added, every scenario is assessed again on the whole (budgets, the baseline's comparison, scale probes), statement statistics are summed. Writes <out>/scenarios, summary.md and results.json. Exits 1 when a merged scenario fails, 2 on bad input.",
  example: 'npx pressure merge shard-1/perf-results shard-2/perf-results --out perf-results',
  flags: {
    out: { type: 'string', help: "where the merged results go (default: the suite's results folder)" },
    baseline: { type: 'string', help: "a release tag in the suite's baselines folder (default: the one the shards were compared with, if any)" },
  } satisfies FlagSpec,
  async run(argv: string[]): Promise<number> {
    const f = parseFlags('merge', argv, merge.flags, merge.usage);
    const dirs = f.positionals.map((d) => path.resolve(d));
    const problems = f.problems;
    if (!dirs.length) problems.push("give at least one results folder (each shard's perf results)");
    for (const d of dirs) if (!existsSync(path.join(d, 'scenarios'))) problems.push(`${d} holds no scenarios/ folder: is it the results folder of a perf run?`);
    f.done();
    const suite = await loadSuite(f.config);
    const out = f.out ? path.resolve(f.out) : suite.perf.resultsDir;
    const files = dirs.flatMap((d) => readScenarioFiles(d));
    if (!files.length) throw new UsageError('merge', [`no scenario results in ${dirs.join(', ')}`], merge.usage);
    const runs = [...new Set(files.map((x) => x.runId))];
    if (runs.length > 1) throw new UsageError('merge', [`the results come from ${runs.length} runs (${runs.join(', ')}): shards of one run share its RUN_ID; merge one run at a time`], merge.usage);
    // The baseline the shards were compared with, unless another is named.
    const tag = f.baseline ?? files.find((x) => x.baseline?.tag)?.baseline?.tag;
    let baseline: Baseline | undefined;
    if (tag) {
      const b = loadBaseline(tag, suite.perf.baselinesDir);
      if (typeof b === 'string') throw new UsageError('merge', [`${f.baseline ? '--baseline' : `the shards' baseline ${tag}`}: ${b}`], merge.usage);
      baseline = b;
    }
    const byId = new Map<string, ScenarioFile[]>();
    for (const x of files) byId.set(x.scenario, [...(byId.get(x.scenario) ?? []), x]);
    const budgets = await loadBudgets(suite.perf.budgetsDir);
    const rules = await loadCompareRules(suite.perf.budgetsDir);
    const merged = [...byId.values()].map((parts) => mergeScenario(parts, budgets.budgetFor, { ...(baseline && { baseline }), rules }));
    for (const m of merged) writeJson(path.join(out, 'scenarios', `${m.scenario}.json`), m);
    const db = dirs.flatMap((d) => readDbFiles(d, runs[0]));
    // The statements of every shard, summed, for whoever merges this output again.
    if (!dirs.includes(out)) writeJson(path.join(out, 'db', `${runs[0]}-merged.json`), { runId: runs[0], ...mergeStatements(db) });
    const shards = new Set(files.map((x) => x.shard ?? 'unsharded')).size;
    const s = writeSummary(out, merged, db, { runId: runs[0]!, release: releaseOf(), commit: commitOf(), baseline: baseline?.tag ?? null, shards, source: `pressure merge of ${dirs.join(', ')}` });
    console.log(`merge: ${merged.length} scenarios from ${dirs.length} folders (${shards} shards) → ${path.join(out, 'summary.md')}, results.json: ${s.verdict}`);
    for (const m of merged) {
      const why = m.broken[0]
        ? formatOutcome(m.broken[0])
        : m.comparison?.findings.find((x) => x.severity === 'fail')
          ? `worse than ${m.comparison.against}`
          : m.probes?.some((p) => p.findings.some((x) => x.severity === 'fail'))
            ? 'cost grows with the data (scale probe)'
            : '';
      console.log(`  ${m.verdict === 'passed' ? 'ok  ' : 'FAIL'} ${m.scenario}${why ? `: ${why}` : ''}`);
    }
    return s.verdict === 'passed' ? 0 : 1;
  },
};
