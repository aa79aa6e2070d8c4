/**
 * app/ fuzzed at the protocol, below the schema: what a hostile or broken client sends around a
 * valid request. fast-check draws from FUZZ_SEED one mutation of a valid write or read at a time:
 * nesting deep enough to overflow a recursive walk, bytes that are not UTF-8, content types and
 * charsets the API does not take, duplicated headers and query parameters, preconditions of any
 * shape, bodies cut short or longer than they say. Properties: no status >= 500, and every error
 * is { code, message } in the error contract.
 */
import fc from 'fast-check';
import { request } from 'undici';
import { expect, test } from '../../fixtures';

type Mutation = { name: string; method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; path: string; headers: string[]; body?: Buffer };

test('should answer every protocol-level mutation inside the error contract, never 5xx', async ({ apiFor, createAccount, fuzz }, testInfo) => {
  test.setTimeout(120_000);
  const owner = await createAccount({ projects: 1, itemsPerProject: 2 });
  const api = await apiFor(owner);
  const project = owner.projectIds[0]!;
  const item = (await (await api.get(`/v1/projects/${project}/items`)).json()).data[0].id as string;
  const base = new URL(testInfo.project.use.baseURL!);
  const auth = ['authorization', `Bearer ${owner.token}`];
  const json = ['content-type', 'application/json'];

  const nested = fc.integer({ min: 1, max: 20_000 }).map((depth): Mutation => ({
    name: `nested ${depth}`,
    method: 'POST',
    path: '/v1/projects',
    headers: [...auth, ...json],
    body: Buffer.from(`{"name":${'['.repeat(depth)}"x"${']'.repeat(depth)}}`),
  }));
  const notUtf8 = fc.uint8Array({ minLength: 1, maxLength: 8 }).map((bytes): Mutation => ({
    name: `bytes ${Buffer.from(bytes).toString('hex')}`,
    method: 'POST',
    path: '/v1/projects',
    headers: [...auth, ...json],
    body: Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xff, 0xfe, ...bytes]), Buffer.from('"}')]),
  }));
  const contentTypes = fc
    .constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json; charset=latin1',
      'application/json; charset=utf-16',
      'application/xml',
      '',
      ';;;',
      'application/json, text/plain',
    )
    .map((type): Mutation => ({ name: `content-type ${JSON.stringify(type)}`, method: 'POST', path: '/v1/projects', headers: [...auth, 'content-type', type], body: Buffer.from('{"name":"ct"}') }));
  const duplicates = fc
    .constantFrom<[string, string[]]>(
      ['two authorizations', [...auth, 'authorization', 'Bearer pst_bogus']],
      ['two content types', [...auth, ...json, 'content-type', 'text/plain']],
      ['two If-Match', [...auth, ...json, 'if-match', '"1"', 'if-match', '"2"']],
    )
    .map(([name, headers]): Mutation => ({ name, method: 'PATCH', path: `/v1/items/${item}`, headers, body: Buffer.from('{"title":"dup"}') }));
  const params = fc
    .constantFrom('limit=1&limit=2', 'limit[]=3', 'limit=%ff', 'after=&after=x', 'state=draft&state=published', `${'x'.repeat(9000)}=1`, 'limit=1e3', 'limit=-1')
    .map((q): Mutation => ({ name: `query ${q.slice(0, 40)}`, method: 'GET', path: `/v1/projects/${project}/items?${q}`, headers: auth }));
  const preconditions = fc
    .oneof(fc.constantFrom('*', 'W/"1"', '"1", "2"', '""', '"99999999999"', 'W/', '"1"x', '  '), fc.string({ maxLength: 12 }))
    .chain((tag) =>
      fc
        .constantFrom('if-match', 'if-none-match')
        .map((h): Mutation => ({ name: `${h} ${JSON.stringify(tag)}`, method: 'PATCH', path: `/v1/items/${item}`, headers: [...auth, ...json, h, tag], body: Buffer.from('{"title":"pre"}') })),
    );
  const lengths = fc.constantFrom(-5, 5, 500).map((delta): Mutation => ({
    name: `content-length off by ${delta}`,
    method: 'POST',
    path: '/v1/projects',
    headers: [...auth, ...json, 'content-length', String(13 + delta)],
    body: Buffer.from('{"name":"cl"}'),
  }));

  const arb = fc.oneof(nested, notUtf8, contentTypes, duplicates, params, preconditions, lengths);
  const violations: string[] = [];
  const statuses: Record<string, number> = {};
  let sent = 0;
  await fc.assert(
    fc.asyncProperty(arb, async (m) => {
      sent++;
      let status: number;
      let text: string;
      try {
        // A raw request: duplicated headers and a wrong Content-Length go out as drawn.
        const res = await request(new URL(base.pathname.replace(/\/$/, '') + m.path, base), {
          method: m.method,
          headers: m.headers,
          ...(m.body && { body: m.body }),
          headersTimeout: 15_000,
          bodyTimeout: 15_000,
        });
        status = res.statusCode;
        statuses[status] = (statuses[status] ?? 0) + 1;
        text = await res.body.text();
      } catch (e) {
        // A body longer than its Content-Length, or cut short, may end the connection: the
        // server's right. What matters is that it never answers 5xx.
        if (m.name.startsWith('content-length')) return;
        throw e;
      }
      if (status >= 500) violations.push(`${m.name}: ${status} ${text.slice(0, 200)}`);
      if (status >= 400) {
        let body: { code?: unknown; message?: unknown } = {};
        try {
          body = JSON.parse(text) as typeof body;
        } catch {
          violations.push(`${m.name}: ${status} with a body that is not JSON: ${text.slice(0, 120)}`);
          return;
        }
        if (typeof body.code !== 'string' || typeof body.message !== 'string') violations.push(`${m.name}: ${status} outside the error contract: ${text.slice(0, 200)}`);
      }
    }),
    { seed: fuzz.seed, numRuns: 300 },
  );
  console.log(`protocol fuzz: ${sent} mutations from seed ${fuzz.seed}; statuses ${JSON.stringify(statuses)}`);
  testInfo.annotations.push({ type: 'protocol fuzz', description: `${sent} mutations from seed ${fuzz.seed}; statuses ${JSON.stringify(statuses)}` });
  expect(violations, `protocol fuzz, seed ${fuzz.seed}: replay with FUZZ_SEED=${fuzz.seed}`).toEqual([]);
});
