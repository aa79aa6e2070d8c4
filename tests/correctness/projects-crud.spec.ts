import { expect, test } from '../../fixtures';

test.describe('projects', () => {
  test('should create a project and read it back', async ({ api }) => {
    const created = await api.post('/v1/projects', { data: { name: 'Roadmap 2026', description: 'What we ship next' } });
    expect(created.status()).toBe(201);
    const project = await created.json();
    expect(project).toMatchObject({ name: 'Roadmap 2026', description: 'What we ship next', version: 1 });
    const read = await api.get(`/v1/projects/${project.id}`);
    expect(await read.json()).toEqual(project);
  });

  test('should list projects newest first across keyset pages without repeats', async ({ apiFor, createAccount }) => {
    const owner = await createAccount({ projects: 7 });
    const api = await apiFor(owner);
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const res = await api.get('/v1/projects', { params: { limit: 3, ...(after && { after }) } });
      expect(res.status()).toBe(200);
      const page = (await res.json()) as { data: { id: string }[]; nextCursor: string | null };
      seen.push(...page.data.map((p) => p.id));
      after = page.nextCursor;
    } while (after);
    expect(seen).toHaveLength(7);
    expect(new Set(seen).size).toBe(7);
    expect([...seen].sort((a, b) => Number(b) - Number(a))).toEqual(seen);
    expect(new Set(seen)).toEqual(new Set(owner.projectIds));
  });

  test('should bump the version on update and refuse a stale If-Match with 409 VERSION_CONFLICT', async ({ api }) => {
    const project = await (await api.post('/v1/projects', { data: { name: 'Versioned' } })).json();
    const updated = await api.patch(`/v1/projects/${project.id}`, { data: { name: 'Versioned v2' }, headers: { 'if-match': '"1"' } });
    expect(updated.status()).toBe(200);
    expect(await updated.json()).toMatchObject({ name: 'Versioned v2', version: 2 });
    expect(updated.headers()['etag']).toBe('"2"');

    const stale = await api.patch(`/v1/projects/${project.id}`, { data: { name: 'lost update' }, headers: { 'if-match': '"1"' } });
    await expect(stale).toBeApiError(409, 'VERSION_CONFLICT');
    expect(stale.headers()['etag'], 'a conflict hands back the current version').toBe('"2"');
    expect((await (await api.get(`/v1/projects/${project.id}`)).json()).name).toBe('Versioned v2');
  });

  test('should delete a project with its items and answer 404 afterwards', async ({ api }) => {
    const project = await (await api.post('/v1/projects', { data: { name: 'Doomed' } })).json();
    const item = await (await api.post(`/v1/projects/${project.id}/items`, { data: { title: 'goes too' } })).json();
    expect((await api.delete(`/v1/projects/${project.id}`)).status()).toBe(204);
    await expect(await api.get(`/v1/projects/${project.id}`)).toBeApiError(404, 'NOT_FOUND');
    await expect(await api.get(`/v1/items/${item.id}`)).toBeApiError(404, 'NOT_FOUND');
    await expect(await api.delete(`/v1/projects/${project.id}`)).toBeApiError(404, 'NOT_FOUND');
  });

  test('should reject an unknown field with 400 naming it, and create nothing', async ({ api }) => {
    const before = (await (await api.get('/v1/projects', { params: { limit: 100 } })).json()).data.length;
    const res = await api.post('/v1/projects', { data: { name: 'x', colour: 'red' } });
    await expect(res).toBeApiError(400, 'VALIDATION_FAILED');
    expect((await res.json()).message).toContain('body.colour');
    expect((await (await api.get('/v1/projects', { params: { limit: 100 } })).json()).data.length).toBe(before);
  });

  test('should reject wrong types, empty and oversize names with 400 naming the field', async ({ api }) => {
    for (const data of [{ name: 5 }, { name: '' }, { name: 'x'.repeat(201) }, {}]) {
      const res = await api.post('/v1/projects', { data });
      await expect(res).toBeApiError(400, 'VALIDATION_FAILED');
      expect((await res.json()).details.field).toBe('body.name');
    }
    await expect(await api.get('/v1/projects/not-a-number')).toBeApiError(400, 'VALIDATION_FAILED');
  });
});
