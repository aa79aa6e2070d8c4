/**
 * The documented BASE_URL mode: app/'s suite against a running app/ it did not start. Tests that
 * need the app's own process (its log, an in-process build) skip; none fails for being in it.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect, test } from '../../fixtures';
import { nestedRunEnv } from '../../scripts/nested-run';

const SPECS = ['contract-headers', 'internal-endpoints', 'seed-budgets'].map((f) => `tests/correctness/${f}.spec.ts`);

test('should pass the correctness specs that once failed in BASE_URL mode', async ({ serviceToken, referenceApp }, testInfo) => {
  test.skip(!referenceApp, 'points a nested run at the app this suite started');
  test.setTimeout(120_000);
  const env = nestedRunEnv({ BASE_URL: testInfo.project.use.baseURL!, DATABASE_URL: '', TEST_SERVICE_TOKEN: serviceToken });
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
    const cli = path.join('node_modules', '@playwright', 'test', 'cli.js');
    const child = spawn(process.execPath, [cli, 'test', '--project=correctness', '--reporter=line', '--output', testInfo.outputPath('results'), ...SPECS], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (c) => resolve({ code: c, output: out }));
  });
  await testInfo.attach('nested run output', { body: output, contentType: 'text/plain' });
  expect(code, output.slice(-3000)).toBe(0);
  expect(output).toMatch(/\d+ passed/);
  expect(output).toMatch(/\d+ skipped/);
});
