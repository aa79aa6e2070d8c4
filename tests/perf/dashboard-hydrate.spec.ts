/**
 * dashboard.hydrate: small tenants and a whale open their dashboards, cold (recomputed: the
 * request says Cache-Control: no-cache) and warm (from the cache), interleaved in one run. The
 * scenario id is the test title, the budget key and the name of its histograms.
 */
import { expect, test } from '../../fixtures';
import { timelineOf } from '../../harness/load/report.js';
import { runVariants } from '../../harness/load/variants.js';
import { dashboardWhale } from '../support/perf.js';

const ID = 'dashboard.hydrate';

test(ID, async ({ dataset, perf, seedWhale }, testInfo) => {
  const ordinary = dataset.accounts.filter((a) => a.tier !== 'whale').map((a) => ({ authorization: `Bearer ${a.token}` }));
  const whale = await dashboardWhale(dataset, seedWhale);
  testInfo.annotations.push({ type: 'dataset', description: `${dataset.name} (${dataset.source}, ${dataset.accounts.length} accounts); whale: ${whale.source}` });
  let n = 0;
  const nextOrdinary = () => ordinary[n++ % ordinary.length]!;
  const cold = { 'cache-control': 'no-cache' };
  const variants = {
    ordinary_cold: () => ({ path: '/v1/dashboard', headers: { ...nextOrdinary(), ...cold } }),
    ordinary_warm: () => ({ path: '/v1/dashboard', headers: nextOrdinary() }),
    whale_cold: () => ({ path: '/v1/dashboard', headers: { ...whale.auth, ...cold } }),
    whale_warm: () => ({ path: '/v1/dashboard', headers: whale.auth }),
  };

  await perf.scenario(ID, async () => {
    // Warm connections and plan caches, and fill the cache of every account: not measured.
    await runVariants({ ordinary_warm: variants.ordinary_warm, whale_warm: variants.whale_warm }, { baseUrl: perf.baseUrl, concurrency: 4, perVariant: ordinary.length * 2 });
    const run = await test.step(ID, () => runVariants(variants, { baseUrl: perf.baseUrl, concurrency: 4, perVariant: 100 }));
    expect(run.stoppedBy, 'the run ends at its request count, not at a time bound').toBe('guard: maxRequests 400');
    return { routes: run.routes, wallMs: run.wallMs, timeline: timelineOf(run, 0, 4), details: { whale: whale.source } };
  });
});
