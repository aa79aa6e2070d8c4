/**
 * dashboard.stampede: a whale's dashboard goes cold, and many clients ask for it at once. The
 * app must compute each fragment once and serve the others from that one computation
 * (X-Cache: coalesced), and the tail must stay within budget. Three cold bursts; the budget's
 * recomputations are the worst burst's, per fragment.
 */
import { test } from '../../fixtures';
import { runLoad } from 'pressure-harness/load';
import { cacheStats } from '../../fixtures/metrics.js';
import { scenarioMetrics, timelineOf } from 'pressure-harness/load';
import { dashboardWhale } from '../support/perf.js';

const ID = 'dashboard.stampede';
const CLIENTS = 32;
const BURSTS = 3;

test(ID, async ({ dataset, perf, seedClient, seedWhale }) => {
  const whale = await dashboardWhale(dataset, seedWhale);
  await perf.scenario(ID, async () => {
    const runs = [];
    const perBurst: Record<string, number>[] = [];
    for (let b = 0; b < BURSTS; b++) {
      await seedClient.evictCache([whale.accountId]);
      // Closed model with as many users as requests: all of them are sent at once.
      const run = await test.step(`${ID} burst ${b + 1}`, () =>
        runLoad({
          baseUrl: perf.baseUrl,
          connections: CLIENTS,
          shape: { model: 'closed', concurrency: CLIENTS, durationMs: 30_000 },
          guards: { maxRps: 5000, maxConcurrency: CLIENTS, maxRequests: CLIENTS, maxRuntimeMs: 30_000 },
          next: () => ({ route: 'GET /v1/dashboard', path: '/v1/dashboard', headers: whale.auth }),
        }));
      runs.push(run);
      perBurst.push(cacheStats(scenarioMetrics(run)).missesByFragment);
    }
    const all = scenarioMetrics(...runs);
    const worst = Math.max(0, ...perBurst.flatMap((m) => Object.values(m)));
    let offset = 0;
    const timeline = runs.flatMap((r) => {
      const t = timelineOf(r, offset, CLIENTS);
      offset += r.wallMs;
      return t;
    });
    return {
      routes: { 'GET /v1/dashboard': all },
      wallMs: runs.reduce((a, r) => a + r.wallMs, 0),
      singles: { recomputations: worst },
      timeline,
      details: { clients: CLIENTS, bursts: BURSTS, recomputationsPerBurst: perBurst, cache: all.evidence.cache_hit_ratio?.kind === 'tally' ? all.evidence.cache_hit_ratio.counts : {} },
    };
  });
});
