/**
 * A Playwright reporter that, after a run with perf tests, writes perf-results/summary.md and
 * results.json from the scenarios' result files of this run, and the CI job summary
 * ($GITHUB_STEP_SUMMARY) where there is one. A run that crashed writes them too, saying how it
 * ended (report/outcome.ts): a perf test whose backend died leaves no scenario file, only its
 * error. A run without perf tests writes nothing. Given a history store (perfReporter(settings.perf)
 * with HISTORY_DATABASE_URL or PERF_HISTORY_DIR set), it records the run there and appends to
 * summary.md the series of its scenarios that changed; a store that cannot be reached is said in
 * the summary, and the run's verdict stands.
 */
import type { FullConfig, FullResult, Reporter, Suite, TestCase, TestError, TestResult } from '@playwright/test/reporter';
import { commitOf, releaseOf } from './meta.js';
import { classify, type Problem, projectRequested } from './outcome.js';
import { PERF_RESULTS, readDbFiles, readScenarioFiles } from './results.js';
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import type { HistoryTarget } from '../config/settings.js';
import { recordAndExplain } from '../history/changes.js';
import { historyRunOf } from '../history/record.js';
import { openHistory } from '../history/store.js';
import { writeSummary } from './summary.js';

export default class PerfSummaryReporter implements Reporter {
  private config?: FullConfig;
  private readonly dir: string;

  private readonly project: string;
  private readonly history?: HistoryTarget;
  private perfTests = 0;
  private perfSelected = 0;
  private readonly failures: { title: string; message: string }[] = [];
  /** Errors outside any test (global setup refusing the run): the run's own. */
  private readonly runErrors: string[] = [];

  /** `project`: the perf project's name, whose tests are scenarios. */
  constructor(options: { outputDir?: string; project?: string; history?: HistoryTarget } = {}) {
    this.dir = options.outputDir ?? PERF_RESULTS;
    this.project = options.project ?? 'perf';
    this.history = options.history;
  }

  onTestEnd(test: TestCase, result: TestResult): void {
    if (test.parent.project()?.name !== this.project) return;
    this.perfTests += 1;
    if (result.status === 'passed' || result.status === 'skipped') return;
    const message = result.errors.map((e) => e.message ?? e.value ?? '').join('\n') || `the test ended ${result.status}`;
    this.failures.push({ title: test.title, message: message.replace(/\x1b\[[0-9;]*m/g, '') });
  }

  onBegin(config: FullConfig, suite: Suite): void {
    this.config = config;
    // A run refused in global setup reaches here with no tests: the command line says whether it was a perf run.
    this.perfSelected = suite.allTests().filter((t) => t.parent.project()?.name === this.project).length || (projectRequested(this.project) ? 1 : 0);
  }

  onError(error: TestError): void {
    this.runErrors.push((error.message ?? error.value ?? 'an error outside any test').replace(/\x1b\[[0-9;]*m/g, ''));
  }

  printsToStdio(): boolean {
    return false;
  }

  async onEnd(result: FullResult): Promise<void> {
    const runId = process.env.RUN_ID;
    if (!runId) return;
    const scenarios = readScenarioFiles(this.dir, runId);
    if (!scenarios.length && !this.perfTests && !(this.perfSelected && this.runErrors.length)) return;
    const failedScenarios = new Set(scenarios.filter((s) => s.verdict === 'failed').map((s) => s.scenario));
    const problems: Problem[] = this.failures.map((f) => classify(f.title, f.message, failedScenarios.has(f.title)));
    // A run refused before its tests (global setup): a dataset that does not fit is a setting to change.
    for (const e of this.runErrors) problems.push(/does not fit|invalid setting/.test(e) ? { test: '(run)', outcome: 'bad settings', message: e.slice(0, 400) } : classify('(run)', e, false));
    if (result.status === 'interrupted' || result.status === 'timedout') problems.push({ test: '(run)', outcome: 'error in a test', message: `the run ended ${result.status}` });
    const shard = this.config?.shard;
    const meta = {
      runId,
      release: releaseOf(),
      commit: commitOf(),
      baseline: (this.config?.metadata as { perfBaseline?: string } | undefined)?.perfBaseline ?? null,
      shards: 1,
      source: shard ? `shard ${shard.current}/${shard.total}` : 'one run',
      problems,
    };
    const s = writeSummary(this.dir, scenarios, readDbFiles(this.dir, runId), meta);
    console.log(`perf: ${scenarios.length} scenarios, ${s.outcome}; ${this.dir}/summary.md and ${this.dir}/results.json written`);
    // A shard is recorded once merged (pressure merge, then pressure history import), never half.
    if (this.history && scenarios.length && !shard) await this.record(scenarios);
  }

  private async record(scenarios: ReturnType<typeof readScenarioFiles>): Promise<void> {
    const where = 'url' in this.history! ? 'HISTORY_DATABASE_URL' : this.history!.dir;
    let md: string;
    try {
      const store = await openHistory(this.history!);
      try {
        md = (await recordAndExplain(store, historyRunOf(scenarios, { source: 'one run' }))).markdown;
      } finally {
        await store.close();
      }
    } catch (e) {
      md = `\n### History\n\nThis run was not recorded: the history store (${where}) failed: ${(e as Error).message.split('\n')[0]}\n`;
    }
    appendFileSync(path.join(this.dir, 'summary.md'), md);
    if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, md);
    console.log(`perf: history ${md.includes('not recorded') ? 'not recorded' : 'recorded'} (${where})`);
  }
}
