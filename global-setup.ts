/**
 * Before any test: the harness's setup (run ID, the capability probe, reaping expired rows of
 * earlier runs), plus what only app/'s suite checks: app/ must offer its test endpoints (its
 * fixtures seed through them), and a reused app/ must run with the faults this run asks for.
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { FullConfig } from '@playwright/test';
import { runSetup } from 'pressure-harness/lifecycle';
import { APP_LOG_DIR, appLogFile } from './config/settings.js';
import type { SuiteOptions } from './fixtures/options.js';
import { SeedClient } from './seed/client.js';
import { datasetName } from './seed/dataset.js';
import { formatPlan, planOf } from './seed/plan.js';
import { suiteLifecycle } from './seed/lifecycle.js';

export default async function globalSetup(config: FullConfig): Promise<void> {
  pruneLogs(process.env.RUN_ID);
  await runSetup(config, {
    ...suiteLifecycle,
    async afterProbe({ service }) {
      // A server left running is reused outside CI: it must run with the faults this run asks
      // for, or a "clean" run would measure a faulty app (or the reverse).
      const served = (await new SeedClient(service).faults()).sort().join(',');
      const asked = (process.env.APP_FAULTS ?? '')
        .split(',')
        .map((f) => f.trim())
        .filter(Boolean)
        .sort()
        .join(',');
      if (config.webServer && served !== asked) {
        throw new Error(`the backend runs with APP_FAULTS="${served}" but this run asks for "${asked}": an app already listening was reused. Stop it, or run with CI=1 so the suite starts its own.`);
      }
      if (served) process.stderr.write(`faults on purpose: ${served}\n`);
      // The dataset's plan, checked before any row is written: a profile that cannot fit stops here.
      const use = config.projects[0]!.use as SuiteOptions & { seedRoot: string };
      const restored = await new SeedClient(service).restoredDataset();
      if (restored?.name !== datasetName(use.seedProfile, use.seedRoot, use.datasetKnobs)) {
        const plan = planOf(use.seedProfile, use.seedRoot, use.datasetKnobs, { maxRows: use.datasetLimits.maxRows, ...(use.datasetLimits.dataDir && { dataDir: use.datasetLimits.dataDir }) });
        if (plan.problems.length) throw new Error(`${formatPlan(plan)}\nThe run stops before writing anything: the dataset does not fit.`);
      }
    },
  });
}

/** The app's logs of the last runs are kept (one file per run); older ones go. */
function pruneLogs(runId: string | undefined, keep = 5): void {
  if (!existsSync(APP_LOG_DIR)) return;
  const mine = runId ? path.basename(appLogFile(runId)) : '';
  const logs = readdirSync(APP_LOG_DIR)
    .filter((f) => f.startsWith('app-') && f.endsWith('.log') && f !== mine)
    .map((f) => ({ f, at: statSync(path.join(APP_LOG_DIR, f)).mtimeMs }))
    .sort((a, b) => b.at - a.at);
  for (const { f } of logs.slice(keep)) rmSync(path.join(APP_LOG_DIR, f), { force: true });
}
