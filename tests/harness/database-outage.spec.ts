/**
 * The database goes away under the app: every request gets 503 with Retry-After (not 500),
 * /healthz says the database is unreachable, and when PostgreSQL is back the app serves again
 * by itself, without a restart. The test owns both: a PostgreSQL of its own (pressure-harness/embedded) and an app
 * on it through DATABASE_URL, on ports of their own.
 */
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmbeddedPostgres } from 'pressure-harness/embedded';
import { expect, test } from '../../fixtures';
import { freePort, startAppProcess, waitHealthy } from '../../scripts/app-process';

test('should answer 503 with Retry-After while PostgreSQL is down, and recover by itself when it returns', async ({ runId, referenceApp }, testInfo) => {
  test.skip(!referenceApp, 'starts app/ itself');
  test.setTimeout(120_000);
  const dataDir = path.resolve('.run', `outage-${runId}-${testInfo.workerIndex}`);
  const [pgPort, port] = [await freePort(), await freePort()];
  const log = () => {};
  let pg = await startEmbeddedPostgres({ dataDir, port: pgPort, log, database: 'outage' });
  const app = startAppProcess({ PORT: String(port), DATABASE_URL: pg.url, LOG_LEVEL: 'silent', APP_LOG_FILE: '' });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitHealthy(app, base);
    const postmaster = Number(readFileSync(path.join(pg.clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(postmaster, 'SIGKILL'); // no shutdown: connections drop, new ones are refused

    const probe = async (url: string, headers: Record<string, string> = {}) => {
      const res = await fetch(`${base}${url}`, { headers });
      return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as { code?: string; message?: string } };
    };
    // Each request meets the outage, however the pool learns of it: 503, never 500.
    await expect.poll(() => probe('/healthz').then((r) => r.status), { timeout: 15_000 }).toBe(503);
    for (const r of [
      await probe('/healthz'),
      await probe('/v1/me', { authorization: `Bearer pst_${'a'.repeat(20)}` }),
      await probe('/v1/projects', { authorization: `Bearer pst_${'b'.repeat(20)}` }),
    ]) {
      expect(r).toMatchObject({ status: 503, body: { code: 'UNAVAILABLE', message: expect.stringContaining('database is unreachable') } });
      expect(Number(r.retryAfter)).toBeGreaterThan(0);
    }

    pg = await startEmbeddedPostgres({ dataDir, port: pgPort, log, database: 'outage' });
    await expect.poll(() => probe('/healthz').then((r) => r.status), { timeout: 30_000, message: 'the app serves again without a restart' }).toBe(200);
    expect(app.child.exitCode, 'the app never stopped').toBeNull();
  } finally {
    await app.stop();
    await pg.stop();
    await fs.rm(dataDir, { recursive: true, force: true });
    await fs.rm(path.dirname(pg.clusterDir), { recursive: true, force: true });
  }
});
