/** The load engine's pauses (Retry-After), budget rules and adaptive ramps, against the counting server. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runLoad } from 'pressure-harness/load';
import { runRamp } from 'pressure-harness/load';
import { type Probe, probe, probeServer, roomy } from '../support/probe-server.js';

describe('load engine: pauses, budgets and ramps', () => {
  let server: Probe;
  before(async () => {
    server = await probeServer();
  });
  after(() => server.close());

  it('honours Retry-After: after a 429 that says wait 1 s, nothing is sent for 1 s', async () => {
    server.reset({ throttleFirst: 1 });
    await runLoad({ baseUrl: server.url, connections: 4, shape: { model: 'closed', concurrency: 4, durationMs: 1600 }, guards: roomy, next: () => probe });
    const [first, ...rest] = server.arrivals;
    // Within the second, only what the four users sent before the 429 reached the client: the
    // other three's requests on the wire, and one more each where a 200 was read first (on a busy
    // machine they arrive late). Without the pause, four users send hundreds in a second.
    const early = rest.filter((t) => t - first! < 1000);
    assert.ok(rest.length > early.length, 'the run went on after the pause');
    assert.ok(early.length <= 7, `${early.length} requests came within 1 s of the 429, at ${early.map((t) => Math.round(t - first!)).join(', ')} ms: at most 7 were sent before it was read`);
  });

  it('stops a run whose p95 stays over budget, and only warns for a warn-only rule', async () => {
    server.reset({ delayMs: 40 });
    const strict = await runLoad({
      baseUrl: server.url,
      connections: 2,
      shape: { model: 'closed', concurrency: 2, durationMs: 20_000 },
      guards: roomy,
      next: () => probe,
      rules: [{ metric: 'p95', above: 20, forSeconds: 2 }],
    });
    assert.match(strict.stoppedBy, /^abort: p95 over 20 ms for 2 s \(last 2 s: \d+(\.\d+)?ms, \d+(\.\d+)?ms\)$/);
    assert.ok(strict.wallMs < 20_000, `stopped by the rule before the shape's 20 s, after ${strict.wallMs} ms`);
    server.reset({ delayMs: 40 });
    const warned = await runLoad({
      baseUrl: server.url,
      connections: 2,
      shape: { model: 'closed', concurrency: 2, durationMs: 3500 },
      guards: roomy,
      next: () => probe,
      rules: [{ metric: 'p95', above: 20, forSeconds: 2, strict: false }],
    });
    assert.equal(warned.stoppedBy, 'duration');
    assert.equal(warned.warnings.length, 1);
    assert.match(warned.warnings[0]!, /^warn: p95 over 20 ms for 2 s/);
  });

  it('climbs 1 → 5 → 20 → 50, steps back from the step that breaks the budget, and names the knee', async () => {
    server.reset({ delayMs: 5, capacity: 8 });
    const r = await runRamp({ baseUrl: server.url, model: 'closed', holdMs: 700, guards: roomy, next: () => probe, adaptive: { maxErrorRate: 0.01, maxThrottledShare: 0.01, maxP95Ms: 500 } });
    assert.deepEqual(
      r.steps.map((s) => [s.level, s.withinBudget]),
      [
        [1, true],
        [5, true],
        [20, false],
        [5, true],
      ],
    );
    assert.equal(r.knee, 5);
    assert.match(r.verdict, /^20 broke the budget \(429\/503 share 0\.\d+ > 0\.01\); stepped back to 5, which held: the knee is 5$/);
  });

  it('climbs past its last step until one breaks, then bisects the gap: the knee is where the backend saturates', async () => {
    server.reset({ delayMs: 5, capacity: 12 });
    const r = await runRamp({
      baseUrl: server.url,
      model: 'closed',
      steps: [2, 4],
      holdMs: 500,
      guards: { ...roomy, maxConcurrency: 64 },
      next: () => probe,
      adaptive: { maxErrorRate: 0.01, maxThrottledShare: 0.01, maxP95Ms: 500 },
      extend: { max: 64, factor: 2, refine: 1 },
    });
    assert.deepEqual(
      r.steps.map((s) => [s.level, s.withinBudget]),
      [
        [2, true],
        [4, true],
        [8, true],
        [16, false],
        [8, true],
        [11, true],
      ],
    );
    assert.equal(r.knee, 11);
    assert.match(r.verdict, /^16 broke the budget .*; stepped back to 8, which held, and 11 held too: the knee is 11$/);
    await assert.rejects(
      runRamp({
        baseUrl: server.url,
        model: 'closed',
        steps: [2, 4],
        holdMs: 100,
        guards: roomy,
        next: () => probe,
        adaptive: { maxErrorRate: 0, maxThrottledShare: 0, maxP95Ms: 1 },
        extend: { max: 3 },
      }),
      /extend needs factor > 1, max above the last step \(4\)/,
    );
  });

  it('steps back further while the level below still misses, and names the first that holds again as the knee', async () => {
    // 16 users hurt it; it heals only after 10 requests in a row answered alone: 4 users never let it.
    server.reset({ delayMs: 1, hurtAt: 10, healAfter: 10 });
    const r = await runRamp({
      baseUrl: server.url,
      model: 'closed',
      steps: [1, 4, 16],
      holdMs: 400,
      guards: roomy,
      next: () => probe,
      adaptive: { maxErrorRate: 0.2, maxThrottledShare: 0.5, maxP95Ms: 5_000 },
    });
    assert.deepEqual(
      r.steps.map((s) => [s.level, s.withinBudget]),
      [
        [1, true],
        [4, true],
        [16, false],
        [4, false],
        [1, true],
      ],
    );
    assert.equal(r.knee, 1);
    assert.match(r.verdict, /^16 broke the budget \(error rate [\d.]+ > 0\.2\); stepping back, 4 \(error rate 1\.000 > 0\.2\) did not hold again, 1 did: the knee is 1$/);
  });

  it('fails fast when the backend keeps struggling after stepping back', async () => {
    server.reset({ delayMs: 2, failAfter: 400 }); // step 1 sends ~150, step 5 crosses 400
    const r = await runRamp({ baseUrl: server.url, model: 'closed', holdMs: 500, guards: roomy, next: () => probe, adaptive: { maxErrorRate: 0.01, maxThrottledShare: 0.5, maxP95Ms: 500 } });
    assert.equal(r.knee, null);
    assert.match(r.verdict, /did not help .*: failing fast$/);
    assert.ok(r.steps.length <= 4, `${r.steps.length} steps`);
  });
});
