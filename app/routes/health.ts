/** Liveness plus what the harness checks before a run: the database answers, the schema version. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { latestSchemaVersion } from '../db/migrate.js';

const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get(
    '/healthz',
    {
      schema: {
        response: {
          200: Type.Object({ status: Type.Literal('ok'), schemaVersion: Type.Integer(), testEndpoints: Type.Boolean() }),
        },
      },
    },
    async () => {
      await fastify.db.query('SELECT 1');
      return { status: 'ok' as const, schemaVersion: latestSchemaVersion(), testEndpoints: fastify.hasRoute({ method: 'POST', url: '/internal/test/cleanup' }) };
    },
  );
};
export default routes;
