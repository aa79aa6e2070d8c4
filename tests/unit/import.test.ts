import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { anonymizer, detectMask, importPlan, generateDomain, planDomain } from 'pressure-harness/seed';
import { parseRoot, type Subset } from 'pressure-harness/pg';

const col = (column: string, type = 'text', unique = false) => ({ table: 'public.t', column, type, maxLength: null, unique });

describe('anonymizing an imported subset', () => {
  it('finds personal data by name, type and content, and keeps what cannot be personal', () => {
    const m = (c: ReturnType<typeof col>, values: unknown[] = [], hasEmail = false) => detectMask(c, values, hasEmail).mask;
    assert.equal(m(col('email')), 'email');
    assert.equal(m(col('contact_email')), 'email');
    assert.equal(m(col('password_hash')), 'token');
    assert.equal(m(col('api_key')), 'token');
    assert.equal(m(col('phone_number')), 'phone');
    assert.equal(m(col('first_name')), 'first_name');
    assert.equal(m(col('name'), [], true), 'name');
    assert.equal(m(col('created_at', 'timestamp with time zone')), 'keep');
    assert.equal(m(col('price', 'numeric')), 'keep');
    assert.equal(m(col('payload', 'jsonb')), 'json');
    assert.equal(m(col('last_ip', 'inet')), 'ip');
    // By content: a column named otherwise whose values are emails.
    assert.equal(m(col('contact'), ['ann@example.org', 'bob@example.net', 'x']), 'email');
    // Free text, identifiers, categories.
    assert.equal(m(col('bio'), ['I grow tomatoes in a small garden by the sea', 'Retired teacher and amateur astronomer']), 'text');
    assert.equal(
      m(
        col('slug'),
        Array.from({ length: 20 }, (_, i) => `how-to-bake-bread-${i}`),
      ),
      'token',
    );
    assert.equal(
      m(
        col('state'),
        Array.from({ length: 20 }, (_, i) => ['open', 'done'][i % 2]),
      ),
      'keep',
    );
  });

  it('transforms deterministically and consistently, keeping each format, and differently under another key', () => {
    const a = anonymizer('k'.repeat(32));
    const b = anonymizer('another key, just as long');
    const email = a('email', 'Ann.Smith@corp.example') as string;
    assert.match(email, /^[a-z0-9._-]+\.[0-9a-f]{6}@example\.com$/);
    assert.equal(a('email', 'ann.smith@corp.example'), email, 'the same address in another case, the same fake');
    assert.notEqual(b('email', 'Ann.Smith@corp.example'), email);
    const token = a('token', '9f86d081884c7d659a2feaa0c55ad015') as string;
    assert.match(token, /^[0-9a-f]{32}$/);
    assert.notEqual(token, '9f86d081884c7d659a2feaa0c55ad015');
    assert.match(a('token', 'how-to-bake-bread-12') as string, /^[a-z]{3}-[a-z]{2}-[a-z]{4}-[a-z]{5}-\d{2}$/);
    const text = 'Call me at +1 415 555 0100 or write to ann@corp.example.\n\nThanks!';
    const t = a('text', text) as string;
    assert.equal(t.length, text.length);
    assert.equal(t.split('\n').length, text.split('\n').length);
    assert.ok(!t.includes('ann@corp.example') && !t.includes('555 0100'));
    assert.equal(a('keep', 42), 42);
    assert.equal(a('email', null), null);
    assert.ok(String(a('username', 'ann_smith', 12)).length <= 12);
    const json = JSON.parse(a('json', JSON.stringify({ who: 'Ann.Smith@corp.example', n: 3, tags: ['x'] })) as string) as { who: string; n: number };
    assert.equal(json.n, 3);
    assert.equal(json.who, email);
  });

  it("reshapes a secret's digest kept as bytes (bytea's \\x hex form), and keeps other bytes", () => {
    const col = (column: string) => ({ table: 'public.api_tokens', column, type: 'bytea', maxLength: null, unique: true });
    assert.equal(detectMask(col('token_hash'), [], false).mask, 'token');
    assert.equal(detectMask(col('content'), [], false).mask, 'keep', "a file's bytes are not a secret's");
    const t = anonymizer('k'.repeat(32));
    const original = '\\x' + 'ab01'.repeat(8);
    const fake = t('token', original) as string;
    assert.match(fake, /^\\x[0-9a-f]{32}$/, 'still bytea hex input, as long');
    assert.notEqual(fake, original);
    assert.equal(t('token', original), fake, 'deterministic');
  });

  it('reads subset roots as the command line writes them, naming what is wrong', () => {
    assert.deepEqual(parseRoot('users=5%'), { table: 'users', share: 5 });
    assert.deepEqual(parseRoot('users=5%+whales:2'), { table: 'users', share: 5, whales: 2 });
    assert.deepEqual(parseRoot("users:created_at > '2024-01-01'"), { table: 'users', where: "created_at > '2024-01-01'" });
    assert.deepEqual(parseRoot('users+whales:2:id < 3'), { table: 'users', whales: 2, where: 'id < 3' });
    assert.match(String(parseRoot('users')), /names no share, filter or whales/);
    assert.match(String(parseRoot('users=0%')), /over 0% and at most 100%/);
    assert.match(String(parseRoot('=5%')), /is not table=<share>%/);
  });

  it('makes a domain the SQL adapter writes: each row under its parent, references by path, values anonymized', () => {
    const subset: Subset = {
      tables: [
        {
          name: 'public.users',
          key: 'id',
          keyType: 'bigint',
          columns: [
            { name: 'id', type: 'bigint', maxLength: null, unique: true, nullable: false, generated: false },
            { name: 'email', type: 'text', maxLength: null, unique: true, nullable: false, generated: false },
          ],
          rows: [
            { id: '7', email: 'ann@corp.example' },
            { id: '9', email: 'bob@corp.example' },
          ],
        },
        {
          name: 'public.posts',
          key: 'id',
          keyType: 'bigint',
          columns: [
            { name: 'id', type: 'bigint', maxLength: null, unique: true, nullable: false, generated: false },
            { name: 'user_id', type: 'bigint', maxLength: null, unique: false, nullable: false, generated: false },
            { name: 'editor_id', type: 'bigint', maxLength: null, unique: false, nullable: true, generated: false },
            { name: 'state', type: 'text', maxLength: null, unique: false, nullable: false, generated: false },
          ],
          rows: [
            { id: '1', user_id: '9', editor_id: '7', state: 'open' },
            { id: '2', user_id: '9', editor_id: null, state: 'done' },
            { id: '3', user_id: '7', editor_id: '9', state: 'open' },
          ],
        },
      ],
      parentOf: { 'public.posts': { child: 'public.posts', column: 'user_id', parent: 'public.users', parentColumn: 'id', columns: 1 } },
      fks: [
        { child: 'public.posts', column: 'user_id', parent: 'public.users', parentColumn: 'id', columns: 1 },
        { child: 'public.posts', column: 'editor_id', parent: 'public.users', parentColumn: 'id', columns: 1 },
      ],
      skipped: [],
    };
    const plan = importPlan(subset, { secret: 's'.repeat(32) });
    assert.deepEqual(plan.mapping, { users: { table: 'users' }, posts: { table: 'posts', parentColumn: 'user_id' } });
    assert.deepEqual(planDomain(plan.domain, 'x').rows, { users: 2, posts: 3 });
    const rows = [...generateDomain(plan.domain, 'x', 'run')];
    assert.deepEqual(
      rows.map((r) => [r.path, r.values]),
      [
        ['users/0', { email: rows[0]!.values.email }],
        ['users/0/posts/0', { editor_id: { $ref: 'users/1' }, state: 'open' }],
        ['users/1', { email: rows[2]!.values.email }],
        ['users/1/posts/0', { editor_id: { $ref: 'users/0' }, state: 'open' }],
        ['users/1/posts/1', { editor_id: null, state: 'done' }],
      ],
    );
    assert.ok(!rows.some((r) => String(r.values.email).endsWith('corp.example')));
    assert.deepEqual(plan.originals, [{ table: 'public.users', column: 'email', mask: 'email', values: ['ann@corp.example', 'bob@corp.example'] }]);
    assert.deepEqual(
      plan.report.tables.map((t) => [t.table, t.rows, t.columns.map((c) => `${c.column}:${c.mask}`)]),
      [
        ['public.users', 2, ['email:email']],
        ['public.posts', 3, ['editor_id:keep', 'state:keep']],
      ],
    );
  });
});
