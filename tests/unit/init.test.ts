import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { factoryFor, initFiles, initModel, parseCredential, routesByProbing, routesFromOpenApi, type InitModel } from 'pressure-harness/init';
import { checksOf, type Column, type CatalogTable, type ForeignKey } from 'pressure-harness/pg';
import { generateDomain, type Domain } from 'pressure-harness/seed';

const col = (name: string, type: string, o: Partial<Column> = {}): Column => ({ name, type, nullable: false, hasDefault: false, generated: false, maxLength: null, unique: false, ...o });

// conduit's schema (examples/conduit/schema.sql), as the catalog gives it.
const tables: CatalogTable[] = [
  { name: 'public.users', rows: 0, key: 'id' },
  { name: 'public.articles', rows: 0, key: 'id' },
  { name: 'public.comments', rows: 0, key: 'id' },
];
const fks: ForeignKey[] = [
  { child: 'public.articles', column: 'author_id', parent: 'public.users', parentColumn: 'id', columns: 1 },
  { child: 'public.comments', column: 'article_id', parent: 'public.articles', parentColumn: 'id', columns: 1 },
  { child: 'public.comments', column: 'author_id', parent: 'public.users', parentColumn: 'id', columns: 1 },
];
const columns = new Map<string, Column[]>([
  [
    'public.users',
    [
      col('id', 'bigint', { hasDefault: true, unique: true }),
      col('username', 'text', { unique: true }),
      col('email', 'text', { unique: true }),
      col('password_hash', 'text'),
      col('token', 'text', { unique: true }),
      col('bio', 'text', { hasDefault: true }),
      col('created_at', 'timestamp with time zone', { hasDefault: true }),
    ],
  ],
  [
    'public.articles',
    [
      col('id', 'bigint', { hasDefault: true, unique: true }),
      col('slug', 'character varying(40)', { unique: true, maxLength: 40 }),
      col('author_id', 'bigint'),
      col('title', 'text', { maxLengthCheck: 200, minLength: 1 }),
      col('state', 'text', { values: ['draft', 'published'] }),
      col('body', 'text'),
      col('created_at', 'timestamp with time zone', { hasDefault: true }),
      col('updated_at', 'timestamp with time zone', { nullable: true }),
    ],
  ],
  [
    'public.comments',
    [
      col('id', 'bigint', { hasDefault: true, unique: true }),
      col('article_id', 'bigint'),
      col('author_id', 'bigint'),
      col('body', 'text'),
      col('created_at', 'timestamp with time zone', { hasDefault: true }),
    ],
  ],
]);

