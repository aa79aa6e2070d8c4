import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { checkCurrent, conditionalDelete, preconditions, requiredVersion, versionConflict } from '../preconditions.js';
import { Type } from 'typebox';
import { AppError, notFound } from '../../errors.js';
import { getProject } from '../../sql/projects.js';
import * as sql from '../../sql/items.js';
import { withOwnConnection, type Queryable } from '../../sql/db.js';
import { Body, Conditional, errors, IdParams, Item, ItemState, ItemSummary, Limit, Title } from '../schemas.js';

/** Cursors are opaque to clients: the last row's (created_at, id), or (fault only) an offset. */
export type PageCursor = sql.Cursor | { offset: number };

export function encodeCursor(c: PageCursor): string {
  return Buffer.from(JSON.stringify('offset' in c ? ['o', c.offset] : [c.createdAt, c.id])).toString('base64url');
}

/**
 * What this API puts in a cursor: PostgreSQL's own text of a timestamptz in UTC, microseconds at
 * most. Anything else (a date Date.parse accepts but PostgreSQL does not, like "1" or "March 7")
 * is a forged cursor, refused before it reaches the database.
 */
const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]00(:?00)?)$/;

/** A real calendar instant in PostgreSQL's range: 2024-02-30 rolls over in JavaScript, not in PostgreSQL. */
function isCursorTime(t: string): boolean {
  if (!CURSOR_TIME.test(t) || Number(t.slice(0, 4)) < 1) return false;
  const ms = Date.parse(t.replace(' ', 'T'));
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === t.slice(0, 10);
}

export function decodeCursor(raw: string, acceptOffsets = false): PageCursor {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown[];
    if (typeof createdAt === 'string' && isCursorTime(createdAt) && typeof id === 'string' && /^[1-9][0-9]{0,17}$/.test(id)) {
      return { createdAt, id };
    }
    if (acceptOffsets && createdAt === 'o' && Number.isSafeInteger(id) && (id as number) >= 0) return { offset: id as number };
  } catch {
    /* fall through to the error below */
  }
  throw new AppError('INVALID_CURSOR', 'after must be a nextCursor value returned by this endpoint');
}

/**
 * Listing walks a project's items newest first. Two ways, both public:
 *   ?after=<nextCursor>  keyset: each page starts where the last ended, on the index; page 500
 *                        costs what page 1 costs.
 *   ?page=<n>            OFFSET: skips (n-1)*limit rows to get there; page 500 reads 500 pages.
 *                        Offered because clients want to jump to a page; the perf project shows
 *                        what it costs.
 * APP_FAULTS=offset_pagination keeps the cursors but puts an OFFSET behind them.
 */
const routes: FastifyPluginAsyncTypebox<{ offsetCursors: boolean; fullRows: boolean; exactTotals: boolean; serialWrites: boolean; tenantConnection: boolean }> = async (fastify, opts) => {
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
      const row = await sql.createItem(fastify.db, request.account.id, request.params.id, request.body, opts.serialWrites);
      if (!row) throw notFound('project', request.params.id);
      // After the item committed: a worker must find it. (A crash in between loses the
      // follow-up work; an outbox table would close that gap, at one more write per item.)
      await fastify.jobs.itemCreated({ runId: request.account.testRunId, accountId: request.account.id, itemId: row.id, enqueuedAt: new Date().toISOString() });
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
          {
            limit: Limit(200, 50),
            after: Type.Optional(Type.String({ maxLength: 200 })),
            page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
            state: Type.Optional(ItemState),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            data: Type.Array(opts.fullRows ? Item : ItemSummary),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
            nextPage: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
            total: Type.Optional(Type.Integer()),
          }),
          ...errors(400, 401, 404),
        },
      },
    },
    async (request) => {
      const { limit, after, page, state } = request.query;
      if (after !== undefined && page !== undefined) {
        throw new AppError('VALIDATION_FAILED', 'querystring: give either after (keyset cursor) or page (offset paging), not both');
      }
      const cursor = after === undefined ? null : decodeCursor(after, opts.offsetCursors);
      const list = async (db: Queryable) => {
        if (!(await getProject(db, request.account.id, request.params.id))) throw notFound('project', request.params.id);
        const filter = { limit, state: state ?? null, full: opts.fullRows, total: opts.exactTotals };
        if (page !== undefined) {
          const rows = await sql.listItems(db, request.params.id, { ...filter, after: null, offset: (page - 1) * limit });
          return { data: rows.rows, nextCursor: null, nextPage: rows.more ? page + 1 : null, total: rows.total };
        }
        if (opts.offsetCursors) {
          const offset = cursor && 'offset' in cursor ? cursor.offset : 0;
          const rows = await sql.listItems(db, request.params.id, { ...filter, after: null, offset });
          return { data: rows.rows, nextCursor: rows.more ? encodeCursor({ offset: offset + limit }) : null, total: rows.total };
        }
        const rows = await sql.listItems(db, request.params.id, { ...filter, after: cursor as sql.Cursor | null });
        return { data: rows.rows, nextCursor: rows.next && encodeCursor(rows.next), total: rows.total };
      };
      return opts.tenantConnection ? withOwnConnection(fastify.db, request.account.id, list) : list(fastify.db);
    },
  );

  fastify.get('/items/:id', { schema: { params: IdParams, response: { 200: Item, ...errors(400, 401, 404) } } }, async (request, reply) => {
    const row = await sql.getItem(fastify.db, request.account.id, request.params.id);
    if (!row) throw notFound('item', request.params.id);
    reply.header('etag', `"${row.version}"`);
    return row;
  });

  fastify.patch(
    '/items/:id',
    {
      schema: {
        params: IdParams,
        headers: Conditional,
        body: Type.Object({ title: Type.Optional(Title), body: Type.Optional(Body), state: Type.Optional(ItemState) }, { additionalProperties: false, minProperties: 1 }),
        response: { 200: Item, ...errors(400, 401, 404, 409, 412) },
      },
    },
    async (request, reply) => {
      const p = preconditions(request.headers, 'item');
      await checkCurrent(p, 'item', request.params.id, () => sql.getItem(fastify.db, request.account.id, request.params.id));
      const result = await sql.updateItem(fastify.db, request.account.id, request.params.id, request.body, requiredVersion(p));
      if (!result) throw notFound('item', request.params.id);
      if ('conflict' in result) throw versionConflict('item', request.params.id, result.conflict, requiredVersion(p)!);
      if ('invalidFrom' in result) {
        const from = result.invalidFrom;
        const allowed = sql.TRANSITIONS[from];
        throw new AppError(
          'INVALID_TRANSITION',
          `item ${request.params.id} cannot move from ${from} to ${request.body.state}; ` + (allowed.length ? `from ${from} it can move to: ${allowed.join(', ')}` : `${from} is final`),
          { from, to: request.body.state, allowed },
        );
      }
      reply.header('etag', `"${result.row.version}"`);
      return result.row;
    },
  );

  fastify.delete('/items/:id', { schema: { params: IdParams, headers: Conditional, response: { 204: Type.Null(), ...errors(400, 401, 404, 409, 412) } } }, async (request, reply) => {
    const { id } = request.params;
    await conditionalDelete(
      request.headers,
      'item',
      id,
      () => sql.getItem(fastify.db, request.account.id, id),
      (version) => sql.deleteItem(fastify.db, request.account.id, id, version),
    );
    reply.code(204);
    return null;
  });
};
export default routes;
