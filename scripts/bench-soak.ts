/**
 * npm run bench:soak [-- --seconds 600] [--sample 30]
 *
 * Mixed reads and writes against app/ for `seconds` (10 minutes by default), in windows of
 * `sample` seconds; after each, the app's heap after a full collection (POST /internal/test/heap).
 * Retained heap must level off: the slope of heap against requests over the second half (the
 * first is warm-up: caches, JIT, pools filling), by ordinary least squares, with its 95%
 * confidence interval from the slope's standard error and Student's t (n − 2 degrees of freedom).
 * It levels off when no growth shows beyond the samples' noise: the interval reaches down to 0
 * (the slope is not significantly positive at 5%) and the slope itself is under 10 KB per 1,000
 * requests (the cache leak this replaced was about 9 KB a request). The interval's upper bound
 * is printed too: the largest leak this run's length cannot rule out.
 * Writes bench-results/soak.json.
 */
import { writeJson } from 'pressure-harness/report';
import { runLoad } from 'pressure-harness/load';
import { buildAccount } from '../seed/factories.js';
import { failAndExit, flagsOrExit, settingsOrExit, withBackend } from './backend.js';

const settings = settingsOrExit();
const flags = flagsOrExit('bench:soak', { seconds: { type: 'string' }, sample: { type: 'string' } }, 'npm run bench:soak -- [--seconds 60-3600] [--sample 5-120]');
const seconds = Number(flags.seconds ?? 600);
const sample = Number(flags.sample ?? 30);
if (!Number.isInteger(seconds) || seconds < 60 || seconds > 3600) failAndExit('bench:soak', `--seconds must be a whole number from 60 to 3600, got ${JSON.stringify(flags.seconds)}`);
if (!Number.isInteger(sample) || sample < 5 || sample > 120 || sample * 4 > seconds)
  failAndExit('bench:soak', `--sample must be a whole number from 5 to 120 and at most a quarter of --seconds, got ${JSON.stringify(flags.sample)}`);
const LIMIT_BYTES_PER_1000 = 10 * 1024;

/** Student's t, two-sided 95%, by degrees of freedom (a table: n is small and known). */
const T95 = [NaN, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086];
const t95 = (df: number) => T95[df] ?? (df <= 30 ? 2.042 : df <= 60 ? 2.0 : 1.96);

/** Ordinary least squares of y on x: slope, its standard error, intercept. */
function ols(x: number[], y: number[]) {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  const sxx = x.reduce((a, v) => a + (v - mx) ** 2, 0);
  const slope = x.reduce((a, v, i) => a + (v - mx) * (y[i]! - my), 0) / sxx;
  const intercept = my - slope * mx;
  const rss = y.reduce((a, v, i) => a + (v - intercept - slope * x[i]!) ** 2, 0);
  return { slope, se: Math.sqrt(rss / (n - 2) / sxx), intercept };
}

