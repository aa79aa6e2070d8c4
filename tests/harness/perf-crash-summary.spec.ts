/**
 * A perf run whose backend dies still explains itself: summary.md and results.json are written,
 * and they say the backend became unreachable (not "budget broken", not nothing). The test owns
 * the backend it kills: app/ on a PostgreSQL of the test's own, on ports of their own.
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
