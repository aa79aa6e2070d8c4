/**
 * mix.ramp: the mixed workload (dashboards, listings, writes) ramped step by step, adaptively:
 * a step that breaks the thresholds is not climbed past; the ramp steps back to confirm the
 * level below and reports it as the knee.
 */
import { test } from '../../fixtures';
import { runRamp } from '../../load/ramp.js';
import { metricValues, routeSummary, scenarioMetrics, single, timelineOf } from '../../load/report.js';
import { mixedWorkload } from '../support/perf.js';

const ID = 'mix.ramp';
const STEPS = [2, 4, 8, 16];

test(ID, async ({ dataset, perf, perfSettings }) => {
  const next = await mixedWorkload(dataset, perf.baseUrl);
  await perf.scenario(ID, async () => {
    const holdMs = perfSettings.rampHoldSeconds * 1000;
    const ramp = await test.step(`${ID} steps ${STEPS.join(' → ')}`, () =>
      runRamp({
        baseUrl: perf.baseUrl,
        model: 'closed',
        steps: STEPS,
        holdMs,
        next,
        guards: { maxRps: 2000, maxConcurrency: STEPS.at(-1)!, maxRequests: 50_000, maxRuntimeMs: holdMs + 15_000 },
        adaptive: { maxErrorRate: 0.01, maxThrottledShare: 0.05, maxP95Ms: 250 },
      }),
    );
    const runs = ramp.steps.map((s) => s.run);
    const all = scenarioMetrics(...runs);
    const byRoute: Record<string, ReturnType<typeof routeSummary>> = {};
    const wall = runs.reduce((a, r) => a + r.wallMs, 0);
    for (const route of new Set(runs.flatMap((r) => Object.keys(r.routes)))) byRoute[route] = routeSummary(scenarioMetrics(...runs.map((r) => ({ ...r, routes: r.routes[route] ? { [route]: r.routes[route]! } : {} }))), wall);
    let offset = 0;
    const timeline = ramp.steps.flatMap((s) => {
      const t = timelineOf(s.run, offset).map((x) => ({ ...x, level: s.level }));
      offset += s.run.wallMs;
      return t;
    });
    return {
      measured: { '*': { ...metricValues(all), knee: single(ramp.knee ?? 0) } },
      details: {
        knee: ramp.knee,
        verdict: ramp.verdict,
        steps: ramp.steps.map((s) => ({ level: s.level, requests: s.requests, errorRate: s.errorRate, throttledShare: s.throttledShare, p95: s.p95, withinBudget: s.withinBudget, why: s.why ?? null })),
        endpoints: byRoute,
        timeline,
        requests: all.requests,
      },
    };
  });
});
