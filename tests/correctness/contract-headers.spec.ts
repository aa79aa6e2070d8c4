import { readFileSync } from 'node:fs';
import { appLogFile } from '../../config/settings.js';
import { expect, test } from '../../fixtures';
import { contractProblems } from 'pressure-harness/contract';

/** Every public endpoint, as [method, path template, body]. */
const ENDPOINTS: [string, string, object?][] = [
  ['GET', '/v1/me'],
  ['GET', '/v1/dashboard'],
  ['GET', '/v1/projects'],
  ['POST', '/v1/projects', { name: 'headers check' }],
  ['GET', '/v1/projects/:project'],
  ['PATCH', '/v1/projects/:project', { description: 'checked' }],
  ['GET', '/v1/projects/:project/items'],
  ['POST', '/v1/projects/:project/items', { title: 'headers check' }],
  ['GET', '/v1/items/:item'],
  ['PATCH', '/v1/items/:item', { title: 'checked' }],
  ['GET', '/v1/items/:item/comments'],
  ['POST', '/v1/items/:item/comments', { body: 'checked' }],
  ['GET', '/v1/items/:item/attachments'],
  ['POST', '/v1/items/:item/attachments', { filename: 'a.txt', contentType: 'text/plain', sizeBytes: 3 }],
];

test.describe('backend contract headers', () => {
  for (const [method, template, data] of ENDPOINTS) {
    test(`should send query count, Server-Timing and request id on ${method} ${template}`, async ({ api, account }) => {
      const project = account.projectIds[0]!;
      const item = (await (await api.post(`/v1/projects/${project}/items`, { data: { title: 'target' } })).json()).id;
      const url = template.replace(':project', project).replace(':item', item);
      const res = await api.fetch(url, { method, ...(data && { data }) });
      expect(res.status(), `${method} ${url}`).toBeLessThan(300);
      expect(contractProblems(res.headers())).toEqual([]);
      expect(Number(res.headers()['x-db-query-count'])).toBeGreaterThan(0); // every endpoint reads the DB
    });
  }

  test('should send the headers on errors too', async ({ apiFor }) => {
    const anonymous = await apiFor(null);
    for (const res of [await anonymous.get('/v1/me'), await anonymous.get('/v1/no-such-route')]) {
      expect(contractProblems(res.headers())).toEqual([]);
    }
  });

  test("should keep the caller's X-Request-Id and join the caller's trace", async ({ api }) => {
    const traceId = 'aa'.repeat(16);
    const res = await api.get('/v1/me', { headers: { 'x-request-id': 'harness-req-42', traceparent: `00-${traceId}-${'bb'.repeat(8)}-01` } });
    expect(res.headers()['x-request-id']).toBe('harness-req-42');
    expect(res.headers()['traceresponse']).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
  });

  test('should write the trace id of every request into the structured log', async ({ api, sentRequests, referenceApp, run }) => {
    test.skip(!referenceApp, 'reads the log of the app this suite started (BASE_URL unset)');
    await api.get('/v1/dashboard');
    const { traceId } = sentRequests.at(-1)!;
    await expect
      .poll(
        () =>
          readFileSync(appLogFile(run.runId), 'utf8')
            .split('\n')
            .filter((l) => l.includes(traceId)).length,
        { timeout: 5_000 },
      )
      .toBeGreaterThanOrEqual(2); // "incoming request" and "request completed"
    const line = JSON.parse(
      readFileSync(appLogFile(run.runId), 'utf8')
        .split('\n')
        .find((l) => l.includes(traceId))!,
    );
    expect(line).toMatchObject({ traceId, parentSpanId: expect.stringMatching(/^[0-9a-f]{16}$/) });
  });
});
