/** The package's command line as a user runs it, in a child process: its exit code and all it printed. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const PRESSURE = path.join(ROOT, 'packages', 'pressure-harness', 'bin', 'pressure.js');
const exec = promisify(execFile);

export const pressure = (...args: string[]): Promise<{ code: number; output: string }> =>
  exec(process.execPath, [PRESSURE, ...args], { cwd: ROOT }).then(
    (r) => ({ code: 0, output: r.stdout + r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, output: e.stdout + e.stderr }),
  );
