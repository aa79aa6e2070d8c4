/**
 * Per-request evidence the harness reads from every response:
 *   X-DB-Query-Count  queries this request ran (counted by the instrumented pool)
 *   Server-Timing     db;dur=<ms spent in queries>, total;dur=<ms until the reply was sent>,
 *                     lock;dur=<ms taking a contended row lock> where the route takes one
 *   X-Request-Id      the request's id (the caller's, if it sent a valid one)
 *   traceresponse     W3C trace context: the trace this request joined, for finding its logs
 */
import { performance } from 'node:perf_hooks';
import fp from 'fastify-plugin';
import { type DbStats, dbStatsContext } from '../../db/pool.js';
import { traceOf } from '../../trace.js';

declare module 'fastify' {
  interface FastifyRequest {
    dbStats: DbStats;
    startedAt: number;
  }
}

export default fp(
  async (fastify) => {
    fastify.decorateRequest('dbStats', null as unknown as DbStats);
    fastify.decorateRequest('startedAt', 0);

    fastify.addHook('onRequest', (request, _reply, done) => {
      request.startedAt = performance.now();
      const stats: DbStats = { queries: 0, dbMs: 0 };
      request.dbStats = stats;
      // Run the rest of the lifecycle inside the context, so every query finds these stats.
      dbStatsContext.run(stats, done);
    });

    fastify.addHook('onSend', async (request, reply) => {
      const { queries, dbMs, lockMs } = request.dbStats;
      const total = performance.now() - request.startedAt;
      const trace = traceOf(request.raw);
      reply.header('x-db-query-count', String(queries));
      reply.header('server-timing', `db;dur=${dbMs.toFixed(2)}, total;dur=${total.toFixed(2)}${lockMs === undefined ? '' : `, lock;dur=${lockMs.toFixed(2)}`}`);
      reply.header('x-request-id', request.id);
      reply.header('traceresponse', `00-${trace.traceId}-${trace.spanId}-01`);
    });
  },
  { name: 'request-metrics' },
);
