/**
 * A local server for the load engine's tests that keeps its own counts (arrivals, requests in
 * flight): the guards are judged by what the server saw, never by the client's word.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

/**
 * `hurtAt`/`healAfter`: a backend slow to recover: once `hurtAt` requests are in flight it answers
 * 500 to everything until it has answered `healAfter` requests in a row with no other in flight.
 */
export type ProbeOptions = { stallAt?: number; stallMs?: number; delayMs?: number; capacity?: number; throttleFirst?: number; failAfter?: number; hurtAt?: number; healAfter?: number };
export type Probe = { url: string; arrivals: number[]; maxInFlight: number; reset: (o?: ProbeOptions) => void; close: () => Promise<void> };

export async function probeServer(): Promise<Probe> {
  let inFlight = 0;
  // Counts are per reset: a request a previous test left hanging (a stall) is not this test's.
  let generation = 0;
  let stallUntil = 0;
  let stall = { at: Infinity, ms: 0 };
  let opts: ProbeOptions = {};
  let hurt = { now: false, alone: 0 };
  const state = { arrivals: [] as number[], maxInFlight: 0 };
  const server = http.createServer(async (req, res) => {
    const now = performance.now();
    const mine = generation;
    state.arrivals.push(now);
    inFlight += 1;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    // The stall: at the N-th arrival, the server stops answering anything for a while.
    if (state.arrivals.length === stall.at) stallUntil = now + stall.ms;
    const wait = Math.max(stallUntil - performance.now(), opts.delayMs ?? 0);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const n = state.arrivals.length;
    if (opts.hurtAt !== undefined && inFlight >= opts.hurtAt) hurt = { now: true, alone: 0 };
    // Healing needs that many answered alone in a row: any overlap starts it again.
    if (hurt.now) hurt.alone = inFlight === 1 ? hurt.alone + 1 : 0;
    if (hurt.now && hurt.alone > (opts.healAfter ?? 0)) hurt = { now: false, alone: 0 };
    // Over capacity, asked to back off, or broken from some point on: 503 or 429 with Retry-After.
    if ((opts.capacity !== undefined && inFlight > opts.capacity) || (opts.failAfter !== undefined && n > opts.failAfter)) {
      res.statusCode = 503;
    } else if (hurt.now) {
      res.statusCode = 500;
    } else if (opts.throttleFirst !== undefined && n <= opts.throttleFirst) {
      res.statusCode = 429;
      res.setHeader('retry-after', '1');
    }
    res.setHeader('x-db-query-count', '2');
    res.setHeader('server-timing', 'db;dur=0.40, total;dur=0.90');
    res.end('{"ok":true}');
    if (mine === generation) inFlight -= 1;
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
      generation += 1;
      inFlight = 0;
      state.arrivals = [];
      state.maxInFlight = 0;
      stallUntil = 0;
      hurt = { now: false, alone: 0 };
      stall = { at: o.stallAt ?? Infinity, ms: o.stallMs ?? 0 };
      opts = o;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Most arrivals the server saw within any window of `ms`. */
export function maxInWindow(times: number[], ms: number): number {
  let best = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= ms) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

export const roomy = { maxRps: 10_000, maxConcurrency: 1000, maxRequests: 1_000_000, maxRuntimeMs: 60_000 };
export const probe = { route: 'GET /probe', path: '/probe' };
