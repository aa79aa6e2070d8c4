/**
 * After the last test: the harness removes the run and proves it (through app/'s run endpoints,
 * and by counting in every run-tagged table of the database). A run restored from a saved
 * dataset also drops its own database. Of a sharded run, only the last shard cleans up.
 */
import type { FullConfig } from '@playwright/test';
import { runTeardown } from 'pressure-harness/lifecycle';
import { suiteLifecycle } from './seed/lifecycle.js';

export default async function globalTeardown(config: FullConfig): Promise<void> {
  await runTeardown(config, suiteLifecycle);
}
