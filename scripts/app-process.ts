/**
 * app/ in a process of its own: for the scripts that need a backend (withBackend, saving a
 * dataset) and for the tests that start, kill or restart one themselves. It runs on the ports
 * and database its environment gives it. Its output is kept, and shown if it fails to start.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';

export type AppProcess = { child: ChildProcess; exited: Promise<number | null>; output: () => string; stop: () => Promise<number | null> };

/** `cwd`: the checkout whose app/ runs (another version's worktree, for perf:compare). */
export function startAppProcess(env: Record<string, string>, cwd?: string): AppProcess {
  let out = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'app/server.ts'], {
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

/**
 * A port nobody uses right now, from the OS. Fixed test ports inside the ephemeral range can be
 * taken by any outgoing connection on a busy machine.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Waits until GET /healthz answers 200; fails with the app's own output if it does not. */
export async function waitHealthy(app: AppProcess, baseUrl: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await fetch(`${baseUrl}/healthz`).catch(() => null))?.status === 200) return;
    if (app.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`the app at ${baseUrl} did not become healthy (exit code ${app.child.exitCode}); it said:\n${app.output()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
