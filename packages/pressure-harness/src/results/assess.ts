/**
 * A scenario's result, built once: from what was measured (route metrics, the budget's outcomes)
 * to the file every later step reads, with every judgement in it: budgets, the comparison with
 * the baseline's recorded results, the scale probes, and the verdict that follows from all three.
 *
 * One pure step for every caller: the perf fixture after a run, `merge` over shards, anything
 * that re-judges stored results. A shard merge that rebuilt the file another way dropped the
 * comparison and the probes, and said "passed" where a shard's findings had failed.
 */
import type { Baseline } from '../budgets/baselines.js';
import { compareRuns, type Comparison, type CompareRules, failing, type Finding } from '../compare/compare.js';
import { formatProbeFinding, type ProbeResult, probeFailing, probeScale, type ScaleProbe } from '../compare/probe.js';
import type { ScenarioFile } from '../report/results.js';
import { scenarioFile } from '../report/scenario.js';

export type AssessInput = Parameters<typeof scenarioFile>[0] & {
  /** The release baseline (PERF_BASELINE): its budget values and, where it recorded them, its results. */
  baseline?: Baseline;
  /** The suite's comparison rules (its budgets/compare.ts over the defaults). */
  rules: CompareRules;
  /** The scale probes the scenario declared. */
  probes: ScaleProbe[];
  /** Gate mode: failing findings fail the scenario. Record mode (PERF_BUDGETS=record) keeps them as data. */
  gate: boolean;
};

export type Assessment = {
  file: ScenarioFile;
  /** Every metric against the baseline's recorded results, where it recorded this scenario's. */
  comparison?: Comparison;
  /** The comparison's failing findings. */
  findingsFailing: Finding[];
  probes: ProbeResult[];
  /** Failing probe findings, as sentences. */
  probesFailing: string[];
};

export function assess(i: AssessInput): Assessment {
  const file = scenarioFile(i);
  file.assessed = { gate: i.gate, probes: i.probes };
  const against = i.baseline?.results?.[i.id];
  const comparison = against
    ? compareRuns(
        { label: i.baseline!.tag, rounds: [[{ scenario: i.id, raw: against.raw as unknown as ScenarioFile['raw'], pg: against.pg as ScenarioFile['pg'] }]] },
        { label: 'this run', rounds: [[file]] },
        i.rules,
      )
    : undefined;
  const findingsFailing = comparison ? failing(comparison) : [];
  if (comparison) file.comparison = { against: i.baseline!.tag, compared: comparison.compared, tested: comparison.tested, findings: comparison.findings, improvements: comparison.improvements };
  const probes = i.probes.map((p) => probeScale(i.id, file.raw, p, i.rules));
  const probesFailing = probes.flatMap((p) => probeFailing(p).map((f) => formatProbeFinding(p, f)));
  if (probes.length) file.probes = probes;
  if (i.gate && (findingsFailing.length || probesFailing.length)) file.verdict = 'failed';
  return { file, ...(comparison && { comparison }), findingsFailing, probes, probesFailing };
}
