import { expect, test } from '../../fixtures';

test.describe('tenant isolation', () => {
  test("should answer 404 to A's token for B's project, items, comments and attachments", async ({ apiFor, createAccount }) => {
    const [a, b] = await Promise.all([createAccount({ projects: 1 }), createAccount({ projects: 1, itemsPerProject: 2, commentDepth: 2 })]);
    const asA = await apiFor(a);
    const asB = await apiFor(b);
    const bProject = b.projectIds[0]!;
    const bItem = (await (await asB.get(`/v1/projects/${bProject}/items`)).json()).data[0].id as string;

    await expect(await asA.get(`/v1/projects/${bProject}`)).toBeApiError(404, 'NOT_FOUND');
    await expect(await asA.get(`/v1/projects/${bProject}/items`)).toBeApiError(404, 'NOT_FOUND');
    await expect(await asA.get(`/v1/items/${bItem}`)).toBeApiError(404, 'NOT_FOUND');
    await expect(await asA.get(`/v1/items/${bItem}/comments`)).toBeApiError(404, 'NOT_FOUND');
    await expect(await asA.get(`/v1/items/${bItem}/attachments`)).toBeApiError(404, 'NOT_FOUND');
    // The same reads succeed for the owner: the 404s above are isolation, not missing data.
    expect((await asB.get(`/v1/items/${bItem}/comments`)).status()).toBe(200);
  });

  test("should refuse A's writes to B's resources with 404 and leave them unchanged", async ({ apiFor, createAccount }) => {
    const [a, b] = await Promise.all([createAccount({ projects: 1 }), createAccount({ projects: 1, itemsPerProject: 1 })]);
    const asA = await apiFor(a);
    const asB = await apiFor(b);
    const bProject = b.projectIds[0]!;
    const bItem = (await (await asB.get(`/v1/projects/${bProject}/items`)).json()).data[0];

    await expect(await asA.patch(`/v1/projects/${bProject}`, { data: { name: 'hijacked' } })).toBeApiError(404, 'NOT_FOUND');
    await expect(await asA.delete(`/v1/projects/${bProject}`)).toBeApiError(404, 'NOT_FOUND');
    await expect(await asA.post(`/v1/projects/${bProject}/items`, { data: { title: 'planted' } })).toBeApiError(404, 'NOT_FOUND');
    await expect(await asA.patch(`/v1/items/${bItem.id}`, { data: { title: 'hijacked' } })).toBeApiError(404, 'NOT_FOUND');
    await expect(await asA.post(`/v1/items/${bItem.id}/comments`, { data: { body: 'planted' } })).toBeApiError(404, 'NOT_FOUND');
    await expect(await asA.post(`/v1/items/${bItem.id}/attachments`, { data: { filename: 'x.txt', contentType: 'text/plain', sizeBytes: 1 } })).toBeApiError(404, 'NOT_FOUND');
    await expect(await asA.delete(`/v1/items/${bItem.id}`)).toBeApiError(404, 'NOT_FOUND');

    const project = await (await asB.get(`/v1/projects/${bProject}`)).json();
    expect(project.name).not.toBe('hijacked');
    expect(project.version).toBe(1);
    expect(await (await asB.get(`/v1/items/${bItem.id}`)).json()).toMatchObject({ title: bItem.title });
    expect((await (await asB.get(`/v1/projects/${bProject}/items`)).json()).data).toHaveLength(1);
  });

  test("should never show B's projects in A's list or dashboard", async ({ apiFor, createAccount }) => {
    const [a, b] = await Promise.all([createAccount({ projects: 2 }), createAccount({ projects: 3 })]);
    const asA = await apiFor(a);
    const listed = (await (await asA.get('/v1/projects', { params: { limit: 100 } })).json()).data.map((p: { id: string }) => p.id);
    expect(new Set(listed)).toEqual(new Set(a.projectIds));
    const dashboard = await (await asA.get('/v1/dashboard')).json();
    expect(dashboard.totalProjects).toBe(2);
    expect(dashboard.projects.map((p: { id: string }) => p.id).some((id: string) => b.projectIds.includes(id))).toBe(false);
  });
});
