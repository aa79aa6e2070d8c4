/**
 * Guards /internal/test/*: only loopback callers that present the service token get through.
 * Anything else gets the very 404 an unknown route gets, so the endpoints cannot be discovered.
 * Every call is written to audit_log after the response has left, but for refused callers from
 * outside loopback: those are counted, and written at most once a minute per address, with how
 * many calls the row stands for: a scanner's thousands of refused calls a second (6,765 rows in
 * 5 s, kept 14 days) must not write as fast as it can send.
 *
 * Register this inside the encapsulated context of the internal routes, never at the root.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import fp from 'fastify-plugin';
import { AppError } from '../../errors.js';

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;

export function isLoopback(address: string | undefined): boolean {
  return address !== undefined && LOOPBACK.test(address);
}

/** Constant time whatever the inputs' lengths: both sides are hashed to 32 bytes first. */
export function tokenMatches(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

declare module 'fastify' {
  interface FastifyRequest {
    auditRunId?: string;
    auditDetail?: Record<string, unknown>;
    auditRefused?: string;
  }
}

/** One row per caller and reason per window; the calls in between are counted into the next one. */
export function refusalLedger(windowMs = 60_000, now = () => Date.now()) {
  const seen = new Map<string, { since: number; suppressed: number }>();
  return (remote: string, reason: string): { write: boolean; suppressed: number } => {
    const key = `${remote}|${reason}`;
    const t = now();
    const e = seen.get(key);
    if (e && t - e.since < windowMs) {
      e.suppressed++;
      return { write: false, suppressed: 0 };
    }
    seen.set(key, { since: t, suppressed: 0 });
    // A bounded map: callers gone for a window are forgotten.
    if (seen.size > 10_000) for (const [k, v] of seen) if (t - v.since >= windowMs) seen.delete(k);
    return { write: true, suppressed: e?.suppressed ?? 0 };
  };
}

export default fp<{ serviceToken: string }>(
  async (fastify, opts) => {
    const refusals = refusalLedger();
    fastify.addHook('onRequest', async (request) => {
      const remote = request.socket.remoteAddress;
      const refused = !isLoopback(remote) ? 'not loopback' : !tokenMatches(request.headers['x-test-service-token'], opts.serviceToken) ? 'missing or wrong service token' : undefined;
      if (refused) {
        request.auditRefused = refused;
        throw new AppError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`);
      }
    });

    fastify.addHook('onResponse', async (request, reply) => {
      if (request.auditRefused === 'not loopback') {
        const r = refusals(request.socket.remoteAddress ?? 'unknown', request.auditRefused);
        if (!r.write) return;
        if (r.suppressed) request.auditDetail = { ...request.auditDetail, refusedSinceLastRow: r.suppressed };
      }
      const runId = request.auditRunId ?? (request.query as { runId?: string } | undefined)?.runId;
      await fastify.db
        .query(
          `INSERT INTO audit_log (method, route, outcome, remote_addr, run_id, request_id, detail)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [
            request.method,
            request.routeOptions.url ?? request.url.split('?')[0],
            request.auditRefused ? `refused: ${request.auditRefused}` : `status ${reply.statusCode}`,
            request.socket.remoteAddress ?? 'unknown',
            typeof runId === 'string' ? runId.slice(0, 64) : null,
            request.id,
            JSON.stringify(request.auditDetail ?? {}),
          ],
        )
        .catch((e: Error) => request.log.error({ err: e }, 'audit_log write failed'));
    });
  },
  { name: 'internal-guard', dependencies: ['db'] },
);
