/**
 * The load engine against a local server that keeps its own counts (tests/support/probe-server.ts):
 * stalls, guards, aborts. Pauses, budgets and ramps are in engine-ramp.test.ts, so that the two
 * files, each mostly waiting on timers, run side by side.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { runBurst, runLoad, StallError } from 'pressure-harness/load';
import { percentileMs } from 'pressure-harness/load';
import { maxInWindow, type Probe, probe, probeServer, roomy } from '../support/probe-server.js';

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

  it('sends a burst of rate × seconds requests at most, none refused by its own guards', async () => {
    server.reset();
    const r = await runBurst({ baseUrl: server.url, rate: 40, seconds: 1, next: () => probe });
    assert.equal(server.arrivals.length, r.routes[probe.route]!.requests);
    assert.ok(server.arrivals.length <= 40 && server.arrivals.length >= 30, `${server.arrivals.length} arrivals`);
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
    assert.ok(
      server.arrivals.every((t) => t <= started + 1000 + 5),
      'no request arrived after the deadline',
    );
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
});
