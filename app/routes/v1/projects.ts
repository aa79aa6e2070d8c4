import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { checkCurrent, conditionalDelete, preconditions, requiredVersion, versionConflict } from '../preconditions.js';
import { setTimeout } from 'node:timers/promises';
import { Type } from 'typebox';
import { notFound } from '../../errors.js';
import * as sql from '../../sql/projects.js';
import { Conditional, errors, Id, IdParams, Limit, Project } from '../schemas.js';

const Name = Type.String({ minLength: 1, maxLength: 200 });
const Description = Type.String({ maxLength: 5000 });

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
        headers: Conditional,
        body: Type.Object({ name: Type.Optional(Name), description: Type.Optional(Description) }, { additionalProperties: false, minProperties: 1 }),
        response: { 200: Project, ...errors(400, 401, 404, 409, 412) },
      },
    },
    async (request, reply) => {
      const p = preconditions(request.headers, 'project');
      await checkCurrent(p, 'project', request.params.id, () => sql.getProject(fastify.db, request.account.id, request.params.id));
      const version = requiredVersion(p);
      const result = opts.lockContention
        ? await sql.updateProjectHoldingLock(fastify.db, request.account.id, request.params.id, request.body, version, () => setTimeout(opts.slowCallMs))
        : opts.serializable
          ? await sql.updateProjectSerializable(fastify.db, request.account.id, request.params.id, request.body, version)
          : await sql.updateProject(fastify.db, request.account.id, request.params.id, request.body, version);
      if (!result) throw notFound('project', request.params.id);
      if ('conflict' in result) throw versionConflict('project', request.params.id, result.conflict, version!);
      reply.header('etag', `"${result.row.version}"`);
      return result.row;
    },
  );

  fastify.delete('/projects/:id', { schema: { params: IdParams, headers: Conditional, response: { 204: Type.Null(), ...errors(400, 401, 404, 409, 412) } } }, async (request, reply) => {
    const { id } = request.params;
    await conditionalDelete(
      request.headers,
      'project',
      id,
      () => sql.getProject(fastify.db, request.account.id, id),
      (version) => sql.deleteProject(fastify.db, request.account.id, id, version),
    );
    reply.code(204);
    return null;
  });
};
export default routes;
