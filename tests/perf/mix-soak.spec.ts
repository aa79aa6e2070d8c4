/**
 * mix.soak: the mixed workload held steady for PERF_SOAK_SECONDS (short by default; nightly
 * jobs raise it). What only time shows: p95 drifting up (the last third against the first) and
 * the app's memory growing, sampled from its /metrics every second.
 */
import { test } from '../../fixtures';
import { runLoad } from 'pressure-harness/load';
import { createHistogram, percentileMs } from 'pressure-harness/load';
import { timelineOf } from 'pressure-harness/load';
import { sampleSignals } from 'pressure-harness/load';
import { mixedWorkload } from '../support/perf.js';

const ID = 'mix.soak';
const USERS = 4;

test(ID, async ({ dataset, perf, perfSettings }) => {
  test.setTimeout(perfSettings.soakSeconds * 1000 * (perfSettings.repeats + 1) + 120_000);
  const next = await mixedWorkload(dataset, perf.baseUrl);
  await perf.scenario(ID, async () => {
    const durationMs = perfSettings.soakSeconds * 1000;
    const signals = sampleSignals(perf.baseUrl, { everyMs: 1000, path: perf.metricsPath });
    const run = await test.step(`${ID} ${perfSettings.soakSeconds} s at ${USERS} users`, () =>
      runLoad({
        baseUrl: perf.baseUrl,
        connections: USERS,
        shape: { model: 'closed', concurrency: USERS, durationMs },
        guards: { maxRps: 2000, maxConcurrency: USERS, maxRequests: 10_000_000, maxRuntimeMs: durationMs + 10_000 },
        next,
      }));
    const samples = await signals.stop();
    const third = Math.max(1, Math.floor(run.timeline.length / 3));
    const p95Of = (secs: typeof run.timeline) => {
      const h = createHistogram();
      for (const s of secs) h.add(s.latency);
      return percentileMs(h, 95);
    };
    const first = p95Of(run.timeline.slice(0, third));
    const last = p95Of(run.timeline.slice(-third));
    const rss = samples.map((s) => s.values.process_resident_memory_bytes).filter((v): v is number => v !== undefined);
    // No /metrics, no memory figure: n/a, never a growth of 0 nobody measured.
    const growth: Record<string, number> = rss.length > 1 ? { memory_growth_mb: +((rss.at(-1)! - rss[0]!) / 2 ** 20).toFixed(2) } : {};
    return {
      routes: run.routes,
      wallMs: run.wallMs,
      singles: { p95_drift_ratio: first > 0 ? last / first : 1, ...growth },
      timeline: timelineOf(run, 0, USERS),
      details: {
        p95FirstThirdMs: first,
        p95LastThirdMs: last,
        memory: samples.map((s) => ({
          t: s.t,
          rssMb: +((s.values.process_resident_memory_bytes ?? 0) / 2 ** 20).toFixed(1),
          eventLoopLagP99Ms: +((s.values.nodejs_eventloop_lag_p99_seconds ?? 0) * 1000).toFixed(2),
          poolWaiting: s.values.db_pool_waiting_clients ?? 0,
        })),
      },
    };
  });
});
