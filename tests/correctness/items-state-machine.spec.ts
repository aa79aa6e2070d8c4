import type { APIRequestContext } from '@playwright/test';
import { expect, test } from '../../fixtures';

async function newDraft(api: APIRequestContext, projectId: string) {
  const res = await api.post(`/v1/projects/${projectId}/items`, { data: { title: 'Ship the thing', body: 'Details follow.' } });
  expect(res.status()).toBe(201);
  return res.json();
}

test.describe('item state machine', () => {
  test('should publish a draft, then archive it, stamping the times in order', async ({ api, account }) => {
    const item = await newDraft(api, account.projectIds[0]!);
    expect(item).toMatchObject({ state: 'draft', publishedAt: null, archivedAt: null });

    const published = await (await api.patch(`/v1/items/${item.id}`, { data: { state: 'published' } })).json();
    expect(published.state).toBe('published');
    expect(Date.parse(published.publishedAt)).toBeGreaterThanOrEqual(Date.parse(item.createdAt));

    const archived = await (await api.patch(`/v1/items/${item.id}`, { data: { state: 'archived' } })).json();
    expect(archived.state).toBe('archived');
    expect(archived.publishedAt).toBe(published.publishedAt);
    expect(Date.parse(archived.archivedAt)).toBeGreaterThanOrEqual(Date.parse(published.publishedAt));
  });

  test('should reject archived → draft with 409 INVALID_TRANSITION and say archived is final', async ({ api, account }) => {
    const item = await newDraft(api, account.projectIds[0]!);
    await api.patch(`/v1/items/${item.id}`, { data: { state: 'published' } });
    await api.patch(`/v1/items/${item.id}`, { data: { state: 'archived' } });
    const res = await api.patch(`/v1/items/${item.id}`, { data: { state: 'draft' } });
    await expect(res).toBeApiError(409, 'INVALID_TRANSITION');
    const body = await res.json();
    expect(body.message).toContain('archived is final');
    expect(body.details).toEqual({ from: 'archived', to: 'draft', allowed: [] });
    expect((await (await api.get(`/v1/items/${item.id}`)).json()).state).toBe('archived');
  });

  test('should reject draft → archived with 409 naming published as the allowed move', async ({ api, account }) => {
    const item = await newDraft(api, account.projectIds[0]!);
    const res = await api.patch(`/v1/items/${item.id}`, { data: { state: 'archived' } });
    await expect(res).toBeApiError(409, 'INVALID_TRANSITION');
    expect((await res.json()).details.allowed).toEqual(['published']);
  });

  test('should reject published → draft with 409 naming archived as the allowed move', async ({ api, account }) => {
    const item = await newDraft(api, account.projectIds[0]!);
    await api.patch(`/v1/items/${item.id}`, { data: { state: 'published' } });
    const res = await api.patch(`/v1/items/${item.id}`, { data: { state: 'draft' } });
    await expect(res).toBeApiError(409, 'INVALID_TRANSITION');
    expect((await res.json()).message).toContain('it can move to: archived');
  });

  test('should treat a PATCH to the current state as a no-op edit, not a move', async ({ api, account }) => {
    const item = await newDraft(api, account.projectIds[0]!);
    const res = await api.patch(`/v1/items/${item.id}`, { data: { state: 'draft', title: 'Renamed' } });
    expect(res.status()).toBe(200);
    expect(await res.json()).toMatchObject({ state: 'draft', title: 'Renamed', publishedAt: null });
  });

  test('should reject an unknown state with 400 listing the accepted ones', async ({ api, account }) => {
    const item = await newDraft(api, account.projectIds[0]!);
    const res = await api.patch(`/v1/items/${item.id}`, { data: { state: 'deleted' } });
    await expect(res).toBeApiError(400, 'VALIDATION_FAILED');
    expect((await res.json()).message).toBe('body.state must be one of "draft", "published", "archived"');
  });
});
