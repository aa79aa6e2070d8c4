/**
 * The load engine against a local server that keeps its own counts (arrivals, requests in
 * flight): the guards are judged by what the server saw, never by the client's word.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { runLoad, StallError } from 'pressure-harness/load';
import { runRamp } from 'pressure-harness/load';
import { percentileMs } from 'pressure-harness/load';

type ProbeOptions = { stallAt?: number; stallMs?: number; delayMs?: number; capacity?: number; throttleFirst?: number; failAfter?: number };
type Probe = { url: string; arrivals: number[]; maxInFlight: number; reset: (o?: ProbeOptions) => void; close: () => Promise<void> };

async function probeServer(): Promise<Probe> {
  let inFlight = 0;
  let stallUntil = 0;
  let stall = { at: Infinity, ms: 0 };
  let opts: ProbeOptions = {};
  const state = { arrivals: [] as number[], maxInFlight: 0 };
  const server = http.createServer(async (req, res) => {
    const now = performance.now();
    state.arrivals.push(now);
    inFlight += 1;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    // The stall: at the N-th arrival, the server stops answering anything for a while.
    if (state.arrivals.length === stall.at) stallUntil = now + stall.ms;
    const wait = Math.max(stallUntil - performance.now(), opts.delayMs ?? 0);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const n = state.arrivals.length;
    // Over capacity, asked to back off, or broken from some point on: 503 or 429 with Retry-After.
    if ((opts.capacity !== undefined && inFlight > opts.capacity) || (opts.failAfter !== undefined && n > opts.failAfter)) {
      res.statusCode = 503;
    } else if (opts.throttleFirst !== undefined && n <= opts.throttleFirst) {
      res.statusCode = 429;
      res.setHeader('retry-after', '1');
    }
    res.setHeader('x-db-query-count', '2');
    res.setHeader('server-timing', 'db;dur=0.40, total;dur=0.90');
    res.end('{"ok":true}');
    inFlight -= 1;
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get arrivals() {
      return state.arrivals;
    },
    get maxInFlight() {
      return state.maxInFlight;
    },
    reset(o = {}) {
      state.arrivals = [];
      state.maxInFlight = 0;
      stallUntil = 0;
      stall = { at: o.stallAt ?? Infinity, ms: o.stallMs ?? 0 };
      opts = o;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Most arrivals the server saw within any window of `ms`. */
function maxInWindow(times: number[], ms: number): number {
  let best = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= ms) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

const roomy = { maxRps: 10_000, maxConcurrency: 1000, maxRequests: 1_000_000, maxRuntimeMs: 60_000 };
const probe = { route: 'GET /probe', path: '/probe' };

