import pg from 'pg';
import { PROJECTS_PAGE_SQL } from '../../app/sql/dashboard.js';
import { expect, queryCount, test } from '../../fixtures';

type PlanNode = { 'Relation Name'?: string; 'Actual Loops'?: number; Plans?: PlanNode[] };
const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes)];

const shape = { itemsPerProject: 4, commentDepth: 2 };

test.describe('dashboard', () => {
  test('should hydrate projects with item counts, recent items and recent comments', async ({ apiFor, createAccount }) => {
    const owner = await createAccount({ projects: 3, ...shape });
    const res = await (await apiFor(owner)).get('/v1/dashboard');
    expect(res.status()).toBe(200);
    const body = await res.json();
    expect(body.totalProjects).toBe(3);
    expect(body.projects).toHaveLength(3);
    for (const p of body.projects) {
      expect(p.itemCounts.total).toBe(4);
      expect(p.itemCounts.draft + p.itemCounts.published + p.itemCounts.archived).toBe(4);
      expect(p.recentItems).toHaveLength(3);
    }
    expect(body.recentComments.length).toBeGreaterThan(0);
    expect(body.recentComments.length).toBeLessThanOrEqual(10);
  });

  test('should run the same number of queries for 1 project as for 40 (no N+1)', async ({ apiFor, createAccount }) => {
    const [small, big] = await Promise.all([createAccount({ projects: 1, ...shape }), createAccount({ projects: 40, ...shape })]);
    const smallRes = await (await apiFor(small)).get('/v1/dashboard', { params: { projects: 50 } });
    const bigRes = await (await apiFor(big)).get('/v1/dashboard', { params: { projects: 50 } });
    expect((await bigRes.json()).projects).toHaveLength(40);
    await expect(bigRes).toHaveQueryCountAtMost(queryCount(smallRes)!);
    await expect(bigRes).toHaveQueryCountAtMost(4); // auth + projects + recent items + recent comments
  });

  test('should count the items of the listed projects only, not of every project of the account', async ({ createAccount, verifyDatabaseUrl }) => {
    // A whale's cold dashboard at SEED_PROFILE=large read 2.6 GB per call for a page of 20: the
    // item counts were computed for all of its projects before the LIMIT. The plan says how
    // many projects' items a call visits: each scan of items runs once per counted project.
    test.skip(!verifyDatabaseUrl, 'reads the plan through DATABASE_URL');
    const owner = await createAccount({ projects: 12, itemsPerProject: 2, commentDepth: 0 });
    const db = new pg.Client({ connectionString: verifyDatabaseUrl });
    await db.connect();
    try {
      const listed = 5;
      const { rows } = await db.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${PROJECTS_PAGE_SQL}`, [owner.id, listed]);
      const itemScans = nodes(rows[0]!['QUERY PLAN'][0].Plan).filter((n) => n['Relation Name']?.startsWith('items'));
      expect(itemScans.length, 'the plan reads items').toBeGreaterThan(0);
      expect(Math.max(...itemScans.map((n) => n['Actual Loops'] ?? 0)), `items are counted for the ${listed} listed projects, not all 12`).toBeLessThanOrEqual(listed);
      const page = await db.query(PROJECTS_PAGE_SQL, [owner.id, listed]);
      expect(page.rows).toHaveLength(listed);
      expect(page.rows.every((r: { totalProjects: number; draft: number; published: number; archived: number }) => r.totalProjects === 12 && r.draft + r.published + r.archived === 2)).toBe(true);
    } finally {
      await db.end();
    }
  });
});
