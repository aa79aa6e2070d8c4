/**
 * W3C trace context for one request: join the caller's trace when `traceparent` is valid,
 * start a new one otherwise. Memoised on the raw request so logs and headers agree.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export type Trace = { traceId: string; parentId: string | null; spanId: string };

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;
const KEY = Symbol('trace');

export function parseTraceparent(header: unknown): { traceId: string; parentId: string } | null {
  if (typeof header !== 'string') return null;
  const m = TRACEPARENT.exec(header.trim());
  if (!m || /^0+$/.test(m[1]!) || /^0+$/.test(m[2]!)) return null; // all-zero ids are invalid
  return { traceId: m[1]!, parentId: m[2]! };
}

export function traceOf(raw: IncomingMessage): Trace {
  const cached = (raw as IncomingMessage & { [KEY]?: Trace })[KEY];
  if (cached) return cached;
  const parent = parseTraceparent(raw.headers.traceparent);
  const trace: Trace = {
    traceId: parent?.traceId ?? randomBytes(16).toString('hex'),
    parentId: parent?.parentId ?? null,
    spanId: randomBytes(8).toString('hex'),
  };
  (raw as IncomingMessage & { [KEY]?: Trace })[KEY] = trace;
  return trace;
}
