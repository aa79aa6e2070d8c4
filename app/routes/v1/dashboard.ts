import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { loadDashboard } from '../../sql/dashboard.js';
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
  recentComments: Type.Array(
    Type.Object({ id: Type.String(), itemId: Type.String(), author: Type.String(), excerpt: Type.String(), createdAt: DateTime }),
  ),
});

const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get(
    '/dashboard',
    {
      schema: {
        querystring: Type.Object({ projects: Limit(100, 20) }, { additionalProperties: false }),
        response: { 200: Dashboard, ...errors(400, 401) },
      },
    },
    async (request) => loadDashboard(fastify.db, request.account.id, { projects: request.query.projects, recentItems: 3, recentComments: 10 }),
  );
};
export default routes;
