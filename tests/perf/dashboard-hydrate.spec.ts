/**
 * dashboard.hydrate: small tenants and a whale open their dashboards, cold (recomputed: the
 * request says Cache-Control: no-cache) and warm (from the cache), interleaved in one run. The
 * scenario id is the test title, the budget key and the name of its histograms.
 */
import { expect, test } from '../../fixtures';
import { timelineOf } from 'pressure-harness/load';
import { runVariants } from 'pressure-harness/load';
import { dashboardWhale, getJson } from '../support/perf.js';

const ID = 'dashboard.hydrate';

test(ID, async ({ dataset, perf, seedWhale }, testInfo) => {
  const ordinary = dataset.accounts.filter((a) => a.tier !== 'whale').map((a) => ({ authorization: `Bearer ${a.token}` }));
  const whale = await dashboardWhale(dataset, seedWhale);
  testInfo.annotations.push({ type: 'dataset', description: `${dataset.name} (${dataset.source}, ${dataset.accounts.length} accounts); whale: ${whale.source}` });
  let n = 0;
  const nextOrdinary = () => ordinary[n++ % ordinary.length]!;
  const cold = { 'cache-control': 'no-cache' };
  // How big each side is, as the dashboard itself says: the sizes of the scale probes below.
  const projectsOf = async (headers: Record<string, string>) => (await getJson<{ totalProjects: number }>(perf.baseUrl, '/v1/dashboard', headers)).totalProjects;
  const ordinaryProjects = (await Promise.all(ordinary.map(projectsOf))).sort((a, b) => a - b);
  const sizes = { ordinary: Math.max(1, ordinaryProjects[ordinaryProjects.length >> 1] ?? 1), whale: await projectsOf(whale.auth) };
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
    // Bytes grow with the account until the page is full (?projects=, 20 by default): expected.
    const page = 'the dashboard lists up to 20 projects with their recent items: a whale fills the page, a small tenant does not';
    return {
      routes: run.routes,
      wallMs: run.wallMs,
      timeline: timelineOf(run, 0, 4),
      details: { whale: whale.source, projects: sizes },
      // Each variant alone afterwards, for PostgreSQL's statements per variant.
      variants,
      probes: [
        {
          dimension: 'projects of the account (cold)',
          small: { variant: 'ordinary_cold', size: sizes.ordinary },
          large: { variant: 'whale_cold', size: sizes.whale },
          grows: {
            bytes_per_req: page,
            ...Object.fromEntries(
              ['latency_ms', 'service_ms', 'db_ms'].map((m) => [
                m,
                {
                  why: 'a cold dashboard counts the items of the listed projects (20 at most): it grows with how full the page is and how big those projects are, and the cache keeps it off the warm path',
                  // Bounded by the page, not by the account: far below linear in the projects
                  // (counting every project's items gave size^0.9 and a 1.5 s page at large).
                  maxExponent: 0.5,
                },
              ]),
            ),
          },
        },
        { dimension: 'projects of the account (warm)', small: { variant: 'ordinary_warm', size: sizes.ordinary }, large: { variant: 'whale_warm', size: sizes.whale }, grows: { bytes_per_req: page } },
      ],
    };
  });
});
