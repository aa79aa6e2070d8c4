/**
 * mix.ramp: the mixed workload (dashboards, listings, writes) ramped step by step, adaptively:
 * a step that breaks the thresholds is not climbed past; the ramp steps back to confirm the
 * level below and reports it as the knee. Past the written steps it climbs on (×2, up to
 * CEILING users) until the objective breaks, and bisects the last gap once: the knee is where
 * this backend saturates on this machine, which is what a capacity regression moves.
 */
import { test } from '../../fixtures';
import { runRamp } from 'pressure-harness/load';
import { mergeRoutes, timelineOf } from 'pressure-harness/load';
import { mixedWorkload } from '../support/perf.js';

const ID = 'mix.ramp';
const STEPS = [2, 4, 8, 16];
/** The most users the ramp climbs to: bounded, on loopback, as every load here. */
const CEILING = 256;

test(ID, async ({ dataset, perf, perfSettings }) => {
  const next = await mixedWorkload(dataset, perf.baseUrl);
  await perf.scenario(ID, async () => {
    const holdMs = perfSettings.rampHoldSeconds * 1000;
    const ramp = await test.step(`${ID} steps ${STEPS.join(' → ')}, then ×2 to the knee (at most ${CEILING})`, () =>
      runRamp({
        baseUrl: perf.baseUrl,
        model: 'closed',
        steps: STEPS,
        holdMs,
        next,
        guards: { maxRps: 2000, maxConcurrency: CEILING, maxRequests: 50_000, maxRuntimeMs: holdMs + 15_000 },
        adaptive: { maxErrorRate: 0.01, maxThrottledShare: 0.05, maxP95Ms: 250 },
        extend: { max: CEILING, factor: 2, refine: 1 },
      }));
    const runs = ramp.steps.map((s) => s.run);
    const names = [...new Set(runs.flatMap((r) => Object.keys(r.routes)))];
    const routes = Object.fromEntries(names.map((n) => [n, mergeRoutes(runs.flatMap((r) => (r.routes[n] ? [r.routes[n]!] : [])))]));
    let offset = 0;
    const timeline = ramp.steps.flatMap((s) => {
      const t = timelineOf(s.run, offset, s.level);
      offset += s.run.wallMs;
      return t;
    });
    return {
      routes,
      wallMs: offset,
      singles: { knee: ramp.knee ?? 0 },
      timeline,
      details: {
        knee: ramp.knee,
        verdict: ramp.verdict,
        steps: ramp.steps.map((s) => ({
          level: s.level,
          requests: s.requests,
          errorRate: s.errorRate,
          throttledShare: s.throttledShare,
          p95: s.p95,
          withinBudget: s.withinBudget,
          why: s.why ?? null,
        })),
      },
    };
  });
});
