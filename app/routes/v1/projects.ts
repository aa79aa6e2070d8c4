import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { setTimeout } from 'node:timers/promises';
import { Type } from 'typebox';
import { AppError, notFound } from '../../errors.js';
import * as sql from '../../sql/projects.js';
import { errors, Id, IdParams, Limit, Project } from '../schemas.js';

const Name = Type.String({ minLength: 1, maxLength: 200 });
const Description = Type.String({ maxLength: 5000 });

/** `If-Match: "3"` (or 3): the version the client last saw. */
function expectedVersion(header: string | undefined): number | null {
  if (header === undefined) return null;
  // If-Match compares strongly (RFC 9110 §13.1.1): a weak tag never matches, so it is refused, not honoured.
  if (/^\s*W\//.test(header)) throw new AppError('VALIDATION_FAILED', `If-Match must be a strong entity tag such as "3"; a weak one (${JSON.stringify(header)}) never matches`);
  const m = /^"?(\d{1,9})"?$/.exec(header.trim());
  if (!m) throw new AppError('VALIDATION_FAILED', `If-Match must be a project version such as "3", got ${JSON.stringify(header)}`);
  return Number(m[1]);
}

const routes: FastifyPluginAsyncTypebox<{ lockContention: boolean; serializable: boolean; slowCallMs: number }> = async (fastify, opts) => {
  fastify.post(
    '/projects',
    {
      schema: {
        body: Type.Object({ name: Name, description: Type.Optional(Description) }, { additionalProperties: false }),
        response: { 201: Project, ...errors(400, 401) },
      },
    },
    async (request, reply) => {
      reply.code(201);
      return sql.createProject(fastify.db, request.account.id, request.body);
    },
  );

  fastify.get(
    '/projects',
    {
      schema: {
        querystring: Type.Object({ limit: Limit(100, 20), after: Type.Optional(Id) }, { additionalProperties: false }),
        response: { 200: Type.Object({ data: Type.Array(Project), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errors(400, 401) },
      },
    },
    async (request) => {
      const rows = await sql.listProjects(fastify.db, request.account.id, request.query.limit, request.query.after ?? null);
      return { data: rows, nextCursor: rows.length === request.query.limit ? rows.at(-1)!.id : null };
    },
  );

  fastify.get('/projects/:id', { schema: { params: IdParams, response: { 200: Project, ...errors(400, 401, 404) } } }, async (request) => {
    const row = await sql.getProject(fastify.db, request.account.id, request.params.id);
    if (!row) throw notFound('project', request.params.id);
    return row;
  });

  fastify.patch(
    '/projects/:id',
    {
      schema: {
        params: IdParams,
        headers: Type.Object({ 'if-match': Type.Optional(Type.String()) }),
        body: Type.Object({ name: Type.Optional(Name), description: Type.Optional(Description) }, { additionalProperties: false, minProperties: 1 }),
        response: { 200: Project, ...errors(400, 401, 404, 409) },
      },
    },
    async (request, reply) => {
      const version = expectedVersion(request.headers['if-match']);
      const result = opts.lockContention
        ? await sql.updateProjectHoldingLock(fastify.db, request.account.id, request.params.id, request.body, version, () => setTimeout(opts.slowCallMs))
        : opts.serializable
          ? await sql.updateProjectSerializable(fastify.db, request.account.id, request.params.id, request.body, version)
          : await sql.updateProject(fastify.db, request.account.id, request.params.id, request.body, version);
      if (!result) throw notFound('project', request.params.id);
      if ('conflict' in result) {
        throw new AppError(
          'VERSION_CONFLICT',
          `project ${request.params.id} is at version ${result.conflict}, not ${version}: reload it and retry`,
          { currentVersion: result.conflict },
          // The current version, so a client can retry without another read.
          { etag: `"${result.conflict}"` },
        );
      }
      reply.header('etag', `"${result.row.version}"`);
      return result.row;
    },
  );

  fastify.delete('/projects/:id', { schema: { params: IdParams, response: { 204: Type.Null(), ...errors(400, 401, 404) } } }, async (request, reply) => {
    if (!(await sql.deleteProject(fastify.db, request.account.id, request.params.id))) throw notFound('project', request.params.id);
    reply.code(204);
    return null;
  });
};
export default routes;
