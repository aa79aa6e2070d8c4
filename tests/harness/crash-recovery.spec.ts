/**
 * A run killed with SIGKILL in the middle of seeding leaves rows behind; once they expire, the
 * next run's setup (the reaper global-setup.ts calls) removes every one of them, if the app's
 * sweeper has not already done so.
 */
import { spawn } from 'node:child_process';
import { expect, test } from '../../fixtures';
import { censusInDatabase, total } from 'pressure-harness/seed';

test('should remove the rows of a run killed mid-seeding once they expire', async ({ run, serviceToken, seedClient, verifyDatabaseUrl }, testInfo) => {
  test.setTimeout(90_000);
  const crashed = `${run.runId}-crashed-${testInfo.repeatEachIndex}-${testInfo.retry}`;
  const ttlSeconds = 5;
  const child = spawn(process.execPath, ['--import', 'tsx', 'tests/support/seed-process.ts', testInfo.project.use.baseURL!, serviceToken, crashed, String(ttlSeconds)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let seeded = 0;
  let errors = '';
  child.stdout!.on(
    'data',
    (d: Buffer) =>
      (seeded += String(d)
        .split('\n')
        .filter((l) => l.startsWith('seeded')).length),
  );
  child.stderr!.on('data', (d: Buffer) => (errors += String(d)));
  const exited = new Promise((r) => child.once('exit', r));
  try {
    await expect.poll(() => seeded, { timeout: 60_000, message: `the seeding process said:\n${errors}` }).toBeGreaterThanOrEqual(3);
    child.kill('SIGKILL'); // mid-seeding: no cleanup, no teardown
    await exited;
    // The backend still finishes the request it had received: wait until the count settles.
    let last = -1;
    await expect
      .poll(
        async () => {
          const now = (await seedClient.runRows(crashed)).total;
          const settled = now === last;
          last = now;
          return settled;
        },
        { intervals: [500], timeout: 30_000 },
      )
      .toBe(true);

    const left = (await seedClient.runRows(crashed)).total;
    expect(left, 'the killed run left rows behind').toBeGreaterThan(0);
    expect(seeded, 'it was killed before the end').toBeLessThan(40);

    // Once they expire, the next run's reaper removes every one of them. (That it keeps rows
    // that have not expired is cleanup-by-run's test; here early accounts may expire first.)
    await new Promise((r) => setTimeout(r, (ttlSeconds + 1) * 1000));
    await seedClient.reapExpired();
    expect((await seedClient.runRows(crashed)).total).toBe(0);
    if (verifyDatabaseUrl) expect(total(await censusInDatabase(verifyDatabaseUrl, crashed))).toBe(0);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await seedClient.cleanup(crashed);
  }
});
