/**
 * A client's mistake is a 4xx in the error contract ({ code, message } naming the field), never a
 * 500, and a refused write leaves nothing behind. Each case here once answered 500 or a body
 * outside the contract.
 */
import pg from 'pg';
import { request } from 'undici';
import { expect, test } from '../../fixtures';
import { buildAccount, TINY_ACCOUNT } from '../../seed/factories.js';

const cursor = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

test.describe('input errors', () => {
  test('should refuse a keyset cursor PostgreSQL would reject with 400 INVALID_CURSOR', async ({ api, account }) => {
    for (const forged of [
      ['1', '1'],
      ['March 7', '1'],
      ['2024-02-30T00:00:00Z', '1'],
    ]) {
      await expect(await api.get(`/v1/projects/${account.projectIds[0]}/items?after=${cursor(forged)}`)).toBeApiError(400, 'INVALID_CURSOR');
    }
  });

  test('should refuse a NUL character in any text field with 400 naming it, and create nothing', async ({ apiFor, createAccount }) => {
    const owner = await createAccount({ projects: 1, itemsPerProject: 1 });
    const api = await apiFor(owner);
    const project = owner.projectIds[0]!;
    const item = (await (await api.get(`/v1/projects/${project}/items`)).json()).data[0].id as string;
    const cases: [string, string, object][] = [
      ['/v1/projects', 'body.name', { name: 'a\u0000b' }],
      [`/v1/projects/${project}/items`, 'body.body', { title: 'ok', body: 'x\u0000' }],
      [`/v1/items/${item}/comments`, 'body.body', { body: '\u0000' }],
      [`/v1/items/${item}/attachments`, 'body.filename', { filename: 'a\u0000.txt', contentType: 'text/plain', sizeBytes: 1 }],
      ['/v1/items/batch', 'body.items[1].title', { projectId: project, items: [{ title: 'fine' }, { title: 'bad\u0000' }] }],
    ];
    for (const [url, field, data] of cases) {
      const res = await api.post(url, { data });
      await expect(res, url).toBeApiError(400, 'VALIDATION_FAILED');
      expect((await res.json()).details, url).toEqual({ field });
    }
    expect((await (await api.get('/v1/projects')).json()).data).toHaveLength(1);
    expect((await (await api.get(`/v1/projects/${project}/items`)).json()).data).toHaveLength(1);
  });

  test('should refuse JSON nested 8,000 levels deep and ids PostgreSQL would store alike, with 400 naming the field', async ({ api, account }) => {
    // A 16 KB body of brackets once overflowed the stack of the NUL check: 500, before authentication.
    const deep = `{"name":${'['.repeat(8_000)}${']'.repeat(8_000)}}`;
    const nested = await api.post('/v1/projects', { data: deep, headers: { 'content-type': 'application/json' } });
    await expect(nested).toBeApiError(400, 'VALIDATION_FAILED');
    expect((await nested.json()).message).toMatch(/body\.name(\[0\])+ nests deeper than 32 levels/);
    // "k\ud800" and "k\udbff" differ here and are both U+FFFD in PostgreSQL: a batch upsert once answered 21000 as 500.
    const items = [
      { title: 'one', externalId: 'k\ud800' },
      { title: 'two', externalId: 'k\udbff' },
    ];
    const lone = await api.post('/v1/items/batch', { data: { projectId: account.projectIds[0], items } });
    await expect(lone).toBeApiError(400, 'VALIDATION_FAILED');
    expect((await lone.json()).details).toEqual({ field: 'body.items[0].externalId' });
  });

  test('should answer 404, not 500, for an item created while its project is being deleted', async ({ apiFor, createAccount, verifyDatabaseUrl }) => {
    test.skip(!verifyDatabaseUrl, 'holds the delete open in the database');
    const owner = await createAccount({ projects: 1, itemsPerProject: 0 });
    const api = await apiFor(owner);
    const project = owner.projectIds[0]!;
    const db = new pg.Client({ connectionString: verifyDatabaseUrl! });
    await db.connect();
    try {
      // The project's delete, not yet committed: the app's INSERT sees the project, and its
      // foreign-key check waits on the deleting transaction; the commit makes it fail (23503).
      await db.query('BEGIN');
      // By account too: ids are unique per run partition, and another test's project may share this one's.
      await db.query('DELETE FROM projects WHERE id = $1 AND account_id = $2', [project, owner.id]);
      const creating = api.post(`/v1/projects/${project}/items`, { data: { title: 'too late' } });
      await expect
        .poll(async () => {
          // pg_stat_activity is read once per transaction unless its snapshot is cleared.
          await db.query('SELECT pg_stat_clear_snapshot()');
          return (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO items%'`)).rows[0]!.n;
        })
        .toBeGreaterThan(0);
      await db.query('COMMIT');
      const res = await creating;
      await expect(res).toBeApiError(404, 'NOT_FOUND');
      expect((await res.json()).message).toBe(`a row this request refers to was deleted meanwhile (project_id ${project})`);
    } finally {
      await db.query('ROLLBACK').catch(() => {});
      await db.end();
    }
  });

  test('should import an archived item through the batch endpoint with its timestamps in order', async ({ api, account }) => {
    const res = await api.post('/v1/items/batch', { data: { projectId: account.projectIds[0], items: [{ title: 'imported archived', state: 'archived' }] } });
    expect(res.status()).toBe(200);
    const item = await (await api.get(`/v1/items/${(await res.json()).data[0].id}`)).json();
    expect(item.state).toBe('archived');
    expect(item.archivedAt >= item.publishedAt).toBe(true);
  });

  test('should answer a malformed URL and oversized headers in the error contract', async ({ apiFor }, testInfo) => {
    const anonymous = await apiFor(null);
    await expect(await anonymous.get('/v1/projects/%ff')).toBeApiError(400, 'VALIDATION_FAILED');
    const res = await request(`${testInfo.project.use.baseURL}/v1/me`, { headers: { 'x-padding': 'a'.repeat(20_000) } });
    expect(res.statusCode).toBe(431);
    expect(await res.body.json()).toEqual({ code: 'HEADERS_TOO_LARGE', message: expect.stringContaining('headers') });
  });

  test('should take the Bearer scheme in any case, and refuse a weak If-Match tag', async ({ api, account }, testInfo) => {
    const lower = await request(`${testInfo.project.use.baseURL}/v1/me`, { headers: { authorization: `bearer ${account.token}` } });
    expect(lower.statusCode).toBe(200);
    await lower.body.dump();
    const weak = await api.patch(`/v1/projects/${account.projectIds[0]}`, { data: { description: 'x' }, headers: { 'if-match': 'W/"1"' } });
    await expect(weak).toBeApiError(400, 'VALIDATION_FAILED');
  });

  test("should not tell whether another tenant's comment exists through a comments cursor", async ({ apiFor, createAccount }) => {
    const [a, b] = await Promise.all([createAccount({ projects: 1, itemsPerProject: 1 }), createAccount({ projects: 1, itemsPerProject: 1 })]);
    const [asA, asB] = [await apiFor(a), await apiFor(b)];
    const itemOf = async (api: typeof asA, project: string) => (await (await api.get(`/v1/projects/${project}/items`)).json()).data[0].id as string;
    const [aItem, bItem] = [await itemOf(asA, a.projectIds[0]!), await itemOf(asB, b.projectIds[0]!)];
    // B's comment is older than A's: a cursor that looked it up in any item would page past it to A's.
    const bComment = (await (await asB.post(`/v1/items/${bItem}/comments`, { data: { body: "B's" } })).json()).id as string;
    await asA.post(`/v1/items/${aItem}/comments`, { data: { body: 'after it' } });
    const withB = await (await asA.get(`/v1/items/${aItem}/comments?after=${bComment}`)).json();
    const withNone = await (await asA.get(`/v1/items/${aItem}/comments?after=999999999999`)).json();
    expect(withB).toEqual(withNone);
  });

  test('should refuse seed dates PostgreSQL cannot hold and a huge attachment with 400 naming the field, writing nothing', async ({ testService, seedClient, run }) => {
    const runId = `${run.runId}-dates`;
    const base = buildAccount({ seed: run.seed, runId, ttlSeconds: 600, path: 'dates', shape: { ...TINY_ACCOUNT, projects: 1 } });
    const item = { title: 't', state: 'published' as const, createdAt: '2024-01-01T00:00:00Z', publishedAt: '2024-01-02T00:00:00Z' };
    const cases: [string, object][] = [
      ['body.projects[0].items[0].createdAt', { ...item, createdAt: undefined }],
      ['body.projects[0].items[0].createdAt', { ...item, createdAt: '0000-01-01T00:00:00Z' }],
      ['body.projects[0].items[0].publishedAt', { ...item, publishedAt: '2024-01-02T00:00:00+23:59' }],
      ['body.projects[0].items[0].attachments[0].sizeBytes', { ...item, attachments: [{ filename: 'a', contentType: 'text/plain', sizeBytes: 1e20 }] }],
      ['body.projects[0].items[0].comments[0].replyTo', { ...item, comments: [{ body: 'first', replyTo: 0 }] }],
    ];
    for (const [field, it] of cases) {
      const res = await testService.post('/internal/test/seedAccount', { data: { ...base, projects: [{ ...base.projects![0]!, items: [it] }] } });
      await expect(res, field).toBeApiError(400, 'VALIDATION_FAILED');
      const body = await res.json();
      expect(body.details?.field, field).toBe(field);
      expect(body.message, 'no "(0 to -1)"').not.toContain('-1');
    }
    expect((await seedClient.runRows(runId)).total).toBe(0);
  });
});
