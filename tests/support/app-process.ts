/**
 * A second app/ process for the tests that start, kill or restart one themselves (lifecycle,
 * dataset restore). It runs on the ports and database the test gives it, never the suite's.
 */
import { type ChildProcess, spawn } from 'node:child_process';

export type AppProcess = { child: ChildProcess; exited: Promise<number | null>; output: () => string; stop: () => Promise<number | null> };

export function startAppProcess(env: Record<string, string>): AppProcess {
  let out = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'app/server.ts'], {
    env: { ...process.env, APP_ENV: 'test', LOG_LEVEL: 'silent', APP_LOG_FILE: '', DATABASE_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    return exited;
  };
  return { child, exited, output: () => out, stop };
}
