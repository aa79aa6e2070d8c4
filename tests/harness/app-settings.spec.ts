/**
 * `npm run app` and the suite read the same settings: app/ reads .env (the environment wins), so
 * a value the suite refuses is refused by the app too; and a database it cannot reach is named
 * by the setting to fix. Each app runs in a folder of its own, with a .env of its own.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '../../fixtures';

function appIn(dir: string, env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  const tsx = createRequire(path.resolve('package.json')).resolve('tsx');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', tsx, path.resolve('app/server.ts')], { cwd: dir, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code) => (clearTimeout(kill), resolve({ code, output })));
  });
}

test.describe('app settings', () => {
  test('should read .env and refuse what the suite refuses, naming it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'app-env-'));
    try {
      writeFileSync(path.join(dir, '.env'), 'APP_FAULTS=bogus\nAPP_PORT=70000\n');
      const { code, output } = await appIn(dir);
      expect(code).toBe(2);
      expect(output).toContain('APP_FAULTS must be');
      expect(output).toContain('APP_PORT must be a TCP port from 1 to 65535, got "70000"');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('should name DATABASE_URL when the database it names does not answer', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'app-db-'));
    try {
      const { code, output } = await appIn(dir, { DATABASE_URL: 'postgres://someone:secret@127.0.0.1:1/nowhere', LOG_LEVEL: 'silent' });
      expect(code).toBe(1);
      expect(output).toMatch(/cannot reach DATABASE_URL \(postgres:\/\/someone:\*\*\*@127\.0\.0\.1:1\/nowhere\): ECONNREFUSED\. Recommended fix: start that PostgreSQL, or correct DATABASE_URL/);
      expect(output).not.toContain('secret');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