describe('load engine', () => {
  let server: Probe;
  before(async () => {
    server = await probeServer();
  });
  after(() => server.close());

  it('stops a run whose backend stopped answering, saying what was in flight and since when', async () => {
    server.reset({ stallAt: 40, stallMs: 6000 }); // the 40th request and all after it hang for 6 s
    await assert.rejects(
      runLoad({ baseUrl: server.url, connections: 4, shape: { model: 'closed', concurrency: 4, durationMs: 30_000 }, guards: roomy, next: () => probe, stallMs: 1000 }),
      (e: unknown) => {
        assert.ok(e instanceof StallError, String(e));
        assert.match(e.message, /the backend stopped answering: no response for [\d.]+ s while 4 request\(s\) were in flight \(4 × GET \/probe; the oldest, GET \/probe, since [\d.]+ s\)/);
        assert.equal(e.inFlight.length, 4);
        return true;
      },
    );
    // Stopped before the backend came back: nothing was sent after the four users got stuck.
    assert.ok(server.arrivals.length <= 43, `${server.arrivals.length} arrivals`);
  });

  it('shows a 1 s stall in p99 and max at a constant rate, where the raw service time hides it', async () => {
    server.reset({ stallAt: 150, stallMs: 1000 }); // 3 s into a 10 s run at 50/s
    const r = await runLoad({
      baseUrl: server.url,
      connections: 2,
      shape: { model: 'open', rate: 50, durationMs: 10_000 },
      guards: { ...roomy, maxConcurrency: 2 },
      next: () => probe,
    });
    const m = r.routes['GET /probe']!;
    assert.equal(m.requests, 500);
    assert.equal(m.errors, 0);
    // ~50 requests were due during the stall: their latency counts from when they were due.
    assert.ok(percentileMs(m.latency, 99) >= 500, `corrected p99 ${percentileMs(m.latency, 99)} ms`);
    assert.ok(percentileMs(m.latency, 100) >= 900, `corrected max ${percentileMs(m.latency, 100)} ms`);
    // Only the two requests on the wire waited; the rest were sent late and served fast.
    // (Relative to the corrected view, not a speed: a busy machine slows both alike.)
    assert.ok(percentileMs(m.service, 99) < percentileMs(m.latency, 99) / 2, `raw p99 ${percentileMs(m.service, 99)} ms, corrected ${percentileMs(m.latency, 99)} ms`);
    assert.ok(percentileMs(m.service, 100) >= 900, `raw max ${percentileMs(m.service, 100)} ms`);
    assert.equal(m.evidence.db_queries_per_req?.kind === 'sample' && m.evidence.db_queries_per_req.max, 2);
  });

  it('never passes its requests-per-second or concurrency guard, as the server counts them', async () => {
    server.reset();
    const r = await runLoad({
      baseUrl: server.url,
      connections: 8,
      shape: { model: 'open', rate: 400, durationMs: 2500 },
      guards: { ...roomy, maxRps: 100, maxConcurrency: 3 },
      next: () => probe,
    });
    assert.ok(maxInWindow(server.arrivals, 1000) <= 100, `server saw ${maxInWindow(server.arrivals, 1000)} in one second`);
    assert.ok(maxInWindow(server.arrivals, 1000) >= 95, 'and the rate guard is a ceiling, not a brake');
    assert.ok(server.maxInFlight <= 3, `server saw ${server.maxInFlight} in flight`);
    assert.equal(server.arrivals.length, r.requests);

    server.reset();
    await runLoad({ baseUrl: server.url, connections: 20, shape: { model: 'closed', concurrency: 20, durationMs: 1000 }, guards: { ...roomy, maxConcurrency: 4 }, next: () => probe });
    assert.ok(server.maxInFlight <= 4, `closed model: server saw ${server.maxInFlight} in flight`);
  });

  it('stops by itself at its request and run-time guards, sending nothing after them', async () => {
    server.reset();
    const counted = await runLoad({ baseUrl: server.url, connections: 4, shape: { model: 'closed', concurrency: 4, durationMs: 60_000 }, guards: { ...roomy, maxRequests: 300 }, next: () => probe });
    assert.equal(server.arrivals.length, 300);
    assert.equal(counted.stoppedBy, 'guard: maxRequests 300');

    server.reset({ stallAt: 1, stallMs: 1_500 }); // the first request hangs past the deadline
    const started = performance.now();
    const timed = await runLoad({ baseUrl: server.url, connections: 4, shape: { model: 'open', rate: 20, durationMs: 60_000 }, guards: { ...roomy, maxRuntimeMs: 1000 }, next: () => probe });
    assert.equal(timed.stoppedBy, 'guard: maxRuntimeMs 1000');
    assert.ok(server.arrivals.every((t) => t <= started + 1000 + 5), 'no request arrived after the deadline');
  });

  it('stops at once when an abort rule fires, with its reason', async () => {
    server.reset();
    let n = 0;
    const r = await runLoad({
      baseUrl: server.url,
      connections: 2,
      shape: { model: 'closed', concurrency: 2, durationMs: 60_000 },
      guards: roomy,
      next: () => probe,
      abortIf: () => (++n >= 50 ? 'p95 over budget for 10 s' : undefined),
    });
    assert.equal(r.stoppedBy, 'abort: p95 over budget for 10 s');
    assert.ok(r.requests <= 52, `${r.requests} requests`);
  });

  it('rejects impossible settings, naming each', async () => {
    await assert.rejects(
      runLoad({ baseUrl: server.url, connections: 0, shape: { model: 'open', rate: 0, durationMs: 1000 }, guards: { ...roomy, maxRps: -1 }, next: () => probe }),
      /load engine: guards.maxRps must be a number above 0, got -1; shape.rate must be a number above 0, got 0; connections must be at least 1, got 0/,
    );
  });

  it('honours Retry-After: after a 429 that says wait 1 s, nothing is sent for 1 s', async () => {
    server.reset({ throttleFirst: 1 });
    await runLoad({ baseUrl: server.url, connections: 4, shape: { model: 'closed', concurrency: 4, durationMs: 1600 }, guards: roomy, next: () => probe });
    const [first, ...rest] = server.arrivals;
    const afterFirstAnswer = rest.filter((t) => t - first! > 50); // requests already on the wire with the first
    assert.ok(afterFirstAnswer.length > 0, 'the run went on after the pause');
    assert.ok(afterFirstAnswer.every((t) => t - first! >= 1000), `a request came ${Math.min(...afterFirstAnswer.map((t) => t - first!))} ms after the 429`);
  });

  it('stops a run whose p95 stays over budget, and only warns for a warn-only rule', async () => {
    server.reset({ delayMs: 40 });
    const strict = await runLoad({ baseUrl: server.url, connections: 2, shape: { model: 'closed', concurrency: 2, durationMs: 20_000 }, guards: roomy, next: () => probe, rules: [{ metric: 'p95', above: 20, forSeconds: 2 }] });
    assert.match(strict.stoppedBy, /^abort: p95 over 20 ms for 2 s \(last 2 s: \d+(\.\d+)?ms, \d+(\.\d+)?ms\)$/);
    assert.ok(strict.wallMs < 20_000, `stopped by the rule before the shape's 20 s, after ${strict.wallMs} ms`);
    server.reset({ delayMs: 40 });
    const warned = await runLoad({ baseUrl: server.url, connections: 2, shape: { model: 'closed', concurrency: 2, durationMs: 3500 }, guards: roomy, next: () => probe, rules: [{ metric: 'p95', above: 20, forSeconds: 2, strict: false }] });
    assert.equal(warned.stoppedBy, 'duration');
    assert.equal(warned.warnings.length, 1);
    assert.match(warned.warnings[0]!, /^warn: p95 over 20 ms for 2 s/);
  });

  it('climbs 1 → 5 → 20 → 50, steps back from the step that breaks the budget, and names the knee', async () => {
    server.reset({ delayMs: 5, capacity: 8 });
    const r = await runRamp({ baseUrl: server.url, model: 'closed', holdMs: 700, guards: roomy, next: () => probe, adaptive: { maxErrorRate: 0.01, maxThrottledShare: 0.01, maxP95Ms: 500 } });
    assert.deepEqual(r.steps.map((s) => [s.level, s.withinBudget]), [[1, true], [5, true], [20, false], [5, true]]);
    assert.equal(r.knee, 5);
    assert.match(r.verdict, /^20 broke the budget \(429\/503 share 0\.\d+ > 0\.01\); stepped back to 5, which held: the knee$/);
  });

  it('fails fast when the backend keeps struggling after stepping back', async () => {
    server.reset({ delayMs: 2, failAfter: 400 }); // step 1 sends ~150, step 5 crosses 400
    const r = await runRamp({ baseUrl: server.url, model: 'closed', holdMs: 500, guards: roomy, next: () => probe, adaptive: { maxErrorRate: 0.01, maxThrottledShare: 0.5, maxP95Ms: 500 } });
    assert.equal(r.knee, null);
    assert.match(r.verdict, /did not help .*: failing fast$/);
    assert.ok(r.steps.length <= 4, `${r.steps.length} steps`);
  });
});
