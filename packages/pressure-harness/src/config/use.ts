/** The `use` block of a suite's playwright.config.ts, from validated settings: every harness option filled; and the perf reporter's entry. */
import type { HarnessOptions } from '../fixtures/options.js';
import { type BackendSpec, checkBackend } from './backend.js';
import type { HarnessSettings, HistoryTarget, PerfSettings } from './settings.js';
import type { Domain } from '../seed/domain.js';

/**
 * `backend`: how the suite's backend starts (config/backend.ts), for the command line's
 * comparisons at git refs; `faults`: regressions the backend can be started with (name → env),
 * which `pressure verify` proves the suite catches.
 */
export function harnessUse(
  s: HarnessSettings,
  o: { databaseUrl?: string; datasetLabel?: string; backendLogFile?: string; backend?: BackendSpec; faults?: Record<string, Record<string, string>>; domain?: Domain } = {},
): HarnessOptions & { baseURL: string } {
  const problems = o.backend ? checkBackend(o.backend) : [];
  if (o.faults && !o.backend) problems.push('faults need a backend declaration: verify starts the backend with each fault');
  for (const [name, env] of Object.entries(o.faults ?? {}))
    if (!/^[a-z0-9][a-z0-9_.-]*$/i.test(name) || typeof env !== 'object' || !Object.keys(env).length)
      problems.push(`faults.${name}: a name of letters, digits, ".", "_" and "-", and a non-empty environment (such as { FEATURE_X: 'on' })`);
  if (problems.length) throw new Error(`harnessUse: the backend declaration is not usable:\n  - ${problems.join('\n  - ')}`);
  return {
    baseURL: s.baseUrl,
    serviceToken: s.serviceToken,
    runTtlSeconds: s.runTtlSeconds,
    keepRun: s.keepRun,
    domain: o.domain,
    seedRoot: s.seed,
    databaseUrl: o.databaseUrl ?? s.databaseUrl,
    authScheme: s.auth,
    healthPath: s.healthPath,
    metricsPath: s.metricsPath,
    datasetLabel: o.datasetLabel ?? 'n/a',
    backendLogFile: o.backendLogFile,
    perfSettings: s.perf,
    backend: o.backend,
    faults: o.faults,
  };
}

/** The reporter entry that writes summary.md and results.json after a run with perf tests; a suite anywhere in the tree can name it. */
export function perfReporter(perf: string | Pick<PerfSettings, 'resultsDir' | 'history'>): [string, { outputDir: string; history?: HistoryTarget }] {
  // By package name: Playwright resolves a reporter against the config's folder, so a suite
  // anywhere (and any working folder) finds the one installed beside it. Given the perf
  // settings, it also records each run in the history store they name.
  if (typeof perf === 'string') return ['pressure-harness/reporter', { outputDir: perf }];
  return ['pressure-harness/reporter', { outputDir: perf.resultsDir, ...(perf.history && { history: perf.history }) }];
}
