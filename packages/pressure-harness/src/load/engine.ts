/**
 * The load engine: puts a shaped, bounded load on one backend and measures what it sees.
 *
 * Client: an undici Pool, not Playwright's APIRequestContext. The engine must not distort what
 * it measures, and on this machine APIRequestContext reaches about 0.06x and global fetch about
 * 0.14x of autocannon's rate, where an undici Pool reaches over 1x (npm run bench:driver).
 * Specs still use APIRequestContext for everything that is not load.
 *
 * Models:
 *   open    requests start at a target rate, on a schedule. Latency is measured from each
 *           request's intended start, so a stalled backend cannot hide its stall by slowing the
 *           client down (coordinated omission); the raw service time (from the actual send) is
 *           kept too.
 *   closed  N virtual users, each sending its next request when the last one answered; the
 *           intended start is the actual send, so both views coincide.
 *
 * Guards, never exceeded whatever the shape asks: requests per second (in any sliding second,
 * counted at send), requests in flight, total requests, and run time (nothing is sent after it,
 * and what is in flight then is aborted). Every timing covers the request's send to the last
 * byte of its body, on kept-alive connections (connection set-up included only for the first).
 */
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import '../metrics/builtin.js';
import { type EvidenceByMetric, recordEvidence } from '../metrics/evidence.js';
import { createHistogram, type Histogram, percentileMs, recordMs } from './histogram.js';