describe('pressure init: the domain from the catalog', () => {
  it('guesses the roots, hangs each table under its deepest parent, and picks other references among the roots', () => {
    const m = initModel({ tables, fks }, columns);
    assert.deepEqual(m.roots, ['public.users']);
    assert.deepEqual(
      m.entities.map((e) => [e.entity, e.parent ?? null]),
      [
        ['users', null],
        ['articles', 'users'],
        ['comments', 'articles'],
      ],
    );
    const comments = m.entities.find((e) => e.entity === 'comments')!;
    assert.equal(comments.fields.find((f) => f.column === 'author_id')?.code, "pick('users')");
    assert.ok(comments.left.some((l) => l.column === 'article_id' && /parent/.test(l.why)));
    const users = m.entities[0]!;
    assert.deepEqual(users.credential, { column: 'token', template: '{token}', hash: null }, 'a unique text column named token of a root is a credential');
    assert.equal(users.fields.find((f) => f.column === 'token')?.code, 'credentialOf(runId, path)');
    assert.deepEqual(users.naturalKeys, ['username', 'email']);
    assert.ok(users.left.some((l) => l.column === 'bio' && l.why === 'has a default'));
  });

  it("names a credential's column and form, a digest of it, and a tenant column's own root", () => {
    assert.deepEqual(parseCredential('api_tokens.token_hash=sha256:pst_{token}'), { table: 'api_tokens', column: 'token_hash', template: 'pst_{token}', hash: 'sha256' });
    assert.match(parseCredential('api_tokens.token_hash=pst_') as string, /--credential must be <table>\.<column>=\[sha256:\]<form with \{token\}>/);
    assert.match(parseCredential('t.c=`${process.exit()}{token}`') as string, /--credential must be/, 'nothing but a plain form');
    const withTokens = {
      tables: [...tables, { name: 'public.api_tokens', rows: 0, key: 'id' }],
      fks: [...fks, { child: 'public.api_tokens', column: 'user_id', parent: 'public.users', parentColumn: 'id', columns: 1 }],
    };
    const cols = new Map([...columns, ['public.api_tokens', [col('id', 'bigint', { hasDefault: true, unique: true }), col('user_id', 'bigint'), col('token_hash', 'bytea')]]]);
    const m = initModel(withTokens, cols, { credential: { table: 'api_tokens', column: 'token_hash', template: 'pst_{token}', hash: 'sha256' } });
    const tokens = m.entities.find((e) => e.entity === 'api_tokens')!;
    assert.equal(tokens.fields.find((f) => f.column === 'token_hash')?.code, '`\\\\x${sha256(credentialOf(runId, path))}`');
    assert.equal(m.entities.find((e) => e.entity === 'users')!.credential, undefined, 'the one named, not the guessed');
    assert.throws(
      () => initModel(withTokens, cols, { credential: { table: 'api_tokens', column: 'secret', template: '{token}', hash: null } }),
      /--credential: public\.api_tokens has no column "secret"; its columns: id, user_id, token_hash/,
    );
    const files = initFiles({
      name: 'x',
      dir: 'perf',
      baseUrl: 'http://h',
      databaseUrl: 'postgres://h/db',
      authScheme: 'Bearer',
      healthPath: '/',
      model: m,
      routes: [],
      routesFrom: 'x',
      at: '2026-12-05T00:00:00Z',
    });
    assert.match(files['domain.ts']!, /export const credentialOf = \(runId: string, path: string\) => `pst_\$\{tag\(runId, `\$\{path\}\/credential`\)\}/);
    assert.match(files['domain.ts']!, /perParent: \{ byTier: \{ default: \[1, 2\] \} \}/, 'every root has a credential');
    // A tenant column names the row's own root; another reference to the root picks one.
    const tenant = initModel(
      { tables, fks: [...fks, { child: 'public.comments', column: 'account_id', parent: 'public.users', parentColumn: 'id', columns: 1 }] },
      new Map([...columns, ['public.comments', [...columns.get('public.comments')!, col('account_id', 'bigint')]]]),
    );
    const comments = tenant.entities.find((e) => e.entity === 'comments')!;
    assert.equal(comments.fields.find((f) => f.column === 'account_id')?.code, 'ownRoot(path)');
    assert.equal(comments.fields.find((f) => f.column === 'author_id')?.code, "pick('users')");
  });

  it('refuses, naming it, a root that is not a table; leaves out a table whose required reference it cannot fill', () => {
    assert.throws(() => initModel({ tables, fks }, columns, { roots: ['people'] }), /--roots: no table "people"; the tables are public\.users, public\.articles, public\.comments/);
    // comments.article_id required, articles not its parent once comments hang under users.
    const m = initModel(
      {
        tables,
        fks: fks
          .filter((f) => !(f.child === 'public.comments' && f.column === 'article_id'))
          .concat([{ child: 'public.comments', column: 'article_id', parent: 'public.articles', parentColumn: 'id', columns: 2 }]),
      },
      columns,
    );
    assert.ok(m.entities.some((e) => e.entity === 'comments'));
  });

  it('leaves out a table related to no other (a migrations ledger) unless named a root', () => {
    const withLedger = { tables: [...tables, { name: 'public.schema_migrations', rows: 3, key: 'version' }], fks };
    const cols = new Map([...columns, ['public.schema_migrations', [col('version', 'integer', { unique: true }), col('applied_at', 'timestamp with time zone')]]]);
    const m = initModel(withLedger, cols);
    assert.deepEqual(m.skipped, [{ table: 'public.schema_migrations', why: 'related to no other table (name it in --roots to include it)' }]);
    assert.ok(initModel(withLedger, cols, { roots: ['users', 'schema_migrations'] }).entities.some((e) => e.table === 'public.schema_migrations'));
  });

  it('chooses factories from type, name and constraints', () => {
    const ctx = { entity: 'x', hasEmail: true, earlier: ['created_at'], parentHasColumn: [], earlierTimes: ['created_at'] };
    assert.equal(factoryFor(col('state', 'text', { values: ["it's", 'b'] }), ctx)!.code, "faker.helpers.arrayElement(['it\\'s', 'b'])");
    assert.equal(factoryFor(col('email', 'text', { unique: true }), ctx)!.code, '`${tag(runId, path)}@${runId}.test.invalid`');
    assert.match(factoryFor(col('slug', 'character varying(16)', { unique: true, maxLength: 16 }), ctx)!.code, /_\$\{tag\(runId, path\)\}`\.slice\(-16\)$/, 'a cut keeps the tag');
    assert.match(factoryFor(col('updated_at', 'timestamp with time zone'), ctx)!.code, /^time\(values\.created_at as string\)$/);
    assert.equal(factoryFor(col('n', 'integer', { min: 1e-6, max: 10 }), ctx)!.code, 'faker.number.int({ min: 1, max: 10 })');
    assert.equal(factoryFor(col('shape', 'tsvector'), ctx), undefined, 'no factory: the caller says so');
    assert.match(factoryFor(col('token_hash', 'bytea'), ctx)!.code, /^`\\\\x\$\{faker\.string\.hexadecimal/, "bytea's hex input form");
  });

  it('reads what one-column CHECKs allow, as pg_get_constraintdef prints them', () => {
    assert.deepEqual(checksOf('state', ["CHECK ((state = ANY (ARRAY['draft'::text, 'published'::text, 'it''s'::text])))"]), { values: ['draft', 'published', "it's"] });
    assert.deepEqual(checksOf('n', ['CHECK ((n >= 0))', 'CHECK ((n <= 100))']), { min: 0, max: 100 });
    assert.deepEqual(checksOf('title', ['CHECK (((char_length(title) >= 1) AND (char_length(title) <= 200)))']), { minLength: 1, maxLengthCheck: 200 });
    assert.deepEqual(checksOf('title', ['CHECK ((other > 3))']), {}, "another column's check says nothing");
  });

  it('writes a domain module that generates rows the table accepts: unique values unique, limits kept', async () => {
    const m = initModel({ tables, fks }, columns);
    const files = initFiles({
      name: 'conduit',
      dir: 'perf',
      baseUrl: 'http://127.0.0.1:1/api',
      databaseUrl: 'postgres://u:secret@127.0.0.1:1/db',
      authScheme: 'Token',
      healthPath: '/ping',
      model: m,
      routes: [],
      routesFrom: 'probing',
      at: '2026-12-05T00:00:00Z',
    });
    assert.doesNotMatch(
      Object.entries(files)
        .filter(([f]) => f !== '.env')
        .map(([, c]) => c)
        .join('\n'),
      /secret@/,
      'the password only in .env',
    );
    assert.match(files['.env']!, /DATABASE_URL=postgres:\/\/u:secret@/);
    const dir = path.join(process.cwd(), '.run', `init-unit-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    try {
      writeFileSync(path.join(dir, 'domain.ts'), files['domain.ts']!);
      const mod = (await import(pathToFileURL(path.join(dir, 'domain.ts')).href)) as { domainOf: (n: number) => Domain };
      const rows = [...generateDomain(mod.domainOf(50), 'seed', 'r20261205-000000-abcdef')];
      const of = (e: string) => rows.filter((r) => r.entity === e);
      assert.equal(of('users').length, 50);
      assert.ok(of('articles').length > 500, 'a whale among 50 roots (2%) has 500 articles or more');
      for (const c of ['username', 'email', 'token']) assert.equal(new Set(of('users').map((r) => r.values[c])).size, 50, `${c} unique`);
      assert.equal(new Set(of('articles').map((r) => r.values.slug)).size, of('articles').length);
      assert.ok(of('articles').every((r) => (r.values.slug as string).length <= 40 && (r.values.title as string).length <= 200 && ['draft', 'published'].includes(r.values.state as string)));
      assert.ok(
        of('articles').every((r) => (r.values.updated_at as string) >= (r.values.created_at as string)),
        'updated after created',
      );
      const users = new Map(of('users').map((u) => [u.path, u]));
      assert.ok(
        of('articles').every((r) => (r.values.created_at as string) >= (users.get(r.parentPath!)!.values.created_at as string)),
        "created after its parent's own",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('pressure init: shaped like production', () => {
  it("takes a root's tiers and a child's count from shape.ts where the fit has them, and guesses only the rest", () => {
    const m = initModel({ tables, fks }, columns);
    const rows = { production: 100, small: 100, medium: 1000, large: 10000 };
    const shape = {
      from: 'postgres://u:***@h/db',
      at: '2026-12-05T00:00:00Z',
      skipped: [],
      tables: [
        { entity: 'users', table: 'public.users', rows, tiers: [{ label: 'small', share: 1, min: 0, max: 3 }], refs: [], columns: {} },
        { entity: 'articles', table: 'public.articles', rows, parent: 'users', via: 'author_id', perParent: { byTier: { small: [0, 3] as [number, number] } }, refs: [], columns: {} },
      ],
    };
    const files = initFiles({
      name: 'x',
      dir: 'x',
      baseUrl: 'http://h',
      databaseUrl: 'postgres://h/db',
      authScheme: 'Token',
      healthPath: '/ping',
      model: m,
      routes: [],
      routesFrom: 'x',
      at: shape.at,
      shape,
    });
    assert.match(files['shape.ts']!, /export const shape = \{/);
    const domain = files['domain.ts']!;
    assert.match(domain, /import \{ shape \} from '\.\/shape\.js';/);
    assert.match(domain, /tiers: shape\.users\.tiers,/);
    assert.match(domain, /perParent: shape\.articles\.perParent,/);
    assert.match(domain, /perParent: \{ logNormal: \{ p50: 2, p95: 12, max: 60 \}, zero: 0\.2 \}/, 'comments: not fitted, guessed');
    assert.doesNotMatch(domain, /const TIERS|const PER_TIER/, 'no guess left unused');
  });
});

describe('pressure init: routes', () => {
  const model = (): InitModel => initModel({ tables, fks }, columns);
  it('maps an OpenAPI document to lists, nested lists, paging and creates with a valid body', () => {
    const doc = {
      paths: {
        '/articles': {
          get: {
            parameters: [
              { name: 'limit', in: 'query', schema: { type: 'integer' } },
              { name: 'offset', in: 'query', schema: { type: 'integer' } },
            ],
          },
          post: {
            security: [{ token: [] }],
            requestBody: { content: { 'application/json': { schema: { type: 'object', required: ['title'], properties: { title: { type: 'string', minLength: 1, maxLength: 20 } } } } } },
          },
        },
        '/articles/{slug}/comments': { get: {} },
        '/users/{id}/articles': { get: { responses: { '200': {}, '401': {} } } },
        '/internal/test/cleanup': { post: {} },
        '/unknown': { get: {} },
      },
    };
    const r = routesFromOpenApi(doc, model().entities);
    assert.deepEqual(
      r.map((x) => [x.path, x.entity, x.list, Boolean(x.paged), Boolean(x.create), x.auth, x.parent?.column ?? null]),
      [
        ['/articles', 'articles', true, true, true, true, null],
        ['/articles/{slug}/comments', 'comments', true, false, false, false, 'slug'],
        ['/users/{id}/articles', 'articles', true, false, false, true, 'id'],
      ],
    );
    const body = r[0]!.create!.body as { title: string };
    assert.equal(typeof body.title, 'string');
    assert.ok(body.title.length >= 1 && body.title.length <= 20);
  });

  it('without a document, finds the routes that answer, with a row of the parent for nested ones', async () => {
    const seen: string[] = [];
    const probe = async (method: 'GET' | 'POST', p: string) => {
      seen.push(`${method} ${p}`);
      if (method === 'GET' && p === '/articles') return { status: 200, json: { articles: [] } };
      if (method === 'GET' && p === '/articles?limit=2&offset=1') return { status: 200, json: { articles: [] } };
      if (method === 'GET' && p === '/articles?limit=not-a-number') return { status: 422, json: {} };
      if (method === 'POST' && p === '/articles') return { status: 401, json: {} };
      if (method === 'GET' && p === '/articles/my-slug/comments') return { status: 200, json: { comments: [] } };
      return { status: 404, json: undefined };
    };
    const r = await routesByProbing(model().entities, probe, async (e) => (e.entity === 'articles' ? { id: '7', slug: 'my-slug' } : undefined));
    assert.deepEqual(
      r.map((x) => [x.path, Boolean(x.paged), Boolean(x.create), x.auth]),
      [
        ['/articles', true, true, true],
        ['/articles/{slug}/comments', false, false, false],
      ],
    );
    assert.ok(seen.includes('GET /articles/7/comments'), 'the key is tried before natural keys');
  });
});