await withBackend(settings, async ({ client, service, baseUrl }) => {
  const runId = `soak-${Date.now().toString(36)}`;
  const accounts = await Promise.all(
    Array.from({ length: 4 }, (_, i) =>
      client.seedAccount(
        buildAccount({ seed: 'bench-soak', runId, ttlSeconds: 2 * 3600, path: `soak/${i}`, shape: { projects: 3, itemsPerProject: 40, commentDepth: 1, attachmentRate: 0.1, tagsPerItem: 1 } }),
      ),
    ),
  );
  try {
    const heap = async () => ((await (await service.post(`${baseUrl}/internal/test/heap`)).json()) as { heapUsed: number }).heapUsed;
    // The mix: dashboards, listings, reads, new items and edits, across the accounts.
    let k = 0;
    const items: string[][] = accounts.map(() => []);
    const next = () => {
      const i = k++ % accounts.length;
      const a = accounts[i]!;
      const headers = { authorization: `Bearer ${a.token}`, 'content-type': 'application/json' };
      const project = a.projectIds[k % a.projectIds.length]!;
      const mine = items[i]!;
      switch (k % 5) {
        case 0:
          return { route: 'GET /v1/dashboard', path: '/v1/dashboard', headers };
        case 1:
          return { route: 'GET /v1/projects/:id/items', path: `/v1/projects/${project}/items?limit=20`, headers };
        case 2:
          return { route: 'POST /v1/projects/:id/items', method: 'POST' as const, path: `/v1/projects/${project}/items`, headers, body: JSON.stringify({ title: `soak ${k}`, body: 'x'.repeat(200) }) };
        case 3:
          return mine.length
            ? { route: 'PATCH /v1/items/:id', method: 'PATCH' as const, path: `/v1/items/${mine[k % mine.length]}`, headers, body: JSON.stringify({ title: `edited ${k}` }) }
            : { route: 'GET /v1/me', path: '/v1/me', headers };
        default:
          return { route: 'GET /v1/projects', path: '/v1/projects', headers };
      }
    };
    for (const [i, a] of accounts.entries()) {
      const list = (await (await service.get(`${baseUrl}/v1/projects/${a.projectIds[0]}/items?limit=50`, { headers: { authorization: `Bearer ${a.token}` } })).json()) as { data: { id: string }[] };
      items[i] = list.data.map((x) => x.id);
    }
    const samples: { requests: number; heapUsed: number; seconds: number }[] = [];
    let requests = 0;
    let errors = 0;
    const t0 = performance.now();
    samples.push({ requests: 0, heapUsed: await heap(), seconds: 0 });
    const windows = Math.floor(seconds / sample);
    for (let w = 0; w < windows; w++) {
      const r = await runLoad({
        baseUrl,
        connections: 8,
        shape: { model: 'closed', concurrency: 8, durationMs: sample * 1000 },
        guards: { maxRps: 2000, maxConcurrency: 8, maxRequests: 10_000_000, maxRuntimeMs: (sample + 30) * 1000 },
        next,
      });
      requests += r.requests;
      errors += Object.values(r.routes).reduce((a, m) => a + m.errors, 0);
      samples.push({ requests, heapUsed: await heap(), seconds: Math.round((performance.now() - t0) / 1000) });
      console.log(`  ${samples.at(-1)!.seconds} s: ${requests.toLocaleString('en-US')} requests, heap ${(samples.at(-1)!.heapUsed / 2 ** 20).toFixed(1)} MB after a full GC`);
    }
    const late = samples.slice(Math.floor(samples.length / 2));
    const fit = ols(
      late.map((s) => s.requests / 1000),
      late.map((s) => s.heapUsed),
    );
    const half = t95(late.length - 2) * fit.se;
    const result = {
      seconds,
      sampleSeconds: sample,
      requests,
      errors,
      samples,
      slopeBytesPer1000Requests: Math.round(fit.slope),
      ci95: [Math.round(fit.slope - half), Math.round(fit.slope + half)],
      limitBytesPer1000Requests: LIMIT_BYTES_PER_1000,
      levelsOff: fit.slope - half <= 0 && fit.slope < LIMIT_BYTES_PER_1000,
      notes:
        "Heap used after a full GC (the app's POST /internal/test/heap), after each window of mixed load (dashboards, listings, reads, new items, edits; 8 virtual users). Slope: ordinary least squares over the second half of the samples (the first is warm-up), 95% CI from its standard error and Student's t with n-2 degrees of freedom. levelsOff: the CI reaches 0 (no significant growth at 5%) and the slope is under the limit; ci95[1] is the largest growth this run cannot rule out.",
    };
    writeJson('bench-results/soak.json', result);
    console.log(
      `bench:soak: ${requests.toLocaleString('en-US')} requests in ${seconds} s; heap slope ${result.slopeBytesPer1000Requests} B per 1,000 requests (95% CI ${result.ci95.join(' to ')}): ${result.levelsOff ? 'levels off (no growth beyond noise)' : 'still growing'}; wrote bench-results/soak.json`,
    );
    if (!result.levelsOff) process.exitCode = 1;
  } finally {
    await client.cleanup(runId).catch(() => {});
  }
});
