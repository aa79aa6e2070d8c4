import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { errors } from '../schemas.js';

const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get(
    '/me',
    {
      schema: {
        response: { 200: Type.Object({ id: Type.String(), name: Type.String(), email: Type.String() }), ...errors(401) },
      },
    },
    async (request) => request.account,
  );
};
export default routes;
