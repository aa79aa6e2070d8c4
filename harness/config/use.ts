/** The `use` block of a suite's playwright.config.ts, from validated settings: every harness option filled. */
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