export type Guards = { maxRps: number; maxConcurrency: number; maxRequests: number; maxRuntimeMs: number };
export type Shape = { model: 'open'; rate: number; durationMs: number } | { model: 'closed'; concurrency: number; durationMs: number };
/** One request; `route` is its template (`GET /v1/projects/:id/items`), the key of its metrics. */
/** `path` is relative to the base URL's own path: with BASE_URL http://h/api, '/articles' goes to /api/articles. */
export type RequestSpec = { route: string; method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'; path: string; headers?: Record<string, string>; body?: string };

export type RouteMetrics = {
  /** From the intended start to the last byte (corrected for coordinated omission). */
  latency: Histogram;
  /** From the actual send to the last byte: the backend's service time as the client saw it. */
  service: Histogram;
  requests: number;
  errors: number;
  errorsByClass: Record<string, number>;
  bytes: number;
  maxBytes: number;
  /** What the registered response metrics read (query counts, DB time, a suite's own): absent where the backend sent no evidence. */
  evidence: EvidenceByMetric;
  /** Responses by status code. */
  statuses: Record<string, number>;
  /** The slowest requests, slowest first, with the trace ID each was sent with. */
  slowest: SlowRequest[];
};

/** One slow request, findable in the backend's logs by its trace ID. */
export type SlowRequest = { route: string; ms: number; status: number | null; traceId: string; requestId: string | null };

/** What a long run shows while it goes (every PROGRESS_EVERY_MS). */
export type Progress = { seconds: number; load: string; requestsPerSec: number; p95: number; errors: number; requests: number };
const PROGRESS_EVERY_MS = 2000;
let defaultProgress: ((p: Progress) => void) | undefined;
/** Where runs without a progress callback of their own report (the perf fixture sets it). */
export function setDefaultProgress(fn: ((p: Progress) => void) | undefined): void {
  defaultProgress = fn;
}

const SLOWEST_PER_ROUTE = 5;
function keepSlowest(list: SlowRequest[], r: SlowRequest): void {
  if (list.length >= SLOWEST_PER_ROUTE && r.ms <= list.at(-1)!.ms) return;
  list.push(r);
  list.sort((a, b) => b.ms - a.ms);
  if (list.length > SLOWEST_PER_ROUTE) list.pop();
}

/** One second of the run, all routes together: what sustained-breach rules and charts read. */
export type Second = { t: number; requests: number; errors: number; throttled: number; p95: number; latency: Histogram };

/**
 * "p95 over 300 ms for 10 s": evaluated every second while the run goes. A strict rule stops the
 * run at once with its reason; a warn-only rule (strict: false) is reported, never stops it.
 */
export type BreachRule = { metric: 'p95' | 'error_rate'; above: number; forSeconds: number; strict?: boolean };

export type RunResult = {
  routes: Record<string, RouteMetrics>;
  timeline: Second[];
  /** Warn-only rules that were breached, as sentences. */
  warnings: string[];
  requests: number;
  /** Why the run ended: its duration, a guard, or an abort with its reason. */
  stoppedBy: string;
  wallMs: number;
  startedAt: number;
};

/** A route's metrics before its first request: what the engine starts every route with. */
export function newRoute(): RouteMetrics {
  return {
    latency: createHistogram(),
    service: createHistogram(),
    requests: 0,
    errors: 0,
    errorsByClass: {},
    bytes: 0,
    maxBytes: 0,
    evidence: {},
    statuses: {},
    slowest: [],
  };
}

/** Exact "at most N sends in any window": the send N places back must be older than the window. */
class SlidingLimiter {
  private readonly sends: number[];
  private next = 0;
  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {
    this.sends = new Array<number>(limit).fill(-Infinity);
  }
  /** Milliseconds to wait before a send is allowed (0: now). */
  waitMs(now: number): number {
    return Math.max(0, this.sends[this.next]! + this.windowMs - now);
  }
  record(now: number): void {
    this.sends[this.next] = now;
    this.next = (this.next + 1) % this.limit;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const RATE_WINDOW_MARGIN_MS = 25;

/** `http://h:8080/api/` → origin `http://h:8080`, prefix `/api`: undici pools take an origin only. */
export function splitBaseUrl(baseUrl: string): { origin: string; prefix: string } {
  let u: URL;
  try {
    u = new URL(baseUrl);
  } catch {
    throw new Error(`load engine: baseUrl must be an http(s) URL such as http://127.0.0.1:8080 or http://127.0.0.1:8080/api, got "${baseUrl}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`load engine: baseUrl must be http or https, got "${baseUrl}"`);
  return { origin: u.origin, prefix: u.pathname.replace(/\/+$/, '') };
}

function validate(o: EngineOptions): void {
  const problems: string[] = [];
  const positive = (name: string, v: number) => (Number.isFinite(v) && v > 0 ? null : `${name} must be a number above 0, got ${v}`);
  for (const [k, v] of Object.entries(o.guards)) {
    const p = positive(`guards.${k}`, v);
    if (p) problems.push(p);
  }
  const s = o.shape;
  const p1 = positive('shape.durationMs', s.durationMs);
  if (p1) problems.push(p1);
  const p2 = s.model === 'open' ? positive('shape.rate', s.rate) : positive('shape.concurrency', s.concurrency);
  if (p2) problems.push(p2);
  if (!(o.connections >= 1)) problems.push(`connections must be at least 1, got ${o.connections}`);
  if (problems.length) throw new Error(`load engine: ${problems.join('; ')}`);
}

export type EngineOptions = {
  baseUrl: string;
  connections: number;
  shape: Shape;
  guards: Guards;
  /** The next request to send; called once per request. */
  next: () => RequestSpec;
  /** Checked after every response; a string stops the run at once with that reason. */
  abortIf?: () => string | undefined;
  rules?: BreachRule[];
  /** Sees every response's status and headers (a scenario that keeps state, like an ETag). */
  observe?: (spec: RequestSpec, res: { status: number; headers: Record<string, string | string[] | undefined> }) => void;
  /** Called every 2 s while the run goes; defaults to setDefaultProgress's. */
  progress?: (p: Progress) => void;
  /**
   * A request that has not answered after this long is an error of its own class (`timeout`),
   * counted like any other error (default 30 s).
   */
  requestTimeoutMs?: number;
  /**
   * A backend that answers nothing for this long while requests are in flight has stalled: the
   * run stops at once and runLoad rejects with a StallError saying what was in flight and since
   * when (default 10 s), instead of a run printing 0 req/s until a test timeout.
   */
  stallMs?: number;
};

/** The backend stopped answering: what was in flight, and for how long nothing completed. */
export class StallError extends Error {
  constructor(
    readonly seconds: number,
    readonly inFlight: { route: string; sinceMs: number }[],
  ) {
    const oldest = [...inFlight].sort((a, b) => b.sinceMs - a.sinceMs);
    const byRoute = Object.entries(inFlight.reduce<Record<string, number>>((a, r) => ((a[r.route] = (a[r.route] ?? 0) + 1), a), {}));
    super(
      `load engine: the backend stopped answering: no response for ${seconds} s while ${inFlight.length} request(s) were in flight ` +
        `(${byRoute.map(([r, n]) => `${n} × ${r}`).join(', ')}; the oldest, ${oldest[0]?.route ?? '?'}, since ${((oldest[0]?.sinceMs ?? 0) / 1000).toFixed(1)} s)`,
    );
    this.name = 'StallError';
  }
}

function describeRule(r: BreachRule): string {
  return r.metric === 'p95' ? `p95 over ${r.above} ms for ${r.forSeconds} s` : `error rate over ${r.above} for ${r.forSeconds} s`;
}

/** The rule's verdict on the last complete seconds, or undefined while it holds. */
export function breached(rule: BreachRule, seconds: Second[]): string | undefined {
  const last = seconds.slice(-rule.forSeconds);
  if (last.length < rule.forSeconds) return undefined;
  const values = last.map((s) => (rule.metric === 'p95' ? s.p95 : s.errors / Math.max(1, s.requests)));
  if (!values.every((v) => v > rule.above)) return undefined;
  const shown = rule.metric === 'p95' ? values.map((v) => `${v}ms`) : values.map((v) => v.toFixed(3));
  return `${describeRule(rule)} (last ${rule.forSeconds} s: ${shown.join(', ')})`;
}

/** What one run shares between its parts: the measurements, the clock, what is in flight, why it stopped. */
type RunState = {
  o: EngineOptions;
  routes: Record<string, RouteMetrics>;
  timeline: Second[];
  warnings: string[];
  startedAt: number;
  shapeEnd: number;
  controller: AbortController;
  /** Retry-After: nothing is sent before this. */
  pausedUntil: number;
  /** What is in flight, by ticket, and when anything last completed: the stall guard reads both. */
  pending: Map<number, { route: string; since: number }>;
  lastCompletion: number;
  stall?: StallError;
  stoppedBy?: string;
};

const stop = (st: RunState, why: string) => {
  st.stoppedBy ??= why;
};

/** The second of the run that `now` falls in, opened (with every second before it) as needed. */
function secondAt(st: RunState, now: number): Second {
  const t = Math.floor((now - st.startedAt) / 1000);
  while (st.timeline.length <= t) st.timeline.push({ t: st.timeline.length, requests: 0, errors: 0, throttled: 0, p95: 0, latency: createHistogram() });
  return st.timeline[t]!;
}

/** Once a second: the stall guard, progress, each complete second's p95, and the breach rules on them. */
function watchEverySecond(st: RunState): () => void {
  const { o } = st;
  const warned = new Set<BreachRule>();
  const progress = o.progress ?? defaultProgress;
  const load = o.shape.model === 'closed' ? `${o.shape.concurrency} users` : `${o.shape.rate}/s offered`;
  const stallMs = o.stallMs ?? 10_000;
  let lastProgress = st.startedAt;
  const timer = setInterval(() => {
    const now = performance.now();
    if (!st.stall && st.pending.size > 0 && now - st.lastCompletion > stallMs) {
      st.stall = new StallError(
        +((now - st.lastCompletion) / 1000).toFixed(1),
        [...st.pending.values()].map((p) => ({ route: p.route, sinceMs: Math.round(now - p.since) })),
      );
      stop(st, `stall: ${st.stall.message}`);
      st.controller.abort(); // what is in flight will not answer: cut it off
    }
    const done = Math.floor((performance.now() - st.startedAt) / 1000);
    if (progress && done >= 1 && performance.now() - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = performance.now();
      const recent = st.timeline.slice(Math.max(0, done - 2), done);
      const h = createHistogram();
      for (const x of recent) h.add(x.latency);
      const routes = Object.values(st.routes);
      progress({
        seconds: done,
        load,
        requestsPerSec: Math.round(recent.reduce((a, x) => a + x.requests, 0) / Math.max(1, recent.length)),
        p95: percentileMs(h, 95),
        errors: routes.reduce((a, r) => a + r.errors, 0),
        requests: routes.reduce((a, r) => a + r.requests, 0),
      });
    }
    secondAt(st, performance.now());
    const complete = st.timeline.slice(0, done);
    for (const s of complete) s.p95 = percentileMs(s.latency, 95);
    for (const rule of o.rules ?? []) {
      const verdict = breached(rule, complete);
      if (!verdict) continue;
      if (rule.strict === false) {
        if (!warned.has(rule)) (st.warnings.push(`warn: ${verdict}`), warned.add(rule));
      } else {
        stop(st, `abort: ${verdict}`);
      }
    }
  }, 1000);
  return () => clearInterval(timer);
}

/** The guards every send passes: requests per sliding second, Retry-After, total requests, the shape's end, and slots in flight. */
function sendGate(st: RunState) {
  const { o } = st;
  // The window has a margin: sends 1000 ms apart can arrive closer than that, and the guard holds
  // as the server counts, not only as the client does.
  const limiter = new SlidingLimiter(Math.floor(o.guards.maxRps), 1000 + RATE_WINDOW_MARGIN_MS);
  let sent = 0;
  let inFlight = 0;
  const waiters: (() => void)[] = [];
  return {
    async acquireSlot() {
      while (inFlight >= o.guards.maxConcurrency) await new Promise<void>((r) => waiters.push(r));
      inFlight += 1;
    },
    releaseSlot() {
      inFlight -= 1;
      waiters.shift()?.();
    },
    /** Waits until a send is allowed by every guard; false if the run must end instead. */
    async mayStart(): Promise<boolean> {
      for (;;) {
        if (st.stoppedBy) return false;
        if (sent >= o.guards.maxRequests) return (stop(st, `guard: maxRequests ${o.guards.maxRequests}`), false);
        const now = performance.now();
        if (now >= st.shapeEnd) return (stop(st, 'duration'), false);
        const wait = Math.max(limiter.waitMs(now), st.pausedUntil - now);
        if (wait === 0) break;
        await sleep(Math.min(wait, st.shapeEnd - now) + 0.1);
      }
      limiter.record(performance.now());
      sent += 1;
      return true;
    },
  };
}
type Gate = ReturnType<typeof sendGate>;

/** Sends one request and records what came back (or that nothing did) on its route and its second. */
function requestSender(st: RunState, pool: Pool, origin: string, prefix: string) {
  const { o } = st;
  // Every request carries a W3C traceparent of its own: a slow one can be found in the logs.
  const tracePrefix = randomBytes(8).toString('hex');
  let traces = 0;
  let tickets = 0;
  return async (spec: RequestSpec, intended: number) => {
    const route = (st.routes[spec.route] ??= newRoute());
    const ticket = ++tickets;
    st.pending.set(ticket, { route: spec.route, since: performance.now() });
    const n = (++traces).toString(16).padStart(16, '0');
    const headers = { traceparent: `00-${tracePrefix}${n}-${n}-01`, ...spec.headers };
    const actual = performance.now();
    let failure: string | undefined;
    let status: number | null = null;
    let requestId: string | null = null;
    try {
      const res = await pool.request({
        origin,
        method: spec.method ?? 'GET',
        path: prefix + spec.path,
        headers,
        body: spec.body,
        signal: st.controller.signal,
        headersTimeout: o.requestTimeoutMs ?? 30_000,
        bodyTimeout: o.requestTimeoutMs ?? 30_000,
      });
      let bytes = 0;
      for await (const chunk of res.body) bytes += (chunk as Buffer).length;
      const done = performance.now();
      recordMs(route.latency, done - intended);
      const sec = secondAt(st, done);
      sec.requests += 1;
      recordMs(sec.latency, done - intended);
      if (res.statusCode === 429 || res.statusCode === 503) {
        sec.throttled += 1;
        // Retry-After (seconds): the backend asked everyone to wait; so does every virtual user.
        const after = Number(res.headers['retry-after']);
        if (Number.isFinite(after) && after > 0) st.pausedUntil = Math.max(st.pausedUntil, done + Math.min(after, 60) * 1000);
      }
      recordMs(route.service, done - actual);
      route.bytes += bytes;
      route.maxBytes = Math.max(route.maxBytes, bytes);
      recordEvidence(route.evidence, { status: res.statusCode, headers: res.headers });
      route.statuses[res.statusCode] = (route.statuses[res.statusCode] ?? 0) + 1;
      status = res.statusCode;
      requestId = typeof res.headers['x-request-id'] === 'string' ? res.headers['x-request-id'] : null;
      o.observe?.(spec, { status: res.statusCode, headers: res.headers });
      if (res.statusCode >= 500) failure = '5xx';
      else if (res.statusCode >= 400) failure = `4xx:${res.statusCode}`;
    } catch (e) {
      if (st.controller.signal.aborted) return void st.pending.delete(ticket); // cut off by the runtime or stall guard: not a result
      const code = (e as { code?: string }).code;
      failure = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' ? 'timeout' : 'network';
      recordMs(route.latency, performance.now() - intended);
      recordMs(route.service, performance.now() - actual);
    }
    st.pending.delete(ticket);
    st.lastCompletion = performance.now();
    route.requests += 1;
    keepSlowest(route.slowest, { route: spec.route, ms: +(performance.now() - intended).toFixed(3), status, traceId: headers.traceparent.split('-')[1]!, requestId });
    if (failure) {
      secondAt(st, performance.now()).errors += 1;
      route.errors += 1;
      route.errorsByClass[failure] = (route.errorsByClass[failure] ?? 0) + 1;
    }
    const reason = o.abortIf?.();
    if (reason) stop(st, `abort: ${reason}`);
  };
}
type Send = ReturnType<typeof requestSender>;

/** Closed model: each virtual user sends its next request when its last one answered. */
async function driveClosed(st: RunState, concurrency: number, gate: Gate, send: Send): Promise<void> {
  const users = Array.from({ length: concurrency }, async () => {
    while (await gate.mayStart()) {
      await gate.acquireSlot();
      const intended = performance.now();
      await send(st.o.next(), intended).finally(gate.releaseSlot);
    }
  });
  await Promise.all(users);
}

/** Open model: requests start on a schedule at the target rate, whatever the backend's pace. */
async function driveOpen(st: RunState, rate: number, gate: Gate, send: Send): Promise<void> {
  const inflight = new Set<Promise<void>>();
  const interval = 1000 / Math.min(rate, st.o.guards.maxRps);
  for (let i = 0; ; i++) {
    const intended = st.startedAt + i * interval;
    const ahead = intended - performance.now();
    if (ahead > 1) await sleep(ahead - 1);
    while (performance.now() < intended) await new Promise((r) => setImmediate(r));
    if (!(await gate.mayStart())) break;
    // A late start still counts from its intended time: that is the whole point.
    await gate.acquireSlot();
    if (st.stoppedBy) {
      gate.releaseSlot();
      break;
    }
    const p = send(st.o.next(), intended).finally(() => {
      gate.releaseSlot();
      inflight.delete(p);
    });
    inflight.add(p);
  }
  await Promise.all(inflight);
}

export async function runLoad(o: EngineOptions): Promise<RunResult> {
  validate(o);
  const { origin, prefix } = splitBaseUrl(o.baseUrl);
  const pool = new Pool(origin, { connections: o.connections, pipelining: 1, keepAliveTimeout: 10_000 });
  const startedAt = performance.now();
  const st: RunState = {
    o,
    routes: {},
    timeline: [],
    warnings: [],
    startedAt,
    shapeEnd: startedAt + o.shape.durationMs,
    controller: new AbortController(),
    pausedUntil: 0,
    pending: new Map(),
    lastCompletion: startedAt,
  };
  // Every request listens on this one signal: as many listeners as requests in flight.
  setMaxListeners(0, st.controller.signal);
  const runtimeEnd = startedAt + o.guards.maxRuntimeMs;
  const runtimeTimer = setTimeout(() => {
    stop(st, `guard: maxRuntimeMs ${o.guards.maxRuntimeMs}`);
    st.controller.abort();
  }, o.guards.maxRuntimeMs);
  const unwatch = watchEverySecond(st);
  const gate = sendGate(st);
  const send = requestSender(st, pool, origin, prefix);
  try {
    if (o.shape.model === 'closed') await driveClosed(st, o.shape.concurrency, gate, send);
    else await driveOpen(st, o.shape.rate, gate, send);
  } finally {
    clearTimeout(runtimeTimer);
    unwatch();
    if (performance.now() > runtimeEnd) st.controller.abort();
    await pool.close().catch(() => {});
  }
  const requests = Object.values(st.routes).reduce((a, r) => a + r.requests, 0);
  for (const s of st.timeline) s.p95 = percentileMs(s.latency, 95);
  if (st.stall) throw st.stall;
  return { routes: st.routes, timeline: st.timeline, warnings: st.warnings, requests, stoppedBy: st.stoppedBy ?? 'duration', wallMs: performance.now() - startedAt, startedAt };
}
