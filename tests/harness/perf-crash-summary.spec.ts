/**
 * A perf run whose backend dies still explains itself: summary.md and results.json are written,
 * and they say the backend became unreachable (not "budget broken", not nothing). One whose
 * backend freezes (SIGSTOP: sockets open, nothing answered) stops on the load engine's stall
 * guard and says what was in flight, and its teardown does not wait on the frozen backend. The
 * tests own the backend they kill or freeze: app/ on a PostgreSQL of the test's own, on ports
 * of their own.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type EmbeddedServer, startEmbeddedPostgres } from 'pressure-harness/embedded';
import { expect, test } from '../../fixtures';
import { type AppProcess, freePort, startAppProcess, waitHealthy } from '../../scripts/app-process';
import { nestedRunEnv } from '../../scripts/nested-run';

type Owned = { app: AppProcess; pg: EmbeddedServer; baseUrl: string; work: string };

/** app/ on a PostgreSQL of its own, both on free ports, for one test; everything removed after. */
async function withOwnBackend(name: string, serviceToken: string, fn: (b: Owned) => Promise<void>): Promise<void> {
  const work = mkdtempSync(path.join(os.tmpdir(), `perf-${name}-`));
  const pg = await startEmbeddedPostgres({ dataDir: path.join(work, 'pg'), port: await freePort(), log: () => {}, database: name });
  const port = await freePort();
  const app = startAppProcess({ PORT: String(port), DATABASE_URL: pg.url, TEST_SERVICE_TOKEN: serviceToken, LOG_LEVEL: 'silent', APP_LOG_FILE: '' });
  try {
    await waitHealthy(app, `http://127.0.0.1:${port}`);
    await fn({ app, pg, baseUrl: `http://127.0.0.1:${port}`, work });
  } finally {
    if (app.child.exitCode === null && app.child.signalCode === null) process.kill(app.child.pid!, 'SIGCONT'); // a frozen app must be able to stop
    await app.stop();
    await pg.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/** One perf scenario run in a process of its own against `b`; `watch` sees its output as it comes. */
function nestedPerfRun(b: Owned, serviceToken: string, grep: string, env: Record<string, string>, watch: (out: string) => void): Promise<{ code: number; out: string }> {
  let out = '';
  return new Promise((resolve) => {
    const cli = path.join('node_modules', '@playwright', 'test', 'cli.js');
    const child = spawn(process.execPath, [cli, 'test', '--project=perf', '-g', grep, '--output', path.join(b.work, 'results')], {
      env: nestedRunEnv({
        BASE_URL: b.baseUrl,
        DATABASE_URL: b.pg.url,
        TEST_SERVICE_TOKEN: serviceToken,
        SEED_DATASET: 'generate',
        PERF_RESULTS_DIR: path.join(b.work, 'perf-results'),
        PLAYWRIGHT_HTML_OUTPUT_DIR: path.join(b.work, 'report'),
        ...env,
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const onData = (d: Buffer) => {
      out += d.toString();
      watch(out);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (c) => resolve({ code: c ?? 1, out }));
  });
}

const resultsOf = (b: Owned) =>
  JSON.parse(readFileSync(path.join(b.work, 'perf-results', 'results.json'), 'utf8')) as { verdict: string; outcome: string; problems: { test: string; outcome: string; message: string }[] };

test('should write a summary saying the backend became unreachable when it dies during a perf run', async ({ referenceApp, serviceToken }, testInfo) => {
  test.skip(!referenceApp, 'starts app/ itself');
  test.setTimeout(180_000);
  await withOwnBackend('crash', serviceToken, async (b) => {
    const { code, out } = await nestedPerfRun(b, serviceToken, 'dashboard\\.hydrate', {}, (o) => {
      // Setup is done (the run started against it): now the backend dies.
      if (/run r[0-9a-z-]+ against/.test(o) && b.app.child.exitCode === null) b.app.child.kill('SIGKILL');
    });
    await testInfo.attach('nested perf run output', { body: out, contentType: 'text/plain' });
    expect(code, 'the nested run fails').not.toBe(0);
    expect(existsSync(path.join(b.work, 'perf-results', 'results.json')), 'results.json is written').toBe(true);
    const json = resultsOf(b);
    expect(json).toMatchObject({ verdict: 'failed', outcome: 'backend unreachable' });
    expect(json.problems).toContainEqual(expect.objectContaining({ test: 'dashboard.hydrate', outcome: 'backend unreachable' }));
    expect(readFileSync(path.join(b.work, 'perf-results', 'summary.md'), 'utf8')).toMatch(/failed ❌ \(backend unreachable\)[\s\S]*### How the run ended/);
  });
});

test('should stop a perf run whose backend stops answering, and say what was in flight', async ({ referenceApp, serviceToken }, testInfo) => {
  test.skip(!referenceApp, 'starts app/ itself');
  test.setTimeout(240_000);
  await withOwnBackend('stall', serviceToken, async (b) => {
    let stoppedAt = 0;
    // A soak far past the test's own timeout: only the stall guard can end it in time.
    const { code, out } = await nestedPerfRun(b, serviceToken, 'mix\\.soak', { PERF_SOAK_SECONDS: '600' }, (o) => {
      // The soak is under way (its progress line): the backend freezes, sockets open, answering nothing.
      if (!stoppedAt && /\[mix\.soak\] \d+ s/.test(o)) {
        stoppedAt = performance.now();
        process.kill(b.app.child.pid!, 'SIGSTOP');
      }
    });
    const seconds = ((performance.now() - stoppedAt) / 1000).toFixed(1);
    await testInfo.attach('nested perf run output', { body: `the backend was stopped ${seconds} s before the run ended\n\n${out}`, contentType: 'text/plain' });
    expect(stoppedAt, 'the soak started, and the backend was stopped during it').toBeGreaterThan(0);
    expect(code, 'the nested run fails').not.toBe(0);
    expect(out).toMatch(/the backend stopped answering: no response for [\d.]+ s while \d+ request\(s\) were in flight \(\d+ × (GET|POST) \/v1\//);
    const json = resultsOf(b);
    expect(json.outcome).toBe('backend unreachable');
    expect(json.problems).toContainEqual(expect.objectContaining({ test: 'mix.soak', outcome: 'backend unreachable', message: expect.stringContaining('in flight') }));
  });
});
