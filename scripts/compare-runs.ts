/**
 * What perf:compare and verify:faults share: app/ started on ports and a database of its own,
 * one perf run of the suite against a backend with budgets recorded (not gating), and a
 * comparison written as compare.json / compare.md.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { loadSuite, perfRun, type RunResult, type Suite } from 'pressure-harness/cli';
import path from 'node:path';
import { compareRuns, type CompareRules, type Comparison, type Side } from 'pressure-harness/compare';
import { loadCompareRules } from 'pressure-harness/compare';
import { compareMarkdown } from 'pressure-harness/compare';
import 'pressure-harness/metrics';
import '../fixtures/metrics.js';
import { appServerEnv, type Settings } from '../config/settings.js';
import { freePort, startAppProcess, waitHealthy, type AppProcess } from './app-process.js';
import { embeddedUrl } from 'pressure-harness/embedded';

/** The suite's tuning of the comparison, if it has one (budgets/compare.ts exporting `comparison`). */
/** This suite's comparison rules (budgets/compare.ts over the defaults). */
export const suiteRules = (): Promise<CompareRules> => loadCompareRules('budgets');

/**
 * app/ (of `cwd`, else this checkout) on free ports with its own embedded database, in a
 * directory of its own that stopping removes. The default (`.pgdata-<port>` in the checkout) left
 * a cluster of 200 MB behind per round: 162 of them, 28 GB, after a day of proofs here.
 */
export async function startBackend(settings: Settings, label: string, env: Record<string, string>, cwd?: string): Promise<{ app: AppProcess; url: string; databaseUrl: string }> {
  const port = await freePort();
  const pgPort = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `pressure-${label}-`));
  // mkdtemp's 0700 would keep out the postgres user, and the cluster would be staged elsewhere (embedded/staging.ts).
  chmodSync(dataDir, 0o755);
  const started = startAppProcess({ ...appServerEnv(settings, `compare-${label}`), PORT: String(port), PG_PORT: String(pgPort), PG_DATA_DIR: dataDir, APP_FAULTS: '', ...env }, cwd);
  const app: AppProcess = {
    ...started,
    stop: async () => {
      try {
        return await started.stop();
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
  try {
    await waitHealthy(app, url, 180_000);
  } catch (e) {
    await app.stop();
    throw e;
  }
  // The nested runs read PostgreSQL's statistics through it (pressure-harness/src/pg/evidence.ts).
  return { app, url, databaseUrl: settings.appDatabaseUrl ?? embeddedUrl(pgPort) };
}

/** One perf run of app/'s suite against `baseUrl`, its results in `dir`; budgets recorded only unless `budgets: 'gate'`. The package's nested run, with app/'s own knobs cleared (faults). */
export async function perfRunAgainst(baseUrl: string, dir: string, o: { grep?: string; env?: Record<string, string>; budgets?: 'gate' | 'record' } = {}): Promise<RunResult> {
  suite ??= loadSuite(path.join(ROOT, 'playwright.config.ts'));
  return perfRun(await suite, { baseUrl, dir: path.resolve(dir), ...(o.grep && { grep: o.grep }), ...(o.budgets && { budgets: o.budgets }), env: { APP_FAULTS: '', ...o.env } });
}
let suite: Promise<Suite> | undefined;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Compares and writes <out>/<name>.json and .md. */
export function writeComparison(base: Side, candidate: Side, rules: CompareRules, out: string, name = 'compare', extra: Record<string, unknown> = {}): Comparison {
  const c = compareRuns(base, candidate, rules);
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, `${name}.json`), `${JSON.stringify({ ...c, ...extra }, null, 2)}\n`);
  writeFileSync(path.join(out, `${name}.md`), compareMarkdown(c));
  return c;
}
