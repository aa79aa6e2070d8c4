/**
 * The dashboard in a fixed number of queries, whatever the account's size: one for the
 * projects with their item counts, one for every project's recent items (LATERAL), one for the
 * account's recent comments. An account with 1,000 projects costs the same three round trips
 * as one with a single project. Two fragments, cached apart (plugins/app/cache.ts): projects
 * change with every write to them, activity with every comment.
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

export type ProjectsFragment = { totalProjects: number; projects: DashboardProject[] };
export type ActivityFragment = { recentComments: { id: string; itemId: string; author: string; excerpt: string; createdAt: string }[] };

/**
 * The page of projects first (LIMIT on the index projects_account_updated_idx), then the item
 * counts of those projects only, and the account's project count apart. Counting in a LATERAL
 * beside `count(*) OVER ()` made PostgreSQL count the items of every project of the account
 * before the LIMIT: a whale's cold dashboard read 338,954 blocks (2.6 GB) per call for a page
 * of 20 at SEED_PROFILE=large. Now its cost is bounded by the page, not by the account.
 */
export const PROJECTS_PAGE_SQL = `WITH page AS (
         SELECT id, name, updated_at FROM projects WHERE account_id = $1
          ORDER BY updated_at DESC, id DESC LIMIT $2)
     SELECT p.id::text, p.name, p.updated_at AS "updatedAt",
            c.draft, c.published, c.archived,
            (SELECT count(*) FROM projects WHERE account_id = $1)::int AS "totalProjects"
       FROM page p
       CROSS JOIN LATERAL (
         SELECT count(*) FILTER (WHERE state = 'draft')::int AS draft,
                count(*) FILTER (WHERE state = 'published')::int AS published,
                count(*) FILTER (WHERE state = 'archived')::int AS archived
           FROM items i WHERE i.project_id = p.id) c
      ORDER BY p.updated_at DESC, p.id DESC`;

/** Projects with their item counts and recent items: two queries, whatever the project count. */
export async function loadProjectsFragment(db: Queryable, accountId: string, opts: { projects: number; recentItems: number; nPlusOne?: boolean }): Promise<ProjectsFragment> {
  if (opts.nPlusOne) return loadProjectsOneByOne(db, accountId, opts);
  const projects = await db.query<{
    id: string;
    name: string;
    updatedAt: string;
    draft: number;
    published: number;
    archived: number;
    totalProjects: number;
  }>(PROJECTS_PAGE_SQL, [accountId, opts.projects]);
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

  const byProject = new Map<string, DashboardProject['recentItems']>();
  for (const { projectId, ...item } of recent.rows) {
    const list = byProject.get(projectId) ?? [];
    list.push(item);
    byProject.set(projectId, list);
  }
  return {
    totalProjects: projects.rows[0]?.totalProjects ?? 0,
    projects: projects.rows.map((p): DashboardProject => ({
      id: p.id,
      name: p.name,
      updatedAt: p.updatedAt,
      itemCounts: { draft: p.draft, published: p.published, archived: p.archived, total: p.draft + p.published + p.archived },
      recentItems: byProject.get(p.id) ?? [],
    })),
  };
}

/**
 * APP_FAULTS=n_plus_one: the same fragment the way ORMs write it by default, two queries per
 * project. Same answer, 1 + 2n round trips.
 */
async function loadProjectsOneByOne(db: Queryable, accountId: string, opts: { projects: number; recentItems: number }): Promise<ProjectsFragment> {
  const projects = await db.query<{ id: string; name: string; updatedAt: string; totalProjects: number }>(
    `SELECT id::text, name, updated_at AS "updatedAt", count(*) OVER ()::int AS "totalProjects"
       FROM projects WHERE account_id = $1 ORDER BY updated_at DESC, id DESC LIMIT $2`,
    [accountId, opts.projects],
  );
  const out: DashboardProject[] = [];
  for (const p of projects.rows) {
    const counts = await db.query<{ draft: number; published: number; archived: number }>(
      `SELECT count(*) FILTER (WHERE state = 'draft')::int AS draft, count(*) FILTER (WHERE state = 'published')::int AS published,
              count(*) FILTER (WHERE state = 'archived')::int AS archived FROM items WHERE project_id = $1`,
      [p.id],
    );
    const recent = await db.query<DashboardProject['recentItems'][number]>(
      `SELECT id::text, title, state, created_at AS "createdAt" FROM items WHERE project_id = $1 ORDER BY created_at DESC, items.id DESC LIMIT $2`,
      [p.id, opts.recentItems],
    );
    const c = counts.rows[0]!;
    out.push({ id: p.id, name: p.name, updatedAt: p.updatedAt, itemCounts: { ...c, total: c.draft + c.published + c.archived }, recentItems: recent.rows });
  }
  return { totalProjects: projects.rows[0]?.totalProjects ?? 0, projects: out };
}

/** The account's recent comments: one query. */
export async function loadActivityFragment(db: Queryable, accountId: string, opts: { recentComments: number }): Promise<ActivityFragment> {
  const comments = await db.query<ActivityFragment['recentComments'][number]>(
    `SELECT id::text, item_id::text AS "itemId", author, left(body, 200) AS excerpt, created_at AS "createdAt"
       FROM comments WHERE account_id = $1
      ORDER BY created_at DESC, comments.id DESC LIMIT $2`,
    [accountId, opts.recentComments],
  );
  return { recentComments: comments.rows };
}
