/**
 * The load engine against a local server that keeps its own counts (arrivals, requests in
 * flight): the guards are judged by what the server saw, never by the client's word.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { runLoad } from '../../load/engine.js';
import { percentileMs } from '../../load/histogram.js';

type Probe = { url: string; arrivals: number[]; maxInFlight: number; reset: (o?: { stallAt?: number; stallMs?: number }) => void; close: () => Promise<void> };

async function probeServer(): Promise<Probe> {
  let inFlight = 0;
  let stallUntil = 0;
  let stall = { at: Infinity, ms: 0 };
  const state = { arrivals: [] as number[], maxInFlight: 0 };
  const server = http.createServer(async (req, res) => {
    const now = performance.now();
    state.arrivals.push(now);
    inFlight += 1;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    // The stall: at the N-th arrival, the server stops answering anything for a while.
    if (state.arrivals.length === stall.at) stallUntil = now + stall.ms;
    const wait = stallUntil - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
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
    assert.ok(percentileMs(m.service, 99) < 100, `raw p99 ${percentileMs(m.service, 99)} ms`);
    assert.ok(percentileMs(m.service, 100) >= 900, `raw max ${percentileMs(m.service, 100)} ms`);
    assert.equal(m.dbQueries.max, 2);
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
});
