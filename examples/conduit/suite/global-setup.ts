import type { FullConfig } from '@playwright/test';
import { runSetup, type SuiteLifecycle } from 'pressure-harness/lifecycle';
import { rmSync } from 'node:fs';
import { datasetFile, resources } from './fixtures.js';

/** conduit offers no test endpoints: the run's rows are found through the ledgers of the seeding adapters. */
export const lifecycle: SuiteLifecycle = {
  resources: (o) => [resources({ ...o, authors: (o as unknown as { authors: number }).authors }).api],
  // The run's dataset file (tokens of seeded users) goes with the run.
  afterCleanup: async ({ runId }) => rmSync(datasetFile(runId), { force: true }),
};
export default (config: FullConfig) => runSetup(config, lifecycle);
