/**
 * app/ in a process of its own: for the scripts that need a backend (withBackend, saving a
 * dataset) and for the tests that start, kill or restart one themselves. It runs on the ports
 * and database its environment gives it. Its output is kept, and shown if it fails to start.
 */
import { type ChildProcess, spawn } from 'node:child_process';

export type AppProcess = { child: ChildProcess; exited: Promise<number | null>; output: () => string; stop: () => Promise<number | null> };

/** `cwd`: the checkout whose app/ runs (another version's worktree, for perf:compare); `server`: another backend of the repository (an example's server.ts). */
export function startAppProcess(env: Record<string, string>, cwd?: string, server = 'app/server.ts'): AppProcess {
  let out = '';
  const child = spawn(process.execPath, ['--import', 'tsx', server], {
    ...(cwd && { cwd }),
    env: { ...process.env, APP_ENV: 'test', ...env },
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

/** A port nobody uses right now, from the OS (fixed test ports inside the ephemeral range can be taken by any outgoing connection on a busy machine). */
export { freePort } from 'pressure-harness/cli';

/** Waits until GET <healthPath> answers 200; fails with the app's own output if it does not. */
export async function waitHealthy(app: AppProcess, baseUrl: string, timeoutMs = 60_000, healthPath = '/healthz'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await fetch(`${baseUrl}${healthPath}`).catch(() => null))?.status === 200) return;
    if (app.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`the app at ${baseUrl} did not become healthy (exit code ${app.child.exitCode}); it said:\n${app.output()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
