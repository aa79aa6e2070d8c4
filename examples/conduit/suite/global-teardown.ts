import type { FullConfig } from '@playwright/test';
import { runTeardown } from '#harness/lifecycle/run.js';
import { lifecycle } from './global-setup.js';

export default (config: FullConfig) => runTeardown(config, lifecycle);
