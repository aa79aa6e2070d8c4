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

/**
 * Deletes racing the writes of their children, as two clients of one tenant do: a project
 * deleted while items are created in it and batched into it, an item deleted while it is
 * commented on, given attachments and edited. fast-check draws which parent goes, which child
 * writes race it and how each is delayed (0–15 ms). Properties: every answer is one the route
 * documents (no 5xx: the foreign-key race once answered 500), in the error contract; and after
 * the race the data is whole: a parent that was deleted is gone with every child acknowledged
 * under it, a parent that stayed keeps every child acknowledged.
 */
test('should keep deletes racing child writes inside the contract and leave no orphans', async ({ apiFor, createAccount, fuzz }) => {
  test.setTimeout(120_000);
  const owner = await createAccount({ projects: 1, itemsPerProject: 1 });
  const api = await apiFor(owner);
  type Kind = 'item' | 'batch' | 'comment' | 'attachment' | 'edit';
  const allowed: Record<Kind | 'delete', number[]> = {
    item: [201, 404],
    batch: [200, 400, 404],
    comment: [201, 404],
    attachment: [201, 404],
    edit: [200, 404],
    delete: [204, 404, 409],
  };
  const race = fc.record({
    parent: fc.constantFrom<'project' | 'item'>('project', 'item'),
    writes: fc.array(fc.record({ kind: fc.constantFrom<Kind>('item', 'batch', 'comment', 'attachment', 'edit'), delayMs: fc.integer({ min: 0, max: 15 }) }), { minLength: 2, maxLength: 8 }),
    deleteDelayMs: fc.integer({ min: 0, max: 15 }),
  });
  const violations: string[] = [];
  const statuses: Record<string, number> = {};
  let races = 0;
  const later = <T>(ms: number, f: () => Promise<T>) => new Promise<T>((resolve, reject) => setTimeout(() => f().then(resolve, reject), ms));
  await fc.assert(
    fc.asyncProperty(race, async ({ parent, writes, deleteDelayMs }) => {
      races++;
      const project = (await (await api.post('/v1/projects', { data: { name: `race ${races}` } })).json()).id as string;
      const item = (await (await api.post(`/v1/projects/${project}/items`, { data: { title: 'parent' } })).json()).id as string;
      const send = (kind: Kind) => {
        switch (kind) {
          // Children of the project: they race its delete; those of the item race the item's.
          case 'item':
            return api.post(`/v1/projects/${project}/items`, { data: { title: 'child' } });
          case 'batch':
            return api.post('/v1/items/batch', { data: { projectId: project, items: [{ title: 'b1' }, { title: 'b2' }] } });
          case 'comment':
            return api.post(`/v1/items/${item}/comments`, { data: { body: 'racing' } });
          case 'attachment':
            return api.post(`/v1/items/${item}/attachments`, { data: { filename: 'a.txt', contentType: 'text/plain', sizeBytes: 3 } });
          case 'edit':
            return api.patch(`/v1/items/${item}`, { data: { title: 'edited' } });
        }
      };
      const [deleted, ...answers] = await Promise.all([
        later(deleteDelayMs, () => api.delete(parent === 'project' ? `/v1/projects/${project}` : `/v1/items/${item}`)),
        ...writes.map((w) => later(w.delayMs, () => send(w.kind))),
      ]);
      const check = async (kind: Kind | 'delete', res: Awaited<ReturnType<typeof send>>) => {
        const key = `${kind} ${res.status()}`;
        statuses[key] = (statuses[key] ?? 0) + 1;
        if (!allowed[kind].includes(res.status())) violations.push(`${parent} race, ${kind}: ${res.status()} ${(await res.text()).slice(0, 200)} (allowed ${allowed[kind].join('/')})`);
        if (res.status() >= 400) {
          const body = (await res.json().catch(() => ({}))) as { code?: unknown; message?: unknown };
          if (typeof body.code !== 'string' || typeof body.message !== 'string') violations.push(`${parent} race, ${kind}: ${res.status()} outside the error contract`);
        }
      };
      await check('delete', deleted);
      for (const [k, res] of answers.entries()) await check(writes[k]!.kind, res);

      // Whole afterwards: every acknowledged child is where its parent is.
      const gone = deleted.status() === 204;
      const children: string[] = [];
      for (const [k, res] of answers.entries()) {
        const kind = writes[k]!.kind;
        if (kind === 'item' && res.status() === 201) children.push(`/v1/items/${(await res.json()).id}`);
        if (kind === 'batch' && res.status() === 200) for (const row of (await res.json()).data as { id: string }[]) children.push(`/v1/items/${row.id}`);
      }
      const itemGone = gone || (await api.get(`/v1/items/${item}`)).status() === 404;
      if (gone && (await api.get(parent === 'project' ? `/v1/projects/${project}` : `/v1/items/${item}`)).status() !== 404) violations.push(`${parent} race: deleted (204) but still readable`);
      for (const path of children) {
        const status = (await api.get(path)).status();
        const expected = gone && parent === 'project' ? 404 : 200;
        if (status !== expected) violations.push(`${parent} race: acknowledged child ${path} answers ${status}, expected ${expected} (its project ${gone ? 'was deleted' : 'stayed'})`);
      }
      const comments = await api.get(`/v1/items/${item}/comments`);
      if (itemGone && comments.status() !== 404) violations.push(`${parent} race: the item is gone but its comments answer ${comments.status()}`);
    }),
    { seed: fuzz.seed, numRuns: 40 },
  );
  console.log(`delete races: ${races} from seed ${fuzz.seed}; ${JSON.stringify(statuses)}`);
  expect(violations, `delete races, seed ${fuzz.seed}: replay with FUZZ_SEED=${fuzz.seed}`).toEqual([]);
});
