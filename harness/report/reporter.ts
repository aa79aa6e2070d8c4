/**
 * A Playwright reporter that, after a run with perf tests, writes perf-results/summary.md and
 * results.json from the scenarios' result files of this run, and the CI job summary
 * ($GITHUB_STEP_SUMMARY) where there is one. A run without perf tests writes nothing.
 */
import type { FullConfig, Reporter } from '@playwright/test/reporter';
import { commitOf, releaseOf } from './meta.js';
import { PERF_RESULTS, readDbFiles, readScenarioFiles } from './results.js';
import { writeSummary } from './summary.js';

export default class PerfSummaryReporter implements Reporter {
  private config?: FullConfig;
  private readonly dir: string;

  constructor(options: { outputDir?: string } = {}) {
    this.dir = options.outputDir ?? PERF_RESULTS;
  }

  onBegin(config: FullConfig): void {
    this.config = config;
  }

  printsToStdio(): boolean {
    return false;
  }

  onEnd(): void {
    const runId = process.env.RUN_ID;
    if (!runId) return;
    const scenarios = readScenarioFiles(this.dir, runId);
    if (!scenarios.length) return;
    const shard = this.config?.shard;
    const meta = {
      runId,
      release: releaseOf(),
      commit: commitOf(),
      baseline: (this.config?.metadata as { perfBaseline?: string } | undefined)?.perfBaseline ?? null,
      shards: 1,
      source: shard ? `shard ${shard.current}/${shard.total}` : 'one run',
    };
    const s = writeSummary(this.dir, scenarios, readDbFiles(this.dir, runId), meta);
    console.log(`perf: ${scenarios.length} scenarios ${s.verdict}; ${this.dir}/summary.md and ${this.dir}/results.json written`);
  }
}
