import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError, notFound } from '../../errors.js';
import { itemExists } from '../../sql/items.js';
import * as sql from '../../sql/comments.js';
import { Comment, errors, Id, IdParams, Limit } from '../schemas.js';

const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post(
    '/items/:id/comments',
    {
      schema: {
        params: IdParams,
        body: Type.Object({ body: Type.String({ minLength: 1, maxLength: 10_000 }), parentId: Type.Optional(Id) }, { additionalProperties: false }),
        response: { 201: Comment, ...errors(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const result = await sql.createComment(fastify.db, request.account, request.params.id, request.body);
      if ('missing' in result) {
        if (result.missing === 'item') throw notFound('item', request.params.id);
        throw new AppError('VALIDATION_FAILED', `body.parentId ${request.body.parentId} is not a comment on item ${request.params.id}`, {
          field: 'body.parentId',
        });
      }
      reply.code(201);
      return result.row;
    },
  );

  fastify.get(
    '/items/:id/comments',
    {
      schema: {
        params: IdParams,
        querystring: Type.Object({ limit: Limit(200, 50), after: Type.Optional(Id) }, { additionalProperties: false }),
        response: { 200: Type.Object({ data: Type.Array(Comment), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errors(400, 401, 404) },
      },
    },
    async (request) => {
      if (!(await itemExists(fastify.db, request.account.id, request.params.id))) throw notFound('item', request.params.id);
      const rows = await sql.listComments(fastify.db, request.params.id, request.query.limit, request.query.after ?? null);
      return { data: rows, nextCursor: rows.length === request.query.limit ? rows.at(-1)!.id : null };
    },
  );
};
export default routes;
