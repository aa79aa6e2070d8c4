/**
 * kill -9 of the app's own embedded postmaster under load: the app answers 503 with Retry-After
 * (never a 500) while PostgreSQL is down, starts it again by itself, serves again without a
 * restart, and stops it when the app stops. It once waited for a person.
 */
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { expect, test } from '../../fixtures';
import { freePort, startAppProcess, waitHealthy } from '../../scripts/app-process';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('should restart its embedded PostgreSQL after kill -9, answering 503 meanwhile, and stop it with the app', async ({ runId, referenceApp }, testInfo) => {
  test.skip(!referenceApp, 'starts app/ itself');
  test.setTimeout(180_000);
  const dataDir = path.resolve('.run', `restart-${runId}-${testInfo.workerIndex}`);
  const [pgPort, port] = [await freePort(), await freePort()];
  const app = startAppProcess({ PORT: String(port), PG_PORT: String(pgPort), PG_DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'silent', APP_LOG_FILE: '' });
  const base = `http://127.0.0.1:${port}`;
  let postmaster = 0;
  try {
    await waitHealthy(app, base, 120_000);
    // The cluster may be staged elsewhere (a private checkout): postmaster.pid names the process either way.
    const pidFile = async () => {
      for (const dir of [
        path.join(dataDir, 'cluster'),
        ...(await fs.readdir('/tmp/pressure-suite-pgdata').catch(() => [] as string[])).map((d) => path.join('/tmp/pressure-suite-pgdata', d, 'cluster')),
      ]) {
        const f = path.join(dir, 'postmaster.pid');
        if (existsSync(f) && readFileSync(f, 'utf8').split('\n')[3]?.trim() === String(pgPort)) return f;
      }
      throw new Error(`no postmaster.pid for port ${pgPort}`);
    };
    postmaster = Number(readFileSync(await pidFile(), 'utf8').split('\n')[0]);
    process.kill(postmaster, 'SIGKILL');

    // Requests during the outage and the restart: 503 with Retry-After or 200, never anything else.
    const statuses = new Set<number>();
    const deadline = Date.now() + 90_000;
    let recovered = false;
    let sawOutage = false;
    while (Date.now() < deadline) {
      const res = await fetch(`${base}/healthz`).catch(() => null);
      if (res) {
        statuses.add(res.status);
        if (res.status === 503) {
          sawOutage = true;
          expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
        }
        if (res.status === 200 && sawOutage) {
          recovered = true;
          break;
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(sawOutage, 'the outage was seen').toBe(true);
    expect(recovered, 'the app serves again by itself').toBe(true);
    expect([...statuses].sort()).toEqual([200, 503]);
    expect(app.child.exitCode, 'the app never stopped').toBeNull();
    const restarted = Number(readFileSync(await pidFile(), 'utf8').split('\n')[0]);
    expect(restarted).not.toBe(postmaster);
    postmaster = restarted;
  } finally {
    await app.stop();
  }
  // What the app started, it stops: no postmaster of this cluster is left.
  await expect.poll(() => alive(postmaster), { timeout: 20_000 }).toBe(false);
  await fs.rm(dataDir, { recursive: true, force: true });
});
