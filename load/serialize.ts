/**
 * Route metrics as JSON and back, histograms encoded (HdrHistogram's compressed base64): what a
 * scenario's result file keeps, so that results of several shards can be merged exactly, by
 * adding histograms, never by averaging percentiles.
 */
import type { RouteMetrics, SlowRequest } from './engine.js';
import { decode, encode } from './histogram.js';

export type SerializedRoute = Omit<RouteMetrics, 'latency' | 'service' | 'dbMs' | 'lockMs'> & { latency: string; service: string; dbMs: string; lockMs: string };

export function serializeRoute(m: RouteMetrics): SerializedRoute {
  return { ...m, latency: encode(m.latency), service: encode(m.service), dbMs: encode(m.dbMs), lockMs: encode(m.lockMs) };
}

export function deserializeRoute(s: SerializedRoute): RouteMetrics {
  return { ...s, slowest: (s.slowest ?? []) as SlowRequest[], latency: decode(s.latency), service: decode(s.service), dbMs: decode(s.dbMs), lockMs: decode(s.lockMs) };
}
