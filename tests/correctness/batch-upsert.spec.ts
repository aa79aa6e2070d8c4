import { expect, test } from '../../fixtures';

test.describe('batch endpoints', () => {
  test('should create items in one batch and update them, not duplicate them, when sent again', async ({ apiFor, createAccount }) => {
    const owner = await createAccount({ projects: 1 });
    const api = await apiFor(owner);
    const projectId = owner.projectIds[0]!;
    const items = Array.from({ length: 50 }, (_, i) => ({ externalId: `import-${i}`, title: `Imported ${i}`, body: 'from the old tracker' }));
    const first = await api.post('/v1/items/batch', { data: { projectId, items } });
    expect(first.status()).toBe(200);
    // auth, ownership, BEGIN, existing keys, one insert, COMMIT: a constant, never per row.
    await expect(first).toHaveQueryCountAtMost(6);
    const created = (await first.json()).data;
    expect(created.map((r: { externalId: string }) => r.externalId)).toEqual(items.map((i) => i.externalId));
    expect(created.every((r: { created: boolean }) => r.created)).toBe(true);

    const again = await api.post('/v1/items/batch', { data: { projectId, items: items.map((i) => ({ ...i, title: `${i.title} (v2)` })) } });
    const updated = (await again.json()).data;
    expect(updated.map((r: { id: string }) => r.id)).toEqual(created.map((r: { id: string }) => r.id));
    expect(updated.every((r: { created: boolean }) => !r.created)).toBe(true);
    const listed = (await (await api.get(`/v1/projects/${projectId}/items`, { params: { limit: 200 } })).json()).data;
    expect(listed).toHaveLength(50);
    expect(listed.every((i: { title: string }) => i.title.endsWith('(v2)'))).toBe(true);
  });

  test('should refuse a batch over the size budget with 413 and write none of it', async ({ api, account }) => {
    const projectId = account.projectIds[0]!;
    const before = (await (await api.get(`/v1/projects/${projectId}/items`, { params: { limit: 200 } })).json()).data.length;
    const res = await api.post('/v1/items/batch', { data: { projectId, items: Array.from({ length: 1001 }, (_, i) => ({ title: `t${i}` })) } });
    await expect(res).toBeApiError(413, 'PAYLOAD_TOO_LARGE');
    expect((await res.json()).message).toContain('at most 1000 items (BATCH_MAX_SIZE), this one has more: split it');
    expect((await (await api.get(`/v1/projects/${projectId}/items`, { params: { limit: 200 } })).json()).data.length).toBe(before);
  });

  test('should stop reading a batch of a million tiny entries at the batch size, and count braces in text as text', async ({ api, account }) => {
    const projectId = account.projectIds[0]!;
    // About 14 MB: under the byte limit, 1,000 times the batch size.
    const huge = `{"projectId":"${projectId}","items":[${'{"title":"t"},'.repeat(1_000_000)}{"title":"t"}]}`;
    await expect(await api.post('/v1/items/batch', { data: huge, headers: { 'content-type': 'application/json' } })).toBeApiError(413, 'PAYLOAD_TOO_LARGE');
    // 1,000 entries whose titles are full of braces: exactly the batch size, accepted.
    const braces = Array.from({ length: 1000 }, (_, i) => ({ title: `{{[${i}]}} {"a":{}}` }));
    const ok = await api.post('/v1/items/batch', { data: { projectId, items: braces } });
    expect(ok.status()).toBe(200);
    expect((await ok.json()).data).toHaveLength(1000);
  });

  test('should reject bad entries with 400 naming the field, and write nothing', async ({ apiFor, createAccount }) => {
    const [owner, other] = await Promise.all([createAccount({ projects: 1, itemsPerProject: 2 }), createAccount({ projects: 1, itemsPerProject: 1 })]);
    const api = await apiFor(owner);
    const projectId = owner.projectIds[0]!;
    const [mine, foreign] = [
      (await (await api.get(`/v1/projects/${projectId}/items`)).json()).data[0].id,
      (await (await (await apiFor(other)).get(`/v1/projects/${other.projectIds[0]}/items`)).json()).data[0].id,
    ];
    const cases: [string, object, string][] = [
      ['/v1/items/batch', { projectId, items: [{ title: 'ok' }, { title: 'x', colour: 'red' }] }, 'body.items[1].colour'],
      ['/v1/items/batch', { projectId, items: [{ title: 'ok' }, { title: 'x', state: 'deleted' }] }, 'body.items[1].state'],
      ['/v1/items/batch', { projectId: other.projectIds[0], items: [{ title: 'planted' }] }, 'body.projectId'],
      [
        '/v1/items/batch',
        {
          projectId,
          items: [
            { externalId: 'k', title: 'a' },
            { externalId: 'k', title: 'b' },
          ],
        },
        'body.items[1].externalId',
      ],
      [
        '/v1/comments/batch',
        {
          comments: [
            { itemId: mine, body: 'fine' },
            { itemId: foreign, body: 'planted' },
          ],
        },
        'body.comments[1].itemId',
      ],
      [
        '/v1/comments/batch',
        {
          comments: [
            { itemId: mine, body: 'fine' },
            { itemId: '999999999999', body: 'dangling' },
          ],
        },
        'body.comments[1].itemId',
      ],
      ['/v1/comments/batch', { comments: [{ itemId: mine, body: 'reply', parentId: '999999999999' }] }, 'body.comments[0].parentId'],
    ];
    for (const [url, data, field] of cases) {
      const res = await api.post(url, { data });
      await expect(res, `${url} ${field}`).toBeApiError(400, 'VALIDATION_FAILED');
      expect((await res.json()).details.field).toBe(field);
    }
    expect((await (await api.get(`/v1/projects/${projectId}/items`)).json()).data).toHaveLength(2);
    expect((await (await api.get(`/v1/items/${mine}/comments`)).json()).data.every((c: { body: string }) => c.body !== 'fine')).toBe(true);
  });

  test('should thread a comment batch under existing comments and keep replies on their item', async ({ apiFor, createAccount }) => {
    const owner = await createAccount({ projects: 1, itemsPerProject: 1 });
    const api = await apiFor(owner);
    const item = (await (await api.get(`/v1/projects/${owner.projectIds[0]}/items`)).json()).data[0].id;
    const root = await (await api.post(`/v1/items/${item}/comments`, { data: { body: 'root' } })).json();
    const res = await api.post('/v1/comments/batch', {
      data: {
        comments: [
          { itemId: item, externalId: 'r1', body: 'first reply', parentId: root.id },
          { itemId: item, externalId: 'r2', body: 'second reply', parentId: root.id },
        ],
      },
    });
    expect(res.status()).toBe(200);
    const thread = (await (await api.get(`/v1/items/${item}/comments`, { params: { limit: 200 } })).json()).data;
    expect(
      thread
        .filter((c: { parentId: string | null }) => c.parentId === root.id)
        .map((c: { body: string }) => c.body)
        .sort(),
    ).toEqual(['first reply', 'second reply']);
  });
});
