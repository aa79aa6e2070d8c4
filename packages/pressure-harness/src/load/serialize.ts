/**
 * Route metrics as JSON and back, histograms encoded (HdrHistogram's compressed base64): what a
 * scenario's result file keeps, so that results of several shards can be merged exactly, by
 * adding histograms, never by averaging percentiles.
 */
import type { RouteMetrics, SlowRequest } from './engine.js';
import { deserializeEvidence, type SerializedEvidence, serializeEvidence } from '../metrics/evidence.js';
import { decode, encode } from './histogram.js';

export type SerializedRoute = Omit<RouteMetrics, 'latency' | 'service' | 'evidence'> & { latency: string; service: string; evidence: Record<string, SerializedEvidence> };

export function serializeRoute(m: RouteMetrics): SerializedRoute {
  return { ...m, latency: encode(m.latency), service: encode(m.service), evidence: serializeEvidence(m.evidence) };
}

export function deserializeRoute(s: SerializedRoute): RouteMetrics {
  return { ...s, slowest: (s.slowest ?? []) as SlowRequest[], latency: decode(s.latency), service: decode(s.service), evidence: deserializeEvidence(s.evidence) };
}
