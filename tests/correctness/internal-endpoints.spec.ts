import { expect, test } from '../../fixtures';
import { buildAccount, TINY_ACCOUNT } from '../../seed/factories';

const INTERNAL: [string, string][] = [
  ['POST', '/internal/test/seedAccount'],
  ['POST', '/internal/test/cleanup?runId=someone-elses-run'],
  ['GET', '/internal/test/runs/someone-elses-run'],
  ['POST', '/internal/test/reap'],
];

test.describe('internal test endpoints', () => {
  test('should answer 404, as for an unknown route, without the service token or with a wrong one', async ({ apiFor }) => {
    const outsider = await apiFor(null);
    for (const [method, url] of INTERNAL) {
      const variants: Record<string, string>[] = [{}, { 'x-test-service-token': 'wrong-token-of-right-length' }];
      for (const headers of variants) {
        const res = await outsider.fetch(url, { method, headers, data: method === 'POST' ? {} : undefined });
        await expect(res).toBeApiError(404, 'NOT_FOUND');
        expect((await res.json()).message).toBe(`no route ${method} ${url.split('?')[0]}`);
      }
    }
  });

  test('should reject an inconsistent seed body with 400 naming the field, and write nothing', async ({ seedClient, testService, run }) => {
    const body = buildAccount({ seed: run.seed, runId: run.runId, ttlSeconds: 600, path: 'bad-seed', shape: { ...TINY_ACCOUNT, projects: 1, itemsPerProject: 2 } });
    body.projects![0]!.items![1] = { title: 'archived but never published', state: 'archived', archivedAt: '2024-06-01T10:00:00Z' };
    const res = await testService.post('/internal/test/seedAccount', { data: body });
    await expect(res).toBeApiError(400, 'VALIDATION_FAILED');
    expect((await res.json()).details.field).toBe('body.projects[0].items[1].publishedAt');
    // Nothing of the rejected account exists: seeding the same email now succeeds.
    body.projects![0]!.items!.pop();
    const ok = await seedClient.seedAccount(body);
    await seedClient.cleanup(run.runId, ok.account.id);
  });

  test('should refuse a seed request over the row budget with 413, and write nothing', async ({ testService, seedClient, run }) => {
    const scratchRun = `${run.runId}-budget`;
    const items = Array.from({ length: 200_001 }, (_, i) => ({ title: `i${i}` }));
    const res = await testService.post('/internal/test/seedAccount', {
      data: { runId: scratchRun, ttlSeconds: 600, account: { name: 'Too big', email: `too-big@${scratchRun}.test.invalid` }, projects: [{ name: 'huge', items }] },
    });
    await expect(res).toBeApiError(413, 'PAYLOAD_TOO_LARGE');
    expect((await res.json()).message).toContain('split it');
    expect((await seedClient.runRows(scratchRun)).total).toBe(0);
  });

  test.describe('in the reference app', () => {
    test.skip(({ referenceApp, verifyDatabaseUrl }) => !referenceApp || !verifyDatabaseUrl, 'builds app/ in-process against its database');

    test('should refuse a caller from outside loopback even with the right token', async ({ inProcessApp, serviceToken }) => {
      const app = await inProcessApp();
      try {
        const headers = { 'x-test-service-token': serviceToken };
        const remote = await app.inject({ method: 'GET', url: '/internal/test/runs/probe-run', headers, remoteAddress: '203.0.113.7' });
        expect(remote.statusCode).toBe(404);
        expect(remote.json()).toEqual({ code: 'NOT_FOUND', message: 'no route GET /internal/test/runs/probe-run' });
        const local = await app.inject({ method: 'GET', url: '/internal/test/runs/probe-run', headers, remoteAddress: '127.0.0.1' });
        expect(local.statusCode).toBe(200);
        // Nor does /healthz tell a caller from outside that test endpoints exist.
        const health = (await app.inject({ method: 'GET', url: '/healthz', remoteAddress: '203.0.113.7' })).json();
        expect(health.status).toBe('ok');
        expect(health).not.toHaveProperty('testEndpoints');
        expect((await app.inject({ method: 'GET', url: '/healthz', remoteAddress: '127.0.0.1' })).json()).toMatchObject({ testEndpoints: true });
      } finally {
        await app.close();
      }
    });

    test('should not register the test endpoints at all with APP_ENV=production', async ({ inProcessApp, serviceToken }) => {
      const app = await inProcessApp({ env: 'production' });
      try {
        expect(app.hasRoute({ method: 'POST', url: '/internal/test/seedAccount' })).toBe(false);
        const res = await app.inject({ method: 'POST', url: '/internal/test/cleanup?runId=x-run', headers: { 'x-test-service-token': serviceToken }, remoteAddress: '127.0.0.1' });
        expect(res.statusCode).toBe(404);
        expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toMatchObject({ status: 'ok', testEndpoints: false });
      } finally {
        await app.close();
      }
    });

    test('should write one audit row a minute for a flood of refused calls from outside loopback, and describe the test endpoints to their callers only', async ({
      inProcessApp,
      serviceToken,
      appPool,
      run,
    }) => {
      const app = await inProcessApp();
      try {
        const tag = `flood-${run.runId}`;
        for (let i = 0; i < 300; i++) {
          const res = await app.inject({ method: 'GET', url: '/internal/test/runs/probe-run', headers: { 'x-request-id': `${tag}-${i}` }, remoteAddress: '203.0.113.9' });
          expect(res.statusCode).toBe(404);
        }
        await expect.poll(async () => (await appPool.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log WHERE request_id LIKE $1', [`${tag}-%`])).rows[0]!.n).toBe(1);
        const paths = async (o: { remoteAddress: string; headers?: Record<string, string> }) => Object.keys((await app.inject({ method: 'GET', url: '/openapi.json', ...o })).json().paths as object);
        expect((await paths({ remoteAddress: '203.0.113.9', headers: { 'x-test-service-token': serviceToken } })).filter((p) => p.startsWith('/internal/'))).toEqual([]);
        expect((await paths({ remoteAddress: '127.0.0.1' })).filter((p) => p.startsWith('/internal/'))).toEqual([]);
        expect((await paths({ remoteAddress: '127.0.0.1', headers: { 'x-test-service-token': serviceToken } })).filter((p) => p.startsWith('/internal/')).length).toBeGreaterThan(5);
        expect(await paths({ remoteAddress: '203.0.113.9' })).toContain('/v1/projects');
      } finally {
        await app.close();
      }
    });

    test('should write every call, allowed or refused, to audit_log', async ({ testService, apiFor, appPool }) => {
      const allowed = await testService.get('/internal/test/runs/audit-probe', { headers: { 'x-request-id': `audit-ok-${Date.now()}` } });
      const refused = await (await apiFor(null)).get('/internal/test/runs/audit-probe', { headers: { 'x-request-id': `audit-no-${Date.now()}` } });
      const ids = [allowed.headers()['x-request-id'], refused.headers()['x-request-id']];
      await expect
        // Each call writes its own row; their order in the table is not the order of the calls
        // (the allowed call's row is written when its response is done): match them by request id.
        .poll(async () =>
          (await appPool.query<{ request_id: string }>('SELECT request_id, outcome FROM audit_log WHERE request_id = ANY($1)', [ids])).rows.sort(
            (x, y) => ids.indexOf(x.request_id) - ids.indexOf(y.request_id),
          ),
        )
        .toEqual([
          { request_id: ids[0], outcome: 'status 200' },
          { request_id: ids[1], outcome: 'refused: missing or wrong service token' },
        ]);
    });
  });
});
