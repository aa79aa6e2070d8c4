/**
 * Two runs of the correctness project at once, against one backend: both must pass (neither
 * sees nor removes the other's data: their tests and cleanup checks would fail), and at the end
 * no row of either remains. Each child run is a real `playwright test` against this suite's
 * backend, with a run ID of its own.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect, test } from '../../fixtures';
import { censusInDatabase, total } from 'pressure-harness/seed';

const REPRESENTATIVE = ['projects-crud', 'items-pagination', 'tenant-isolation', 'dashboard-queries', 'batch-upsert', 'cleanup-by-run'].map((f) => `tests/correctness/${f}.spec.ts`);

function childRun(env: Record<string, string>, outputDir: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const cli = path.join('node_modules', '@playwright', 'test', 'cli.js');
    const child = spawn(process.execPath, [cli, 'test', '--project=correctness', '--reporter=line', `--output=${outputDir}`, ...REPRESENTATIVE], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

test('should pass two runs at once against one backend, each removing only its own data', async ({ run, serviceToken, databaseUrl, verifyDatabaseUrl }, testInfo) => {
  test.setTimeout(180_000);
  const ids = [`${run.runId}-cc-a`, `${run.runId}-cc-b`];
  const env = (runId: string) => ({
    BASE_URL: testInfo.project.use.baseURL!,
    RUN_ID: runId,
    TEST_SERVICE_TOKEN: serviceToken,
    WORKERS: '1',
    SEED_DATASET: 'generate',
    CI: '',
    ...(verifyDatabaseUrl && { DATABASE_URL: verifyDatabaseUrl }),
  });
  const [a, b] = await Promise.all(ids.map((id, k) => childRun(env(id), testInfo.outputPath(`run-${k}`))));
  for (const [k, r] of [a!, b!].entries()) {
    expect(r.code, `run ${ids[k]} output:\n${r.output}`).toBe(0);
    expect(r.output).toMatch(new RegExp(`cleanup: run ${ids[k]} removed \\d+ rows; none left \\(checked: the backend${databaseUrl ? ', every run-tagged table of \\w+' : ''}\\)`));
    expect(r.output).toMatch(/\d+ passed/);
  }
  if (verifyDatabaseUrl) {
    for (const id of ids) expect(total(await censusInDatabase(verifyDatabaseUrl, id)), id).toBe(0);
  }
});
