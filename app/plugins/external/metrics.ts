/**
 * Prometheus metrics at GET /metrics (prom-client): what the load engine samples during a run to
 * see the backend from the inside. Request durations and queries per request by route template,
 * the pool's connections and waiting clients, requests in flight, and the process's own metrics
 * (memory, event-loop lag) that a soak run watches for drift.
 */
import fp from 'fastify-plugin';
import client from 'prom-client';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: client.Registry;
  }
}

export default fp(
  async (fastify) => {
    const registry = new client.Registry();
    client.collectDefaultMetrics({ register: registry });
    const pool = fastify.db;
    const duration = new client.Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from the request to the response, by route template',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    const queries = new client.Histogram({
      name: 'db_queries_per_request',
      help: 'Database queries one request ran, by route template',
      labelNames: ['route'],
      buckets: [0, 1, 2, 3, 4, 6, 8, 12, 20, 50, 100],
      registers: [registry],
    });
    const inFlight = new client.Gauge({ name: 'http_requests_in_flight', help: 'Requests being served', registers: [registry] });
    new client.Gauge({
      name: 'db_pool_total_connections',
      help: 'Connections the pool holds',
      registers: [registry],
      collect() {
        this.set(pool.totalCount);
      },
    });
    // The pool's configured size: what `pressure parity --against-metrics` compares with production's.
    new client.Gauge({
      name: 'db_pool_max_connections',
      help: 'Connections the pool may hold',
      registers: [registry],
      collect() {
        this.set(pool.options.max ?? 10);
      },
    });
    new client.Gauge({
      name: 'db_pool_idle_connections',
      help: 'Idle connections in the pool',
      registers: [registry],
      collect() {
        this.set(pool.idleCount);
      },
    });
    new client.Gauge({
      name: 'db_pool_waiting_clients',
      help: 'Requests waiting for a connection',
      registers: [registry],
      collect() {
        this.set(pool.waitingCount);
      },
    });

    fastify.decorate('metrics', registry);
    // In flight until the response is finished or its connection is gone: a client that aborts
    // gets no onResponse, and counting down there alone leaked one request per abort.
    fastify.addHook('onRequest', async (_request, reply) => {
      inFlight.inc();
      reply.raw.once('close', () => inFlight.dec());
    });
    fastify.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      // The test endpoints are not measured: their routes would tell any caller of /metrics they exist.
      if (route.startsWith('/internal/')) return;
      duration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
      if (request.dbStats) queries.observe({ route }, request.dbStats.queries);
    });
    fastify.get('/metrics', async (_request, reply) => {
      reply.header('content-type', registry.contentType);
      return registry.metrics();
    });
  },
  { name: 'metrics', dependencies: ['db', 'request-metrics'] },
);
