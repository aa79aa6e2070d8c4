import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { notFound } from '../../errors.js';
import { itemExists } from '../../sql/items.js';
import * as sql from '../../sql/attachments.js';
import { Attachment, errors, IdParams } from '../schemas.js';

/** Attachment metadata only: the bytes live in object storage, which this app does not model. */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post(
    '/items/:id/attachments',
    {
      schema: {
        params: IdParams,
        body: Type.Object(
          {
            filename: Type.String({ minLength: 1, maxLength: 255, pattern: '^[^/\\\\]+$' }),
            contentType: Type.String({ pattern: '^[a-z]+/[a-zA-Z0-9.+-]+$', maxLength: 100 }),
            sizeBytes: Type.Integer({ minimum: 0, maximum: 5 * 1024 ** 3 }),
          },
          { additionalProperties: false },
        ),
        response: { 201: Attachment, ...errors(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const row = await sql.createAttachment(fastify.db, request.account.id, request.params.id, request.body);
      if (!row) throw notFound('item', request.params.id);
      reply.code(201);
      return row;
    },
  );

  fastify.get('/items/:id/attachments', { schema: { params: IdParams, response: { 200: Type.Object({ data: Type.Array(Attachment) }), ...errors(400, 401, 404) } } }, async (request) => {
    if (!(await itemExists(fastify.db, request.account.id, request.params.id))) throw notFound('item', request.params.id);
    return { data: await sql.listAttachments(fastify.db, request.params.id) };
  });
};
export default routes;
