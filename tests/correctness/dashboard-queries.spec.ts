import { expect, queryCount, test } from '../../fixtures';

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
});
