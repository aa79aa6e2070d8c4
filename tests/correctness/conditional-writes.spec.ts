/**
 * Conditional writes (RFC 9110 §13.1) on items and projects: a PATCH or DELETE that names a
 * version the client last saw applies only to that version; If-Match: * applies to whatever is
 * current; If-None-Match: * refuses a write to something that exists. Each case once did the
 * opposite: a stale If-Match on an item's PATCH or a project's DELETE applied, If-Match: * was
 * refused, If-None-Match was ignored.
 */
import { expect, test } from '../../fixtures';

test.describe('conditional writes', () => {
  test('should apply an item PATCH or DELETE only at the version If-Match names', async ({ apiFor, createAccount }) => {
    const owner = await createAccount({ projects: 1, itemsPerProject: 1 });
    const api = await apiFor(owner);
    const id = (await (await api.get(`/v1/projects/${owner.projectIds[0]}/items`)).json()).data[0].id as string;
    const read = await api.get(`/v1/items/${id}`);
    expect(read.headers().etag).toBe('"1"');
    expect((await read.json()).version).toBe(1);

    const first = await api.patch(`/v1/items/${id}`, { data: { title: 'first' }, headers: { 'if-match': '"1"' } });
    expect(first.status()).toBe(200);
    expect(first.headers().etag).toBe('"2"');
    // A second writer that read version 1 too: refused, told the current version, nothing written.
    const stale = await api.patch(`/v1/items/${id}`, { data: { title: 'lost update' }, headers: { 'if-match': '"1"' } });
    await expect(stale).toBeApiError(409, 'VERSION_CONFLICT');
    expect(stale.headers().etag).toBe('"2"');
    expect((await (await api.get(`/v1/items/${id}`)).json()).title).toBe('first');

    const any = await api.patch(`/v1/items/${id}`, { data: { title: 'any version' }, headers: { 'if-match': '*' } });
    expect(any.status()).toBe(200);
    expect(any.headers().etag).toBe('"3"');
    await expect(await api.patch(`/v1/items/${id}`, { data: { title: 'x' }, headers: { 'if-none-match': '*' } })).toBeApiError(412, 'PRECONDITION_FAILED');
    await expect(await api.patch(`/v1/items/${id}`, { data: { title: 'x' }, headers: { 'if-none-match': '"3"' } })).toBeApiError(412, 'PRECONDITION_FAILED');
    expect((await api.patch(`/v1/items/${id}`, { data: { title: 'x' }, headers: { 'if-none-match': '"1", "2"' } })).status()).toBe(200);
    await expect(await api.patch(`/v1/items/${id}`, { data: { title: 'x' }, headers: { 'if-match': 'three' } })).toBeApiError(400, 'VALIDATION_FAILED');

    await expect(await api.delete(`/v1/items/${id}`, { headers: { 'if-match': '"2"' } })).toBeApiError(409, 'VERSION_CONFLICT');
    expect((await api.get(`/v1/items/${id}`)).status()).toBe(200);
    expect((await api.delete(`/v1/items/${id}`, { headers: { 'if-match': '"4"' } })).status()).toBe(204);
    await expect(await api.delete(`/v1/items/${id}`, { headers: { 'if-match': '*' } })).toBeApiError(404, 'NOT_FOUND');
  });

  test('should delete a project only at the version If-Match names, and take If-Match: * on a PATCH', async ({ apiFor, createAccount }) => {
    const owner = await createAccount({ projects: 1, itemsPerProject: 0 });
    const api = await apiFor(owner);
    const id = owner.projectIds[0]!;
    expect((await api.patch(`/v1/projects/${id}`, { data: { name: 'renamed' }, headers: { 'if-match': '*' } })).status()).toBe(200);
    const stale = await api.delete(`/v1/projects/${id}`, { headers: { 'if-match': '"1"' } });
    await expect(stale).toBeApiError(409, 'VERSION_CONFLICT');
    expect(stale.headers().etag).toBe('"2"');
    expect((await api.get(`/v1/projects/${id}`)).status()).toBe(200);
    await expect(await api.delete(`/v1/projects/${id}`, { headers: { 'if-none-match': '*' } })).toBeApiError(412, 'PRECONDITION_FAILED');
    expect((await api.delete(`/v1/projects/${id}`, { headers: { 'if-match': '"2"' } })).status()).toBe(204);
    expect((await api.get(`/v1/projects/${id}`)).status()).toBe(404);
  });
});
