/**
 * The perf project as a benchmark runs it: a nested `playwright test --project=perf` with a
 * dataset profile, its results in perf-results/scale/<profile>/, stopped if it has not ended
 * within its bound, read back as each scenario's verdict and p95 (bench:scale, bench:large).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { nestedRunEnv } from './nested-run.js';

export type ScenarioResult = { verdict: string; p95Ms: number | null; requests: number | null; broken: string[] };
export type PerfProjectRun = { exitCode: number | null; seconds: number; verdict: string; scenarios: Record<string, ScenarioResult>; dir: string };

/** Runs the perf project with the given dataset profile; stopped (SIGTERM) after `timeoutMs`. */
export async function perfProject(profile: string, extraEnv: Record<string, string>, timeoutMs: number, log = 'bench'): Promise<PerfProjectRun> {
  const dir = path.join('perf-results', 'scale', profile);
  const started = performance.now();
  console.log(`${log}: perf project on ${profile}…`);
  const child = spawn('npx', ['playwright', 'test', '--project=perf'], {
    env: nestedRunEnv({ SEED_PROFILE: profile, PERF_RESULTS_DIR: dir, PLAYWRIGHT_HTML_OUTPUT_DIR: path.join(dir, 'report'), ...extraEnv }),
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
  const exitCode = await new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  clearTimeout(timer);
  const seconds = (performance.now() - started) / 1000;
  try {
    const results = JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8')) as {
      verdict: string;
      scenarios: { id: string; verdict: string; stats: { latency_ms?: { 'p(95)'?: number; count?: number } }; broken: { rule?: string; key?: string; message?: string }[] }[];
    };
    const scenarios = Object.fromEntries(
      results.scenarios.map((s) => [
        s.id,
        {
          verdict: s.verdict,
          p95Ms: s.stats.latency_ms?.['p(95)'] ?? null,
          requests: s.stats.latency_ms?.count ?? null,
          broken: s.broken.map((b) => b.message ?? `${b.key ?? ''} ${b.rule ?? ''}`.trim()),
        },
      ]),
    );
    return { exitCode, seconds, verdict: results.verdict, scenarios, dir };
  } catch (e) {
    return { exitCode, seconds, verdict: `no results (${(e as Error).message})`, scenarios: {}, dir };
  }
}
