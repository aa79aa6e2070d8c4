import { expect, test } from '../../fixtures';

const fragments = (h: string | undefined) =>
  Object.fromEntries(
    (h ?? '')
      .split(',')
      .filter(Boolean)
      .map((p) => p.trim().split('=') as [string, string]),
  );

test.describe('dashboard cache', () => {
  test('should miss, then hit; recompute on no-cache; and see a write at once', async ({ apiFor, createAccount }) => {
    const owner = await createAccount({ projects: 2, itemsPerProject: 3 });
    const api = await apiFor(owner);
    const first = await api.get('/v1/dashboard');
    expect(fragments(first.headers()['x-cache'])).toEqual({ projects: 'miss', activity: 'miss' });
    const second = await api.get('/v1/dashboard');
    expect(fragments(second.headers()['x-cache'])).toEqual({ projects: 'hit', activity: 'hit' });
    await expect(second).toHaveQueryCountAtMost(1); // only the token lookup
    expect(await second.json()).toEqual(await first.json());

    const bypass = await api.get('/v1/dashboard', { headers: { 'cache-control': 'no-cache' } });
    expect(fragments(bypass.headers()['x-cache'])).toEqual({ projects: 'bypass', activity: 'bypass' });

    const project = owner.projectIds[0]!;
    expect((await api.post(`/v1/projects/${project}/items`, { data: { title: 'fresh' } })).status()).toBe(201);
    const after = await api.get('/v1/dashboard');
    expect(fragments(after.headers()['x-cache'])).toEqual({ projects: 'miss', activity: 'miss' });
    const counts = (await after.json()).projects.find((p: { id: string }) => p.id === project).itemCounts.total;
    expect(counts).toBe(4);
  });

  test('should compute a cold fragment once for a burst of readers (no stampede)', async ({ apiFor, createAccount, seedClient }) => {
    const owner = await createAccount({ projects: 5, itemsPerProject: 20, commentDepth: 2 });
    const api = await apiFor(owner);
    await api.get('/v1/dashboard');
    expect(await seedClient.evictCache([owner.id])).toBe(2);
    const burst = await Promise.all(Array.from({ length: 12 }, () => api.get('/v1/dashboard')));
    const results = burst.map((r) => fragments(r.headers()['x-cache']));
    for (const fragment of ['projects', 'activity']) {
      const seen = results.map((r) => r[fragment]);
      expect(
        seen.filter((s) => s === 'miss'),
        `${fragment}: ${seen.join(' ')}`,
      ).toHaveLength(1);
      expect(seen.every((s) => ['miss', 'coalesced', 'hit'].includes(s!))).toBe(true);
    }
    const bodies = await Promise.all(burst.map((r) => r.json()));
    for (const b of bodies) expect(b).toEqual(bodies[0]);
  });

  test('should reject an eviction without account ids, naming the field', async ({ testService }) => {
    const res = await testService.post('/internal/test/cache/evict', { data: { accountIds: [] } });
    expect(res.status()).toBe(400);
    expect(JSON.stringify(await res.json())).toContain('accountIds');
  });

  test('should hold no fragment a write made unreadable, and purge expired ones by itself', async ({ inProcessApp }) => {
    const app = await inProcessApp({ cache: { ttlMs: 200, maxEntries: 50_000 } });
    try {
      await app.ready();
      const cache = app.fragmentCache;
      const compute = async () => ({ rows: 'x'.repeat(10_000) });
      // Each write used to leave the last generation's fragments behind until the 50,000-entry cap.
      for (let i = 0; i < 200; i++) {
        await cache.fragment({ headers: {} }, 'acct-w', 'projects', 'v', compute);
        await cache.fragment({ headers: {} }, 'acct-w', 'activity', 'v', compute);
        expect(cache.size()).toBe(2);
        cache.invalidate('acct-w');
        expect(cache.size()).toBe(0);
      }
      await cache.fragment({ headers: {} }, 'acct-e', 'projects', 'v', compute);
      expect(cache.evict(['acct-e', 'acct-none'])).toBe(1);
      // Expired entries go without a lookup of their key (every TTL, at least every second).
      await cache.fragment({ headers: {} }, 'acct-t', 'projects', 'v', compute);
      await expect.poll(() => cache.size(), { timeout: 10_000 }).toBe(0);
    } finally {
      await app.close();
    }
  });
});
