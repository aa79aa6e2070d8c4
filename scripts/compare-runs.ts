/**
 * What perf:compare and verify:faults share: app/ started on ports and a database of its own,
 * one perf run of the suite against a backend with budgets recorded (not gating), and a
 * comparison written as compare.json / compare.md.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { compareRuns, type CompareRules, type Comparison, type Side } from '../harness/compare/compare.js';
import { loadCompareRules } from '../harness/compare/rules.js';
import { compareMarkdown } from '../harness/compare/format.js';
import { readScenarioFiles, type ScenarioFile } from '../harness/report/results.js';
import '../harness/metrics/builtin.js';
import '../fixtures/metrics.js';
import { appServerEnv, type Settings } from '../config/settings.js';
import { freePort, startAppProcess, waitHealthy, type AppProcess } from './app-process.js';
import { nestedRunEnv } from './nested-run.js';
import { embeddedUrl } from '../devdb/url.js';

/** The suite's tuning of the comparison, if it has one (budgets/compare.ts exporting `comparison`). */
/** This suite's comparison rules (budgets/compare.ts over the defaults). */
export const suiteRules = (): Promise<CompareRules> => loadCompareRules('budgets');

/** app/ (of `cwd`, else this checkout) on free ports with its own embedded database. */
export async function startBackend(settings: Settings, label: string, env: Record<string, string>, cwd?: string): Promise<{ app: AppProcess; url: string; databaseUrl: string }> {
  const port = await freePort();
  const pgPort = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const app = startAppProcess({ ...appServerEnv(settings, `compare-${label}`), PORT: String(port), PG_PORT: String(pgPort), APP_FAULTS: '', ...env }, cwd);
  try {
    await waitHealthy(app, url, 180_000);
  } catch (e) {
    await app.stop();
    throw e;
  }
  // The nested runs read PostgreSQL's statistics through it (harness/pg/evidence.ts).
  return { app, url, databaseUrl: settings.appDatabaseUrl ?? embeddedUrl(pgPort) };
}

/** One perf run of the suite against `baseUrl`, its results in `dir`; budgets recorded only unless `budgets: 'gate'`. */
export async function perfRunAgainst(baseUrl: string, dir: string, o: { grep?: string; env?: Record<string, string>; budgets?: 'gate' | 'record' } = {}): Promise<{ files: ScenarioFile[]; exit: number; failures: string[] }> {
  rmSync(dir, { recursive: true, force: true });
  const report = path.join(dir, 'report.json');
  // The JSON report keeps each failing test's error, and the run's own (global setup, teardown).
  const args = ['playwright', 'test', '--project=perf', '--reporter=json', ...(o.grep ? ['--grep', o.grep] : [])];
  const exit = await new Promise<number>((resolve) => {
    const child = spawn('npx', args, {
      env: nestedRunEnv({ BASE_URL: baseUrl, PERF_BUDGETS: o.budgets ?? 'record', PERF_RESULTS_DIR: dir, PLAYWRIGHT_JSON_OUTPUT_FILE: report, ...o.env }),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.on('exit', (code) => {
      // 1 with budgets gating is a broken budget, which the results say; anything else, the run's own words.
      if (code !== 0 && !(code === 1 && o.budgets === 'gate')) process.stderr.write(err);
      resolve(code ?? 1);
    });
  });
  const files = readScenarioFiles(dir);
  const failures = failuresOf(report);
  if (!files.length) throw new Error(`the perf run into ${dir} left no scenario results (exit ${exit})${failures.length ? `: ${failures.join('; ')}` : ''}`);
  return { files, exit, failures };
}

type JsonSuite = { specs?: { title: string; ok: boolean; tests: { results: { errors?: { message?: string }[] }[] }[] }[]; suites?: JsonSuite[] };

/** Each failing test of a Playwright JSON report, `title: first line of its error`, and the run's own errors. */
function failuresOf(file: string): string[] {
  let report: { suites?: JsonSuite[]; errors?: { message?: string }[] };
  try {
    report = JSON.parse(readFileSync(file, 'utf8')) as typeof report;
  } catch {
    return existsSync(file) ? [`${file} is not JSON`] : [];
  }
  const firstLine = (m: string | undefined) => (m ?? '').replace(/\u001b\[[0-9;]*m/g, '').split('\n').find((l) => l.trim()) ?? '';
  const out: string[] = [];
  const visit = (s: JsonSuite) => {
    for (const spec of s.specs ?? []) if (!spec.ok) out.push(`${spec.title}: ${firstLine(spec.tests.flatMap((t) => t.results.flatMap((r) => r.errors ?? []))[0]?.message)}`);
    for (const c of s.suites ?? []) visit(c);
  };
  for (const s of report.suites ?? []) visit(s);
  for (const e of report.errors ?? []) out.push(`the run: ${firstLine(e.message)}`);
  return out;
}

/** Compares and writes <out>/<name>.json and .md. */
export function writeComparison(base: Side, candidate: Side, rules: CompareRules, out: string, name = 'compare', extra: Record<string, unknown> = {}): Comparison {
  const c = compareRuns(base, candidate, rules);
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, `${name}.json`), `${JSON.stringify({ ...c, ...extra }, null, 2)}\n`);
  writeFileSync(path.join(out, `${name}.md`), compareMarkdown(c));
  return c;
}
