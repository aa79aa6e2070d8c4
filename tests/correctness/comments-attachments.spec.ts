import type { APIRequestContext } from '@playwright/test';
import { expect, test } from '../../fixtures';

async function newItem(api: APIRequestContext, projectId: string) {
  return (await api.post(`/v1/projects/${projectId}/items`, { data: { title: 'Discuss me' } })).json();
}

test.describe('comments and attachments', () => {
  test('should thread replies under their parent and list the thread oldest first', async ({ api, account }) => {
    const item = await newItem(api, account.projectIds[0]!);
    const root = await (await api.post(`/v1/items/${item.id}/comments`, { data: { body: 'Why this approach?' } })).json();
    const reply = await (await api.post(`/v1/items/${item.id}/comments`, { data: { body: 'Because it scales.', parentId: root.id } })).json();
    expect(reply).toMatchObject({ parentId: root.id, itemId: item.id, author: account.name });

    const list = await api.get(`/v1/items/${item.id}/comments`);
    await expect(list).toHaveQueryCountAtMost(3);
    expect((await list.json()).data.map((c: { id: string }) => c.id)).toEqual([root.id, reply.id]);
  });

  test('should reject a reply whose parent is on another item with 400 naming parentId', async ({ api, account }) => {
    const [one, two] = [await newItem(api, account.projectIds[0]!), await newItem(api, account.projectIds[0]!)];
    const onOne = await (await api.post(`/v1/items/${one.id}/comments`, { data: { body: 'first' } })).json();
    const res = await api.post(`/v1/items/${two.id}/comments`, { data: { body: 'cross-thread', parentId: onOne.id } });
    await expect(res).toBeApiError(400, 'VALIDATION_FAILED');
    expect((await res.json()).details.field).toBe('body.parentId');
    expect((await (await api.get(`/v1/items/${two.id}/comments`)).json()).data).toEqual([]);
  });

  test('should store attachment metadata and reject a filename with a path in it', async ({ api, account }) => {
    const item = await newItem(api, account.projectIds[0]!);
    const made = await api.post(`/v1/items/${item.id}/attachments`, { data: { filename: 'spec.pdf', contentType: 'application/pdf', sizeBytes: 48213 } });
    expect(made.status()).toBe(201);
    expect(await made.json()).toMatchObject({ filename: 'spec.pdf', contentType: 'application/pdf', sizeBytes: 48213, itemId: item.id });

    const bad = await api.post(`/v1/items/${item.id}/attachments`, { data: { filename: '../../etc/passwd', contentType: 'text/plain', sizeBytes: 1 } });
    await expect(bad).toBeApiError(400, 'VALIDATION_FAILED');
    expect((await bad.json()).details.field).toBe('body.filename');
    expect((await (await api.get(`/v1/items/${item.id}/attachments`)).json()).data).toHaveLength(1);
  });
});
