import type { FullConfig } from '@playwright/test';
import { runSetup, type SuiteLifecycle } from '#harness/lifecycle/run.js';
import { resources } from './fixtures.js';

/** conduit offers no test endpoints: the run's rows are found through the ledgers of the seeding adapters. */
export const lifecycle: SuiteLifecycle = { resources: (o) => [resources({ ...o, authors: (o as unknown as { authors: number }).authors }).api] };
export default (config: FullConfig) => runSetup(config, lifecycle);
