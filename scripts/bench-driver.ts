/**
 * npm run bench:driver [-- --seconds 10 --connections 50]
 *
 * Drives one trivial endpoint of the app (GET /livez: no database) with the load engine and
 * with autocannon, same connections and duration, one after the other, after a warm-up, and
 * writes bench-results/driver.json as { rps, autocannonRps, ratio } (target ratio >= 0.8): the
 * engine's own cost must not distort what it measures.
 */
import { writeJson } from 'pressure-harness/report';
import autocannon from 'autocannon';
import { runLoad } from 'pressure-harness/load';
import { failAndExit, flagsOrExit, settingsOrExit, withBackend } from './backend.js';

const settings = settingsOrExit();
const flags = flagsOrExit('bench:driver', { seconds: { type: 'string' }, connections: { type: 'string' } }, 'npm run bench:driver -- [--seconds 10] [--connections 50]');
const seconds = Number(flags.seconds ?? 10);
const connections = Number(flags.connections ?? 50);
if (!(Number.isInteger(seconds) && seconds >= 1 && seconds <= 120)) failAndExit('bench:driver', `--seconds must be a whole number from 1 to 120, got ${JSON.stringify(flags.seconds)}`);
if (!(Number.isInteger(connections) && connections >= 1 && connections <= 1000))
  failAndExit('bench:driver', `--connections must be a whole number from 1 to 1000, got ${JSON.stringify(flags.connections)}`);

const guards = { maxRps: 1_000_000, maxConcurrency: connections, maxRequests: 100_000_000, maxRuntimeMs: (seconds + 30) * 1000 };
const engine = async (durationMs: number) => {
  const r = await runLoad({ baseUrl: settings.baseUrl, connections, shape: { model: 'closed', concurrency: connections, durationMs }, guards, next: () => ({ route: 'GET /livez', path: '/livez' }) });
  const m = r.routes['GET /livez']!;
  if (m.errors) throw new Error(`the engine saw ${m.errors} errors: ${JSON.stringify(m.errorsByClass)}`);
  return r.requests / (r.wallMs / 1000);
};
const cannon = async (duration: number) => {
  const r = await autocannon({ url: `${settings.baseUrl}/livez`, connections, duration });
  if (r.errors || r.non2xx) throw new Error(`autocannon saw ${r.errors} errors and ${r.non2xx} non-2xx answers`);
  return r.requests.total / r.duration;
};

await withBackend(settings, async () => {
  console.log(`bench:driver: GET /livez, ${connections} connections, ${seconds} s each`);
  await engine(2000); // warm-up: JIT, connections, the server's own caches
  await cannon(2);
  const rps = await engine(seconds * 1000);
  const autocannonRps = await cannon(seconds);
  const result = {
    rps: Math.round(rps),
    autocannonRps: Math.round(autocannonRps),
    ratio: +(rps / autocannonRps).toFixed(3),
    connections,
    seconds,
    client: 'undici Pool (pressure-harness/src/load/engine.ts), closed model',
  };
  writeJson('bench-results/driver.json', result);
  console.log(`  engine ${result.rps} req/s, autocannon ${result.autocannonRps} req/s: ratio ${result.ratio} (target >= 0.8)`);
  console.log('  wrote bench-results/driver.json');
});
