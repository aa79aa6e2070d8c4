/**
 * npm run perf:merge -- <shard results dir> <shard results dir>… [--out perf-results] [--baseline <tag>]
 *
 * Merges the perf results of a sharded run (each shard's perf-results/ folder) into one: a
 * scenario measured on several shards gets its histograms added (exact: never averaged
 * percentiles) and its budget judged again on the whole; statement statistics are summed. Then
 * summary.md and results.json are written for the whole run, as for an unsharded one.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import '../fixtures/metrics.js';
import { formatOutcome } from '../harness/budgets/define.js';
import { loadBudgets } from '../harness/budgets/discover.js';
import { type Baseline, loadBaseline } from '../harness/budgets/baselines.js';
import { mergeScenario } from '../harness/report/merge.js';
import { commitOf, releaseOf } from '../harness/report/meta.js';
import { mergeStatements, readDbFiles, readScenarioFiles, type ScenarioFile, writeJson } from '../harness/report/results.js';
import { writeSummary } from '../harness/report/summary.js';
import { argsOrExit, failAndExit } from './backend.js';

async function main() {
  const flags = argsOrExit('perf:merge', { out: { type: 'string' }, baseline: { type: 'string' } }, 'npm run perf:merge -- <results dir> <results dir>… [--out perf-results] [--baseline <tag>]');
  const dirs = flags.positionals;
  if (dirs.length < 1) failAndExit('perf:merge', 'give at least one results directory (each shard\'s perf-results/)');
  for (const d of dirs) if (!existsSync(path.join(d, 'scenarios'))) failAndExit('perf:merge', `${d} holds no scenarios/ folder: is it a perf-results directory of a perf run?`);
  const out = flags.out ?? 'perf-results';
  let baseline: Baseline | undefined;
  if (flags.baseline) {
    const b = loadBaseline(flags.baseline);
    if (typeof b === 'string') failAndExit('perf:merge', `--baseline: ${b}`);
    baseline = b;
  }
  const files = dirs.flatMap((d) => readScenarioFiles(d));
  if (!files.length) failAndExit('perf:merge', `no scenario results in ${dirs.join(', ')}`);
  const runs = [...new Set(files.map((f) => f.runId))];
  if (runs.length > 1) failAndExit('perf:merge', `the results come from ${runs.length} runs (${runs.join(', ')}): shards of one run share its RUN_ID; merge one run at a time`);
  const byId = new Map<string, ScenarioFile[]>();
  for (const f of files) byId.set(f.scenario, [...(byId.get(f.scenario) ?? []), f]);
  const budgets = await loadBudgets(path.resolve('budgets'));
  const merged = [...byId.values()].map((parts) => mergeScenario(parts, budgets.budgetFor, baseline));
  for (const m of merged) writeJson(path.join(out, 'scenarios', `${m.scenario}.json`), m);
  const db = dirs.flatMap((d) => readDbFiles(d, runs[0]));
  // The statements of every shard, summed, for whoever merges this output again.
  if (!dirs.some((d) => path.resolve(d) === path.resolve(out))) writeJson(path.join(out, 'db', `${runs[0]}-merged.json`), { runId: runs[0], ...mergeStatements(db) });
  const shards = new Set(files.map((f) => f.shard ?? 'unsharded')).size;
  const s = writeSummary(out, merged, db, { runId: runs[0]!, release: releaseOf(), commit: commitOf(), baseline: baseline?.tag ?? null, shards, source: `perf:merge of ${dirs.join(', ')}` });
  console.log(`perf:merge: ${merged.length} scenarios from ${dirs.length} directories (${shards} shards) → ${out}/summary.md, ${out}/results.json: ${s.verdict}`);
  for (const m of merged) console.log(`  ${m.verdict === 'passed' ? 'ok  ' : 'FAIL'} ${m.scenario}${m.broken.length ? `: ${formatOutcome(m.broken[0]!)}` : ''}`);
  process.exit(s.verdict === 'passed' ? 0 : 1);
}

await main();
