import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { evaluate, formatOutcome } from 'pressure-harness/budgets';
import { absentIds, formatCapabilities, missingRequired, probeCapabilities } from 'pressure-harness/lifecycle';
import 'pressure-harness/metrics';

/** Two backends on loopback: one with every convenience, one with none but a health path under /api. */
function serve(handler: http.RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(handler);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(() => r())) })),
  );
}

describe('capability probe', () => {
  let full: Awaited<ReturnType<typeof serve>>;
  let bare: Awaited<ReturnType<typeof serve>>;
  before(async () => {
    full = await serve((req, res) => {
      res.setHeader('x-db-query-count', '2');
      res.setHeader('server-timing', 'db;dur=1.5, total;dur=3');
      res.setHeader('x-request-id', 'r1');
      if (req.url === '/metrics') return void res.end('# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes 1\n');
      if (req.url?.startsWith('/internal/test/runs/'))
        return void (req.headers['x-test-service-token'] === 'right-token-of-16+' ? res.end('{"rows":{},"total":0}') : ((res.statusCode = 401), res.end()));
      res.end('{}');
    });
    bare = await serve((req, res) => {
      res.statusCode = req.url === '/api/ping' ? 200 : 404;
      res.end(req.url === '/api/ping' ? '{"ok":true}' : '{"errors":{"route":["not found"]}}');
    });
  });
  after(async () => Promise.all([full.close(), bare.close()]));

  const probe = (baseUrl: string, o: { token?: string; healthPath?: string } = {}) =>
    probeCapabilities({ baseUrl, healthPath: o.healthPath ?? '/healthz', metricsPath: '/metrics', serviceToken: o.token ?? 'right-token-of-16+', databaseUrl: undefined });

  it('finds every capability a backend offers', async () => {
    const c = await probe(full.url);
    assert.deepEqual([...absentIds(c)].sort(), ['database', 'statementStats']);
  });

  it('reports a bare backend under a path prefix as present where it is, n/a elsewhere, and goes on', async () => {
    const c = await probe(`${bare.url}/api`, { healthPath: '/ping' });
    assert.deepEqual(
      c.list.filter((x) => x.present).map((x) => x.id),
      ['health'],
    );
    const table = formatCapabilities(c);
    assert.match(table, /present {2}health endpoint/);
    assert.match(table, /n\/a {6}query-count header \(X-DB-Query-Count\) {2}absent: no response carried x-db-query-count/);
    assert.match(table, /n\/a {6}run-scoped test endpoints .*GET \/internal\/test\/runs\/:runId → 404/);
  });

  it('blames the token only when the backend refused it, and names every required capability missing at once', async () => {
    const refused = await probe(full.url, { token: 'wrong-token-of-16+' });
    assert.match(refused.list.find((x) => x.id === 'testEndpoints')!.detail, /refused the service token \(check TEST_SERVICE_TOKEN\)/);
    const bareCaps = await probe(`${bare.url}/api`, { healthPath: '/ping' });
    assert.doesNotMatch(bareCaps.list.find((x) => x.id === 'testEndpoints')!.detail, /TOKEN/);
    const missing = missingRequired(bareCaps, ['testEndpoints', 'queryCount', 'health']);
    assert.match(missing!, /lacks what this suite requires:\n {2}- query-count header \(X-DB-Query-Count\): .*\n {2}- run-scoped test endpoints: /);
    assert.equal(missingRequired(bareCaps, ['health']), undefined);
  });

  it('says a backend that does not answer at all is down, naming BASE_URL', async () => {
    await assert.rejects(probe('http://127.0.0.1:1'), /the backend at http:\/\/127\.0\.0\.1:1 does not answer: .*\nRecommended fix: start it, or correct BASE_URL/);
  });

  it('makes a rule on an absent metric n/a (skipped, with the reason), or a failure where it is required', () => {
    const measured = { '*': { latency_ms: { percentile: () => 5, unit: 'ms' } } };
    const absent = new Set(['queryCount']);
    const [skipped, required, ok] = evaluate('x.y', { db_queries_per_req: ['max <= 3', { expr: 'max <= 3', required: true }], latency_ms: ['p(95) < 10'] }, measured, undefined, absent);
    assert.equal(skipped!.verdict, 'skip');
    assert.match(formatOutcome(skipped!), /^skip: x\.y db_queries_per_req 'max <= 3' n\/a: the backend does not offer queryCount/);
    assert.equal(required!.verdict, 'fail');
    assert.equal(ok!.verdict, 'ok');
    // With the capability present, a metric that measured nothing is a failure, not n/a.
    assert.equal(evaluate('x.y', { db_queries_per_req: ['max <= 3'] }, measured)[0]!.verdict, 'fail');
  });
});
