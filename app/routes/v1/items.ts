import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError, notFound } from '../../errors.js';
import { getProject } from '../../sql/projects.js';
import * as sql from '../../sql/items.js';
import { Body, errors, IdParams, Item, ItemState, ItemSummary, Limit, Title } from '../schemas.js';

export function encodeCursor(c: sql.Cursor): string {
  return Buffer.from(JSON.stringify([c.createdAt, c.id])).toString('base64url');
}

export function decodeCursor(raw: string): sql.Cursor {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown[];
    if (typeof createdAt === 'string' && !Number.isNaN(Date.parse(createdAt)) && typeof id === 'string' && /^[1-9][0-9]{0,17}$/.test(id)) {
      return { createdAt, id };
    }
  } catch {
    /* fall through to the error below */
  }
  throw new AppError('INVALID_CURSOR', 'after must be a nextCursor value returned by this endpoint');
}

const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post(
    '/projects/:id/items',
    {
      schema: {
        params: IdParams,
        body: Type.Object({ title: Title, body: Type.Optional(Body) }, { additionalProperties: false }),
        response: { 201: Item, ...errors(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const row = await sql.createItem(fastify.db, request.account.id, request.params.id, request.body);
      if (!row) throw notFound('project', request.params.id);
      reply.code(201);
      return row;
    },
  );

  fastify.get(
    '/projects/:id/items',
    {
      schema: {
        params: IdParams,
        querystring: Type.Object(
          { limit: Limit(200, 50), after: Type.Optional(Type.String({ maxLength: 200 })), state: Type.Optional(ItemState) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ data: Type.Array(ItemSummary), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
          ...errors(400, 401, 404),
        },
      },
    },
    async (request) => {
      const { limit, after, state } = request.query;
      const cursor = after === undefined ? null : decodeCursor(after);
      if (!(await getProject(fastify.db, request.account.id, request.params.id))) throw notFound('project', request.params.id);
      const page = await sql.listItems(fastify.db, request.params.id, { limit, after: cursor, state: state ?? null });
      return { data: page.rows, nextCursor: page.next && encodeCursor(page.next) };
    },
  );

  fastify.get('/items/:id', { schema: { params: IdParams, response: { 200: Item, ...errors(400, 401, 404) } } }, async (request) => {
    const row = await sql.getItem(fastify.db, request.account.id, request.params.id);
    if (!row) throw notFound('item', request.params.id);
    return row;
  });

  fastify.patch(
    '/items/:id',
    {
      schema: {
        params: IdParams,
        body: Type.Object(
          { title: Type.Optional(Title), body: Type.Optional(Body), state: Type.Optional(ItemState) },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: Item, ...errors(400, 401, 404, 409) },
      },
    },
    async (request) => {
      const result = await sql.updateItem(fastify.db, request.account.id, request.params.id, request.body);
      if (!result) throw notFound('item', request.params.id);
      if ('invalidFrom' in result) {
        const from = result.invalidFrom;
        const allowed = sql.TRANSITIONS[from];
        throw new AppError(
          'INVALID_TRANSITION',
          `item ${request.params.id} cannot move from ${from} to ${request.body.state}; ` +
            (allowed.length ? `from ${from} it can move to: ${allowed.join(', ')}` : `${from} is final`),
          { from, to: request.body.state, allowed },
        );
      }
      return result.row;
    },
  );

  fastify.delete(
    '/items/:id',
    { schema: { params: IdParams, response: { 204: Type.Null(), ...errors(400, 401, 404) } } },
    async (request, reply) => {
      if (!(await sql.deleteItem(fastify.db, request.account.id, request.params.id))) throw notFound('item', request.params.id);
      reply.code(204);
      return null;
    },
  );
};
export default routes;
