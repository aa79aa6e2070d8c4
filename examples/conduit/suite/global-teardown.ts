import type { FullConfig } from '@playwright/test';
import { runTeardown } from 'pressure-harness/lifecycle';
import { lifecycle } from './global-setup.js';

export default (config: FullConfig) => runTeardown(config, lifecycle);
