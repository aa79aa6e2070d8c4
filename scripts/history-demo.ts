/**
 * npm run history:demo [-- --dir <folder>] [--port N]
 *
 * A history to look at before the first nightly has run: 60 synthetic nights (a 15% step planted
 * at night 40, a 3%-a-night creep, a flat series; tests/support/history.ts) recorded in an
 * embedded store (default .run/history-demo, replaced), then `pressure history serve` on it, as a
 * user runs it, until Ctrl-C.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openHistory, recordRun } from 'pressure-harness/history';
import { syntheticHistory } from '../tests/support/history.js';
import { failAndExit, flagsOrExit } from './backend.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const USAGE = 'npm run history:demo -- [--dir <folder>] [--port 0-65535]';
const flags = flagsOrExit('history:demo', { dir: { type: 'string' }, port: { type: 'string' } }, USAGE);
const dir = path.resolve(flags.dir ?? path.join(ROOT, '.run', 'history-demo'));
const port = flags.port ?? '0';
if (!/^\d+$/.test(port) || Number(port) > 65_535) failAndExit('history:demo', `--port must be a whole number from 0 to 65535, got ${JSON.stringify(port)}`);

rmSync(dir, { recursive: true, force: true });
const store = await openHistory({ dir });
try {
  for (const run of syntheticHistory()) await recordRun(store, run);
  console.log(`history:demo: 60 synthetic nights recorded in ${dir}`);
} finally {
  await store.close();
}
const child = spawn(process.execPath, [path.join(ROOT, 'packages/pressure-harness/bin/pressure.js'), 'history', 'serve', '--dir', dir, '--port', port], { stdio: 'inherit' });
// Ctrl-C reaches the server too (same process group); a SIGTERM is passed on. Its exit is this script's.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => child.kill('SIGTERM'));
child.on('exit', (code) => process.exit(code ?? 0));
