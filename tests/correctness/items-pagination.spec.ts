import type { APIRequestContext } from '@playwright/test';
import { expect, test } from '../../fixtures';

type Page = { data: { id: string; state: string; createdAt: string }[]; nextCursor: string | null };

async function walk(api: APIRequestContext, projectId: string, params: Record<string, string | number>, onPage?: () => Promise<void>) {
  const ids: string[] = [];
  const pages: Page['data'][] = [];
  let after: string | null = null;
  do {
    const res = await api.get(`/v1/projects/${projectId}/items`, { params: { ...params, ...(after && { after }) } });
    expect(res.status()).toBe(200);
    await expect(res).toHaveQueryCountAtMost(3); // auth, ownership, page: never per row
    const page = (await res.json()) as Page;
    pages.push(page.data);
    ids.push(...page.data.map((i) => i.id));
    after = page.nextCursor;
    await onPage?.();
  } while (after);
  return { ids, pages };
}

test.describe('item keyset pagination', () => {
  test('should return every item exactly once while other requests insert concurrently', async ({ apiFor, createAccount }) => {
    const owner = await createAccount({ projects: 1, itemsPerProject: 120 });
    const projectId = owner.projectIds[0]!;
    const reader = await apiFor(owner);
    const writer = await apiFor(owner);
    const seeded = (await walk(reader, projectId, { limit: 200 })).ids;
    expect(seeded).toHaveLength(120);

    // A writer inserts between (and during) every page fetch of the walk.
    const inserted: string[] = [];
    const insertSome = async () => {
      const results = await Promise.all([0, 1, 2].map((k) => writer.post(`/v1/projects/${projectId}/items`, { data: { title: `concurrent ${inserted.length + k}` } })));
      for (const r of results) inserted.push((await r.json()).id);
    };
    const { ids } = await walk(reader, projectId, { limit: 7 }, insertSome);

    expect(inserted.length).toBeGreaterThanOrEqual(3 * 17);
    const walked = ids.filter((id) => !inserted.includes(id));
    expect(walked).toEqual(seeded); // same rows, same order, none twice, none skipped
  });

  test('should order by creation time, newest first, and filter by state across pages', async ({ apiFor, createAccount }) => {
    const owner = await createAccount({ projects: 1, itemsPerProject: 60 });
    const api = await apiFor(owner);
    const all = (await walk(api, owner.projectIds[0]!, { limit: 200 })).pages.flat();
    const times = all.map((i) => Date.parse(i.createdAt));
    expect(times.every((t, k) => k === 0 || t <= times[k - 1]!)).toBe(true);

    const published = (await walk(api, owner.projectIds[0]!, { limit: 5, state: 'published' })).pages.flat();
    expect(published.every((i) => i.state === 'published')).toBe(true);
    expect(published.map((i) => i.id)).toEqual(all.filter((i) => i.state === 'published').map((i) => i.id));
  });

  test('should reject a forged cursor with 400 INVALID_CURSOR and a limit out of range with 400', async ({ api, account }) => {
    const projectId = account.projectIds[0]!;
    const forged = Buffer.from(JSON.stringify(['yesterday', '1; DROP TABLE items'])).toString('base64url');
    await expect(await api.get(`/v1/projects/${projectId}/items`, { params: { after: forged } })).toBeApiError(400, 'INVALID_CURSOR');
    await expect(await api.get(`/v1/projects/${projectId}/items`, { params: { after: 'not-base64-json' } })).toBeApiError(400, 'INVALID_CURSOR');
    const tooBig = await api.get(`/v1/projects/${projectId}/items`, { params: { limit: 1000 } });
    await expect(tooBig).toBeApiError(400, 'VALIDATION_FAILED');
    expect((await tooBig.json()).details.field).toBe('querystring.limit');
  });
});

test.describe('item OFFSET paging', () => {
  test('should return the same pages as the keyset walk, and refuse after and page together', async ({ apiFor, createAccount }) => {
    const owner = await createAccount({ projects: 1, itemsPerProject: 23 });
    const api = await apiFor(owner);
    const projectId = owner.projectIds[0]!;
    const { pages } = await walk(api, projectId, { limit: 5 });
    for (let page = 1; page <= pages.length; page++) {
      const res = await api.get(`/v1/projects/${projectId}/items`, { params: { limit: 5, page } });
      expect(res.status()).toBe(200);
      const body = await res.json();
      expect(body.data.map((i: { id: string }) => i.id)).toEqual(pages[page - 1]!.map((i) => i.id));
      expect(body.nextPage).toBe(page < pages.length ? page + 1 : null);
    }
    const both = await api.get(`/v1/projects/${projectId}/items`, { params: { page: 2, after: 'x' } });
    await expect(both).toBeApiError(400, 'VALIDATION_FAILED');
    expect((await both.json()).message).toContain('either after (keyset cursor) or page (offset paging), not both');
  });
});
