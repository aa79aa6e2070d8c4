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
import { startEmbeddedPostgres } from '../../devdb/embedded.js';
import { expect, test } from '../../fixtures';
import { freePort, startAppProcess, waitHealthy } from '../../scripts/app-process';
import { nestedRunEnv } from '../../scripts/nested-run';

test('should write a summary saying the backend became unreachable when it dies during a perf run', async ({ referenceApp, serviceToken }, testInfo) => {
  test.skip(!referenceApp, 'starts app/ itself');
  test.setTimeout(180_000);
  const work = mkdtempSync(path.join(os.tmpdir(), 'perf-crash-'));
  const pg = await startEmbeddedPostgres({ dataDir: path.join(work, 'pg'), port: await freePort(), log: () => {}, database: 'crash' });
  const port = await freePort();
  const app = startAppProcess({ PORT: String(port), DATABASE_URL: pg.url, TEST_SERVICE_TOKEN: serviceToken, LOG_LEVEL: 'silent', APP_LOG_FILE: '' });
  try {
    await waitHealthy(app, `http://127.0.0.1:${port}`);
    const env = nestedRunEnv({
      BASE_URL: `http://127.0.0.1:${port}`,
      DATABASE_URL: pg.url,
      TEST_SERVICE_TOKEN: serviceToken,
      SEED_DATASET: 'generate',
      PERF_RESULTS_DIR: path.join(work, 'perf-results'),
      PLAYWRIGHT_HTML_OUTPUT_DIR: path.join(work, 'report'),
    });
    let out = '';
    const code = await new Promise<number>((resolve) => {
      const cli = path.join('node_modules', '@playwright', 'test', 'cli.js');
      const child = spawn(process.execPath, [cli, 'test', '--project=perf', '-g', 'dashboard\\.hydrate', '--output', path.join(work, 'results')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      const watch = (d: Buffer) => {
        out += d.toString();
        // Setup is done (the run started against it): now the backend dies.
        if (/run r[0-9a-z-]+ against/.test(out) && app.child.exitCode === null) app.child.kill('SIGKILL');
      };
      child.stdout.on('data', watch);
      child.stderr.on('data', watch);
      child.on('exit', (c) => resolve(c ?? 1));
    });
    await testInfo.attach('nested perf run output', { body: out, contentType: 'text/plain' });
    expect(code, 'the nested run fails').not.toBe(0);
    const results = path.join(work, 'perf-results', 'results.json');
    expect(existsSync(results), 'results.json is written').toBe(true);
    const json = JSON.parse(readFileSync(results, 'utf8')) as { verdict: string; outcome: string; problems: { test: string; outcome: string }[] };
    expect(json).toMatchObject({ verdict: 'failed', outcome: 'backend unreachable' });
    expect(json.problems).toContainEqual(expect.objectContaining({ test: 'dashboard.hydrate', outcome: 'backend unreachable' }));
    expect(readFileSync(path.join(work, 'perf-results', 'summary.md'), 'utf8')).toMatch(/failed ❌ \(backend unreachable\)[\s\S]*### How the run ended/);
  } finally {
    await app.stop();
    await pg.stop();
    rmSync(work, { recursive: true, force: true });
  }
});

test('should stop a perf run whose backend stops answering, and say what was in flight', async ({ referenceApp, serviceToken }, testInfo) => {
  test.skip(!referenceApp, 'starts app/ itself');
  test.setTimeout(240_000);
  const work = mkdtempSync(path.join(os.tmpdir(), 'perf-stall-'));
  const pg = await startEmbeddedPostgres({ dataDir: path.join(work, 'pg'), port: await freePort(), log: () => {}, database: 'stall' });
  const port = await freePort();
  const app = startAppProcess({ PORT: String(port), DATABASE_URL: pg.url, TEST_SERVICE_TOKEN: serviceToken, LOG_LEVEL: 'silent', APP_LOG_FILE: '' });
  let stoppedAt = 0;
  try {
    await waitHealthy(app, `http://127.0.0.1:${port}`);
    const env = nestedRunEnv({
      BASE_URL: `http://127.0.0.1:${port}`,
      DATABASE_URL: pg.url,
      TEST_SERVICE_TOKEN: serviceToken,
      SEED_DATASET: 'generate',
      // Far past the test's own timeout: only the stall guard can end this soak in time.
      PERF_SOAK_SECONDS: '600',
      PERF_RESULTS_DIR: path.join(work, 'perf-results'),
      PLAYWRIGHT_HTML_OUTPUT_DIR: path.join(work, 'report'),
    });
    let out = '';
    const code = await new Promise<number>((resolve) => {
      const cli = path.join('node_modules', '@playwright', 'test', 'cli.js');
      const child = spawn(process.execPath, [cli, 'test', '--project=perf', '-g', 'mix\\.soak', '--output', path.join(work, 'results')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      const watch = (d: Buffer) => {
        out += d.toString();
        // The soak is under way (its progress line): the backend freezes, sockets open, answering nothing.
        if (!stoppedAt && /\[mix\.soak\] \d+ s/.test(out)) {
          stoppedAt = performance.now();
          process.kill(app.child.pid!, 'SIGSTOP');
        }
      };
      child.stdout.on('data', watch);
      child.stderr.on('data', watch);
      child.on('exit', (c) => resolve(c ?? 1));
    });
    const seconds = ((performance.now() - stoppedAt) / 1000).toFixed(1);
    await testInfo.attach('nested perf run output', { body: `the backend was stopped ${seconds} s before the run ended\n\n${out}`, contentType: 'text/plain' });
    expect(stoppedAt, 'the soak started, and the backend was stopped during it').toBeGreaterThan(0);
    expect(code, 'the nested run fails').not.toBe(0);
    expect(out).toMatch(/the backend stopped answering: no response for [\d.]+ s while \d+ request\(s\) were in flight \(\d+ × (GET|POST) \/v1\//);
    const json = JSON.parse(readFileSync(path.join(work, 'perf-results', 'results.json'), 'utf8')) as { outcome: string; problems: { test: string; outcome: string; message: string }[] };
    expect(json.outcome).toBe('backend unreachable');
    expect(json.problems).toContainEqual(expect.objectContaining({ test: 'mix.soak', outcome: 'backend unreachable', message: expect.stringContaining('in flight') }));
  } finally {
    if (app.child.exitCode === null) process.kill(app.child.pid!, 'SIGCONT');
    await app.stop();
    await pg.stop();
    rmSync(work, { recursive: true, force: true });
  }
});
