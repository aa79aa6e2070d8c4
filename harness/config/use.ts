/** The `use` block of a suite's playwright.config.ts, from validated settings: every harness option filled; and the perf reporter's entry. */
import path from 'node:path';
import type { HarnessOptions } from '../fixtures/options.js';
import type { HarnessSettings } from './settings.js';

export function harnessUse(s: HarnessSettings, o: { databaseUrl?: string; datasetLabel?: string; backendLogFile?: string } = {}): HarnessOptions & { baseURL: string } {
  return {
    baseURL: s.baseUrl,
    serviceToken: s.serviceToken,
    runTtlSeconds: s.runTtlSeconds,
    seedRoot: s.seed,
    databaseUrl: o.databaseUrl ?? s.databaseUrl,
    authScheme: s.auth,
    healthPath: s.healthPath,
    metricsPath: s.metricsPath,
    datasetLabel: o.datasetLabel ?? 'n/a',
    backendLogFile: o.backendLogFile,
    perfSettings: s.perf,
  };
}

/** The reporter entry that writes summary.md and results.json after a run with perf tests; a suite anywhere in the tree can name it. */
export function perfReporter(outputDir: string): [string, { outputDir: string }] {
  // From the repository's root, where runs start (npm scripts, npx): neither import.meta.url nor
  // require.resolve of a module Playwright loaded through the "imports" map (#harness/*) is a path.
  return [path.resolve('harness', 'report', 'reporter.ts'), { outputDir }];
}
