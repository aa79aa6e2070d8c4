/**
 * The reference app's own start-up: a PostgreSQL left behind by an app killed with SIGKILL must
 * be found and stopped at the next start, which then serves normally. Runs a second app on its
 * own ports and data folder, so the suite's app is never touched.
 */
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { expect, test } from '../../fixtures';
import { type AppProcess, freePort, startAppProcess as startApp, waitHealthy } from '../../scripts/app-process';

/** The cluster directory the app reports (it may be staged elsewhere: pressure-harness/embedded). */
function clusterDirOf(output: string): string {
  for (const line of output.split('\n')) {
    try {
      const entry = JSON.parse(line) as { msg?: string; clusterDir?: string };
      if (entry.msg === 'embedded postgres ready' && entry.clusterDir) return entry.clusterDir;
    } catch {
      /* not a log line */
    }
  }
  throw new Error(`the app did not report its cluster directory:\n${output}`);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z');
  } catch {
    return false;
  }
};

test.describe('reference app lifecycle', () => {
  test.skip(({ referenceApp }) => !referenceApp, 'starts app/ itself');

  test('should stop a PostgreSQL left behind by a killed app and start cleanly', async ({ runId }, testInfo) => {
    test.setTimeout(90_000);
    const [port, pgPort] = [await freePort(), await freePort()];
    const dataDir = path.resolve('.run', `lifecycle-${runId}-${testInfo.workerIndex}`);
    // Its own embedded server, whatever DATABASE_URL the suite runs with.
    const env = { PORT: String(port), PG_PORT: String(pgPort), PG_DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'silent', APP_LOG_FILE: '' };
    const base = `http://127.0.0.1:${port}`;

    const first = startApp(env);
    let second: AppProcess | undefined;
    let clusterDir: string | undefined;
    try {
      await waitHealthy(first, base);
      clusterDir = clusterDirOf(first.output());
      const pidFile = readFileSync(path.join(clusterDir, 'postmaster.pid'), 'utf8');
      const postmaster = Number(pidFile.split('\n')[0]);

      first.child.kill('SIGKILL'); // no shutdown hook runs: the postmaster is orphaned
      await first.exited;
      expect(alive(postmaster), 'the postmaster survives its app').toBe(true);

      second = startApp(env);
      await waitHealthy(second, base);
      expect(second.output()).toContain('stopping a postgres left behind by an earlier run');
      expect(alive(postmaster)).toBe(false);
      const newPostmaster = Number(readFileSync(path.join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      expect(newPostmaster).not.toBe(postmaster);
    } finally {
      for (const app of [second, first]) await app?.stop();
      for (const dir of [dataDir, clusterDir && path.dirname(clusterDir)]) {
        if (dir && existsSync(dir)) await fs.rm(dir, { recursive: true, force: true });
      }
    }
  });

  test('should leave a live app of the same checkout serving when a second one starts on its data directory', async ({ runId }, testInfo) => {
    test.setTimeout(90_000);
    const dataDir = path.resolve('.run', `shared-${runId}-${testInfo.workerIndex}`);
    const envOf = (port: number, pgPort: number) => ({ PORT: String(port), PG_PORT: String(pgPort), PG_DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'silent', APP_LOG_FILE: '' });
    const [p1, pg1, p2, pg2] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const first = startApp(envOf(p1, pg1));
    let second: AppProcess | undefined;
    let clusterDir: string | undefined;
    try {
      await waitHealthy(first, `http://127.0.0.1:${p1}`);
      clusterDir = clusterDirOf(first.output());
      second = startApp(envOf(p2, pg2));
      // Bounded: a second app that does not refuse would run on, and must not outlive the test.
      const ended = await Promise.race([second.exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 45_000))]);
      expect(ended, 'the second app refuses to start').not.toBe('still running');
      expect(ended).not.toBe(0);
      expect(second.output()).toMatch(/in use by a running process \(pid \d+, PostgreSQL port \d+\).*Recommended fix: set PG_PORT/s);
      const health = await fetch(`http://127.0.0.1:${p1}/healthz`);
      expect(health.status, 'the first app still serves, database included').toBe(200);
    } finally {
      for (const app of [second, first]) await app?.stop();
      for (const dir of [dataDir, clusterDir && path.dirname(clusterDir)]) {
        if (dir && existsSync(dir)) await fs.rm(dir, { recursive: true, force: true });
      }
    }
  });
});
