/**
 * The dashboard in a fixed number of queries, whatever the account's size: one for the
 * projects with their item counts, one for every project's recent items (LATERAL), one for the
 * account's recent comments. An account with 1,000 projects costs the same three round trips
 * as one with a single project.
 */
import type { Queryable } from './db.js';
import type { ItemState } from './items.js';

export type DashboardProject = {
  id: string;
  name: string;
  updatedAt: string;
  itemCounts: { draft: number; published: number; archived: number; total: number };
  recentItems: { id: string; title: string; state: ItemState; createdAt: string }[];
};

export async function loadDashboard(db: Queryable, accountId: string, opts: { projects: number; recentItems: number; recentComments: number }) {
  const projects = await db.query<{
    id: string;
    name: string;
    updatedAt: string;
    draft: number;
    published: number;
    archived: number;
    totalProjects: number;
  }>(
    `SELECT p.id::text, p.name, p.updated_at AS "updatedAt",
            c.draft, c.published, c.archived, count(*) OVER ()::int AS "totalProjects"
       FROM projects p
       CROSS JOIN LATERAL (
         SELECT count(*) FILTER (WHERE state = 'draft')::int AS draft,
                count(*) FILTER (WHERE state = 'published')::int AS published,
                count(*) FILTER (WHERE state = 'archived')::int AS archived
           FROM items i WHERE i.project_id = p.id) c
      WHERE p.account_id = $1
      ORDER BY p.updated_at DESC, p.id DESC
      LIMIT $2`,
    [accountId, opts.projects],
  );
  const ids = projects.rows.map((p) => p.id);

  // Run even for an empty account, so the query count is the same for every account.
  const recent = await db.query<{ projectId: string; id: string; title: string; state: ItemState; createdAt: string }>(
        `SELECT pid::text AS "projectId", i.id::text, i.title, i.state, i.created_at AS "createdAt"
           FROM unnest($1::bigint[]) AS pid
           CROSS JOIN LATERAL (
             SELECT id, title, state, created_at FROM items
              WHERE project_id = pid ORDER BY created_at DESC, id DESC LIMIT $2) i`,
        [ids, opts.recentItems],
      );

  const comments = await db.query<{ id: string; itemId: string; author: string; excerpt: string; createdAt: string }>(
    `SELECT id::text, item_id::text AS "itemId", author, left(body, 200) AS excerpt, created_at AS "createdAt"
       FROM comments WHERE account_id = $1
      ORDER BY created_at DESC, id DESC LIMIT $2`,
    [accountId, opts.recentComments],
  );

  const byProject = new Map<string, DashboardProject['recentItems']>();
  for (const { projectId, ...item } of recent.rows) {
    const list = byProject.get(projectId) ?? [];
    list.push(item);
    byProject.set(projectId, list);
  }
  return {
    totalProjects: projects.rows[0]?.totalProjects ?? 0,
    projects: projects.rows.map(
      (p): DashboardProject => ({
        id: p.id,
        name: p.name,
        updatedAt: p.updatedAt,
        itemCounts: { draft: p.draft, published: p.published, archived: p.archived, total: p.draft + p.published + p.archived },
        recentItems: byProject.get(p.id) ?? [],
      }),
    ),
    recentComments: comments.rows,
  };
}
