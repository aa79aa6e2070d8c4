/**
 * Closed-model load: `concurrency` virtual users, each sending its next request as soon as the
 * previous one answered, until `requests` have been sent or `maxDurationMs` has passed,
 * whichever comes first. Bounded in count and time, so it always stops by itself.
 *
 * Each sample keeps what the backend contract reports per response, so budgets can be checked
 * on latency, queries per request, bytes and errors from one run.
 */
import { performance } from 'node:perf_hooks';
import pLimit from 'p-limit';
import { createHistogram, type Histogram, recordMs } from './histogram.js';

export type Sample = { status: number; bytes: number; dbQueries: number | null; dbMs: number | null };

export type ScenarioMetrics = {
  latency: Histogram;
  dbQueries: Histogram;
  requests: number;
  errors: number;
  /** Errors by class: `4xx:404`, `5xx`, `network`. */
  errorsByClass: Record<string, number>;
  bytes: number;
  maxBytes: number;
  maxQueries: number;
  wallMs: number;
};

export type ClosedOptions = {
  concurrency: number;
  requests: number;
  maxDurationMs: number;
  send: () => Promise<Sample>;
};

export async function runClosed(o: ClosedOptions): Promise<ScenarioMetrics> {
  if (!(o.concurrency >= 1 && o.requests >= 1 && o.maxDurationMs > 0)) {
    throw new Error(`runClosed: concurrency and requests must be at least 1 and maxDurationMs above 0, got ${JSON.stringify({ ...o, send: undefined })}`);
  }
  const m: ScenarioMetrics = { latency: createHistogram(), dbQueries: createHistogram(), requests: 0, errors: 0, errorsByClass: {}, bytes: 0, maxBytes: 0, maxQueries: 0, wallMs: 0 };
  const limit = pLimit(o.concurrency);
  const started = performance.now();
  const deadline = started + o.maxDurationMs;
  const one = async () => {
    if (performance.now() > deadline) return;
    const t0 = performance.now();
    let sample: Sample | undefined;
    let failure: string | undefined;
    try {
      sample = await o.send();
    } catch {
      failure = 'network';
    }
    recordMs(m.latency, performance.now() - t0);
    m.requests += 1;
    if (sample) {
      m.bytes += sample.bytes;
      m.maxBytes = Math.max(m.maxBytes, sample.bytes);
      if (sample.dbQueries !== null) {
        m.dbQueries.recordValue(Math.max(1, sample.dbQueries));
        m.maxQueries = Math.max(m.maxQueries, sample.dbQueries);
      }
      if (sample.status >= 500) failure = '5xx';
      else if (sample.status >= 400) failure = `4xx:${sample.status}`;
    }
    if (failure) {
      m.errors += 1;
      m.errorsByClass[failure] = (m.errorsByClass[failure] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: o.requests }, () => limit(one)));
  m.wallMs = performance.now() - started;
  return m;
}
