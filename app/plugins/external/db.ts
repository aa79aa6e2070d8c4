/** The pg pool as `fastify.db`. The pool is created and ended by server.ts, which owns its life. */
import fp from 'fastify-plugin';
import type pg from 'pg';

declare module 'fastify' {
  interface FastifyInstance {
    db: pg.Pool;
  }
}

export default fp<{ pool: pg.Pool }>(
  async (fastify, opts) => {
    fastify.decorate('db', opts.pool);
  },
  { name: 'db' },
);
