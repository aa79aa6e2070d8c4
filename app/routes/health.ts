/** Liveness plus what the harness checks before a run: the database answers, the schema version. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { latestSchemaVersion } from '../db/migrate.js';
import { isLoopback } from '../plugins/app/internal-guard.js';

const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  // Liveness without the database: also the trivial endpoint bench:driver measures clients on.
  fastify.get('/livez', { schema: { response: { 200: Type.Object({ status: Type.Literal('ok') }) } } }, async () => ({ status: 'ok' as const }));

  fastify.get(
    '/healthz',
    {
      schema: {
        response: {
          200: Type.Object({ status: Type.Literal('ok'), schemaVersion: Type.Integer(), database: Type.String(), testEndpoints: Type.Optional(Type.Boolean()) }),
        },
      },
    },
    async (request) => {
      // The database name lets the harness count rows in the very database this app serves. A
      // database that does not answer makes this a 503 (errors: "the database is unreachable").
      const { rows } = await fastify.db.query<{ db: string }>('SELECT current_database() AS db');
      // Whether test endpoints exist is told to loopback callers only, as the endpoints themselves are.
      const local = isLoopback(request.socket.remoteAddress);
      return {
        status: 'ok' as const,
        schemaVersion: latestSchemaVersion(),
        database: rows[0]!.db,
        ...(local && { testEndpoints: fastify.hasRoute({ method: 'POST', url: '/internal/test/cleanup' }) }),
      };
    },
  );
};
export default routes;
