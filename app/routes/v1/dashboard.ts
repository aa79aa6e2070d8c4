import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { loadActivityFragment, loadProjectsFragment } from '../../sql/dashboard.js';
import { DateTime, errors, ItemState, Limit } from '../schemas.js';

const Dashboard = Type.Object({
  totalProjects: Type.Integer(),
  projects: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      updatedAt: DateTime,
      itemCounts: Type.Object({ draft: Type.Integer(), published: Type.Integer(), archived: Type.Integer(), total: Type.Integer() }),
      recentItems: Type.Array(Type.Object({ id: Type.String(), title: Type.String(), state: ItemState, createdAt: DateTime })),
    }),
  ),
  recentComments: Type.Array(Type.Object({ id: Type.String(), itemId: Type.String(), author: Type.String(), excerpt: Type.String(), createdAt: DateTime })),
});

const routes: FastifyPluginAsyncTypebox<{ nPlusOne: boolean }> = async (fastify, opts) => {
  fastify.get(
    '/dashboard',
    {
      schema: {
        querystring: Type.Object({ projects: Limit(100, 20) }, { additionalProperties: false }),
        response: { 200: Dashboard, ...errors(400, 401) },
      },
    },
    async (request) => {
      const account = request.account.id;
      const limit = request.query.projects;
      // One after the other: a request holds at most one pooled connection at a time.
      const projects = await fastify.fragmentCache.fragment(request, account, 'projects', String(limit), () =>
        loadProjectsFragment(fastify.db, account, { projects: limit, recentItems: 3, nPlusOne: opts.nPlusOne }),
      );
      const activity = await fastify.fragmentCache.fragment(request, account, 'activity', '10', () => loadActivityFragment(fastify.db, account, { recentComments: 10 }));
      return { ...projects, ...activity };
    },
  );
};
export default routes;
