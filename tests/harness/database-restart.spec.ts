/**
 * kill -9 of the app's own embedded postmaster under load: the app answers 503 with Retry-After
 * (never a 500) while PostgreSQL is down, starts it again by itself, serves again without a
 * restart, and stops it when the app stops. It once waited for a person. With the durability
 * perf runs use (PG_DURABILITY=on), no write the app acknowledged is lost: 42 of 103 were, when
 * the embedded cluster ran with fsync and synchronous_commit off.
 */
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { expect, test } from '../../fixtures';
import { type AppProcess, freePort, startAppProcess, waitHealthy } from '../../scripts/app-process';
import { buildAccount, TINY_ACCOUNT } from '../../seed/factories';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The cluster may be staged elsewhere (a private checkout): postmaster.pid names the process either way. */
async function postmasterPidFile(dataDir: string, pgPort: number): Promise<string> {
  for (const dir of [
    path.join(dataDir, 'cluster'),
    ...(await fs.readdir('/tmp/pressure-suite-pgdata').catch(() => [] as string[])).map((d) => path.join('/tmp/pressure-suite-pgdata', d, 'cluster')),
  ]) {
    const f = path.join(dir, 'postmaster.pid');
    if (existsSync(f) && readFileSync(f, 'utf8').split('\n')[3]?.trim() === String(pgPort)) return f;
  }
  throw new Error(`no postmaster.pid for port ${pgPort}`);
}

type OwnCluster = { base: string; app: AppProcess; postmaster: () => Promise<number> };

/**
 * app/ on ports and a cluster of its own for `fn`; afterwards, what the app started it stops:
 * no postmaster of this cluster is left (the one running when the app stopped, restarts included).
 */
async function withOwnCluster(name: string, env: Record<string, string>, fn: (o: OwnCluster) => Promise<void>): Promise<void> {
  const dataDir = path.resolve('.run', name);
  const [pgPort, port] = [await freePort(), await freePort()];
  const app = startAppProcess({ PORT: String(port), PG_PORT: String(pgPort), PG_DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'silent', APP_LOG_FILE: '', ...env });
  const postmaster = async () => Number(readFileSync(await postmasterPidFile(dataDir, pgPort), 'utf8').split('\n')[0]);
  let last = 0;
  try {
    await waitHealthy(app, `http://127.0.0.1:${port}`, 120_000);
    await fn({ base: `http://127.0.0.1:${port}`, app, postmaster });
    last = await postmaster();
  } finally {
    await app.stop();
  }
  await expect.poll(() => alive(last), { timeout: 20_000 }).toBe(false);
  await fs.rm(dataDir, { recursive: true, force: true });
}

test('should restart its embedded PostgreSQL after kill -9, answering 503 meanwhile, and stop it with the app', async ({ runId, referenceApp }, testInfo) => {
  test.skip(!referenceApp, 'starts app/ itself');
  test.setTimeout(180_000);
  await withOwnCluster(`restart-${runId}-${testInfo.workerIndex}`, {}, async ({ base, app, postmaster }) => {
    const killed = await postmaster();
    process.kill(killed, 'SIGKILL');

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
    expect(await postmaster(), 'a new postmaster').not.toBe(killed);
  });
});

test('should lose no acknowledged write when PostgreSQL is killed under write load, with perf durability', async ({ runId, referenceApp, serviceToken }, testInfo) => {
  test.skip(!referenceApp, 'starts app/ itself');
  test.setTimeout(180_000);
  await withOwnCluster(`durable-${runId}-${testInfo.workerIndex}`, { PG_DURABILITY: 'on', TEST_SERVICE_TOKEN: serviceToken }, async ({ base, app, postmaster }) => {
    const seeded = await fetch(`${base}/internal/test/seedAccount`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-test-service-token': serviceToken },
      body: JSON.stringify(buildAccount({ seed: 'durable', runId: `durable-${runId}`, ttlSeconds: 600, path: 'a', shape: { ...TINY_ACCOUNT, projects: 1 } })),
    });
    expect(seeded.status, await seeded.clone().text()).toBe(201);
    const { token, projectIds } = (await seeded.json()) as { token: string; projectIds: string[] };
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

    // Four writers create items without pause, before, during and after the crash.
    const acknowledged: string[] = [];
    const statuses = new Map<number, number>();
    let killedAt = -1;
    let stop = false;
    const writer = async (w: number) => {
      for (let n = 0; !stop; n++) {
        const res = await fetch(`${base}/v1/projects/${projectIds[0]}/items`, { method: 'POST', headers: auth, body: JSON.stringify({ title: `w${w}-${n}` }) }).catch(() => null);
        if (!res) {
          // The app stopped listening: counted, and shown by the assertion on the answers below.
          statuses.set(0, (statuses.get(0) ?? 0) + 1);
          await new Promise((r) => setTimeout(r, 200));
          continue;
        }
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status === 201) acknowledged.push(((await res.json()) as { id: string }).id);
        else {
          expect(res.status, await res.text()).toBe(503);
          expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    };
    const writers = Promise.all([0, 1, 2, 3].map(writer));
    await expect.poll(() => acknowledged.length, { message: '40 writes acknowledged before the kill', timeout: 60_000 }).toBeGreaterThanOrEqual(40);
    const killed = await postmaster();
    killedAt = acknowledged.length;
    process.kill(killed, 'SIGKILL');
    // Until PostgreSQL is back and 40 more writes were acknowledged after it.
    await expect
      .poll(() => (statuses.get(503) ?? 0) > 0 && acknowledged.length >= killedAt + 40, {
        message: `PostgreSQL back and 40 writes acknowledged after it (answers so far, 0 for none: ${JSON.stringify(Object.fromEntries(statuses))}; the app ${app.child.exitCode === null ? 'runs' : `exited with ${app.child.exitCode}: ${app.output().slice(-2000)}`})`,
        timeout: 120_000,
      })
      .toBe(true);
    stop = true;
    await writers;
    expect([...statuses.keys()].sort(), 'every answer was 201 or 503').toEqual([201, 503]);

    // Every acknowledged write is there after the crash and the restart.
    const missing: string[] = [];
    for (const id of acknowledged) {
      const res = await fetch(`${base}/v1/items/${id}`, { headers: auth });
      if (res.status !== 200) missing.push(`${id} (${res.status})`);
    }
    expect(missing, `${acknowledged.length} writes acknowledged, ${killedAt} of them before the kill`).toEqual([]);
    expect(await postmaster(), 'a new postmaster').not.toBe(killed);
  });
});
