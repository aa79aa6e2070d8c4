/**
 * A perf run of a suite started from the command line: the user's own Playwright, their config,
 * its perf project, against a backend named by URL, into a results folder of the verb's; budgets
 * recorded, not gating (a comparison judges instead). What failed in the run (a test's error,
 * global setup's) comes back as sentences from Playwright's JSON report, never as a stack.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { readScenarioFiles, type ScenarioFile } from '../report/results.js';
import type { Suite } from './suite.js';

export type RunOptions = {
  /** Where the backend answers; unset, the suite starts its own (its webServer). */
  baseUrl?: string;
  /** The results folder of this run (emptied first). */
  dir: string;
  grep?: string;
  /** More environment for the run (a DATABASE_URL, a feature flag). */
  env?: Record<string, string>;
  budgets?: 'gate' | 'record';
};

export type RunResult = { files: ScenarioFile[]; exit: number; failures: string[] };

/** The suite's own Playwright command line, from its folder. */
function playwrightCli(suite: Suite): string {
  try {
    return createRequire(suite.configFile).resolve('@playwright/test/cli');
  } catch {
    throw new Error(`@playwright/test is not installed where ${suite.configFile} can import it: npm install -D @playwright/test`);
  }
}

/**
 * One project of the suite (its seed project, for a dataset), with `env`, its output on this
 * process's stderr as it goes (a long seed's progress); the exit code and what failed, in words.
 */
export async function projectRun(suite: Suite, project: string, env: Record<string, string>, work: string): Promise<{ exit: number; failures: string[] }> {
  const report = path.join(work, `report-${project}.json`);
  const args = [playwrightCli(suite), 'test', '-c', suite.configFile, `--project=${project}`, '--reporter=json'];
  const exit = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: suite.root,
      env: { ...process.env, CI: '1', PLAYWRIGHT_HTML_OPEN: 'never', PLAYWRIGHT_JSON_OUTPUT_FILE: report, ...env },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.on('exit', (code) => resolve(code ?? 1));
  });
  return { exit, failures: failuresOf(report) };
}

export async function perfRun(suite: Suite, o: RunOptions): Promise<RunResult> {
  rmSync(o.dir, { recursive: true, force: true });
  const report = path.join(o.dir, 'report.json');
  const args = [playwrightCli(suite), 'test', '-c', suite.configFile, `--project=${suite.perfProject}`, '--reporter=json', ...(o.grep ? ['--grep', o.grep] : [])];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // A run of its own: nothing of an outer run (its ID, its baseline) is inherited, and a
    // backend is started afresh rather than reused (CI).
    CI: '1',
    RUN_ID: '',
    PERF_BASELINE: '',
    PLAYWRIGHT_HTML_OPEN: 'never',
    PERF_BUDGETS: o.budgets ?? 'record',
    PERF_RESULTS_DIR: o.dir,
    PLAYWRIGHT_JSON_OUTPUT_FILE: report,
    ...(o.baseUrl && { BASE_URL: o.baseUrl }),
    ...o.env,
  };
  const exit = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, args, { cwd: suite.root, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.on('exit', (code) => {
      if (code !== 0 && !(code === 1 && o.budgets === 'gate')) process.stderr.write(err);
      resolve(code ?? 1);
    });
  });
  const failures = failuresOf(report);
  const files = readScenarioFiles(o.dir);
  if (!files.length) throw new Error(`the perf run against ${o.baseUrl ?? "the suite's own backend"} left no scenario results (exit ${exit})${failures.length ? `: ${failures.join('; ')}` : ''}`);
  return { files, exit, failures };
}

type JsonSuite = { specs?: { title: string; ok: boolean; tests: { results: { errors?: { message?: string }[] }[] }[] }[]; suites?: JsonSuite[] };

/** Each failing test of a Playwright JSON report, `title: first line of its error`, and the run's own errors. */
export function failuresOf(file: string): string[] {
  let report: { suites?: JsonSuite[]; errors?: { message?: string }[] };
  try {
    report = JSON.parse(readFileSync(file, 'utf8')) as typeof report;
  } catch {
    return existsSync(file) ? [`${file} is not JSON`] : [];
  }
  const firstLine = (m: string | undefined) =>
    (m ?? '')
      .replace(/\u001b\[[0-9;]*m/g, '')
      .split('\n')
      .find((l) => l.trim()) ?? '';
  const out: string[] = [];
  const visit = (s: JsonSuite) => {
    for (const spec of s.specs ?? []) if (!spec.ok) out.push(`${spec.title}: ${firstLine(spec.tests.flatMap((t) => t.results.flatMap((r) => r.errors ?? []))[0]?.message)}`);
    for (const c of s.suites ?? []) visit(c);
  };
  for (const s of report.suites ?? []) visit(s);
  for (const e of report.errors ?? []) out.push(`the run: ${firstLine(e.message)}`);
  return out;
}
