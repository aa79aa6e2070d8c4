import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defineDomain, generateDomain, planDomain } from 'pressure-harness/seed';

const domain = (authors: number) =>
  defineDomain({
    author: {
      count: authors,
      tiers: [
        { label: 'small', share: 0.9, min: 0, max: 0 },
        { label: 'whale', share: 0.1, min: 0, max: 0 },
      ],
      fields: { name: ({ faker }) => faker.person.fullName(), joined: ({ time }) => time() },
    },
    post: {
      parent: 'author',
      perParent: { byTier: { small: [1, 3], whale: [50, 60] } },
      fields: { title: ({ faker }) => faker.lorem.sentence(), at: ({ time, parent }) => time(parent!.values.joined as string) },
    },
    reply: { parent: 'post', perParent: { logNormal: { p50: 2, p95: 10, max: 40 } }, fields: { by: ({ pick }) => pick('author') } },
  });
const rows = (n: number, seed: string) => [...generateDomain(domain(n), seed, 'run-1')];

describe('declared domains', () => {
  it('generate the same rows for the same seed, and other rows for another seed', () => {
    assert.deepEqual(rows(10, 's1'), rows(10, 's1'));
    assert.notDeepEqual(
      rows(10, 's1').map((r) => r.values),
      rows(10, 's2').map((r) => r.values),
    );
  });

  it('give every row its own stream: adding an author changes no row of the others', () => {
    const ten = rows(10, 's1');
    const eleven = new Map(rows(11, 's1').map((r) => [r.path, r]));
    // Tiers are dealt anew for 11 authors; the rows of an author keeping its tier are unchanged.
    const kept = ten.filter((r) => r.entity === 'author' && eleven.get(r.path)?.tier === r.tier);
    assert.ok(kept.length >= 8);
    for (const a of kept) assert.deepEqual(eleven.get(a.path)!.values, a.values);
  });

  it('follow the tiers: a whale among ten authors, its posts in its range, children after parents', () => {
    const all = rows(10, 's1');
    const whales = all.filter((r) => r.entity === 'author' && r.tier === 'whale');
    assert.equal(whales.length, 1);
    const posts = all.filter((r) => r.parentPath === whales[0]!.path);
    assert.ok(posts.length >= 50 && posts.length <= 60, `${posts.length} posts`);
    const seen = new Set<string>();
    for (const r of all) {
      if (r.parentPath) assert.ok(seen.has(r.parentPath), `${r.path} before its parent`);
      seen.add(r.path);
    }
    for (const p of posts) assert.ok(p.values.at! > whales[0]!.values.joined!, 'a post is younger than its author');
  });

  it('plan without generating values, and the plan is what generation gives', () => {
    const plan = planDomain(domain(10), 's1');
    const all = rows(10, 's1');
    for (const e of ['author', 'post', 'reply']) assert.equal(plan.rows[e], all.filter((r) => r.entity === e).length);
  });

  it('cut the plan into chunks whose rows, made chunk by chunk, are exactly the whole walk', () => {
    for (const chunkRows of [1, 7, 40, 1e9]) {
      const d = domain(20);
      const plan = planDomain(d, 's1', { chunkRows });
      assert.equal(
        plan.chunks.reduce((a, c) => a + Object.values(c.rows).reduce((x, y) => x + y, 0), 0),
        plan.total,
        `chunkRows ${chunkRows}`,
      );
      assert.deepEqual(plan.chunks.map((c) => [c.from, c.to]).flat(), [0, ...plan.chunks.slice(1).flatMap((c) => [c.from, c.from]), 20]);
      const chunked = plan.chunks.flatMap((c) => [...generateDomain(d, 's1', 'run-1', { ...c, part: 'roots' }), ...generateDomain(d, 's1', 'run-1', { ...c, part: 'below' })]);
      const whole = rows(20, 's1');
      assert.deepEqual(new Map(chunked.map((r) => [r.path, r])), new Map(whole.map((r) => [r.path, r])));
      // Each chunk's rows per entity are what its walk gives: where a writer's keys for it start.
      for (const c of plan.chunks) {
        const made = [...generateDomain(d, 's1', 'run-1', { ...c, part: 'roots' }), ...generateDomain(d, 's1', 'run-1', { ...c, part: 'below' })];
        assert.deepEqual(Object.fromEntries(Object.keys(c.rows).map((e) => [e, made.filter((r) => r.entity === e).length])), c.rows);
      }
    }
  });

  it('pick distinct rows among siblings, never the own ancestor, and refer to earlier siblings', () => {
    const d = defineDomain({
      user: { count: 6, fields: { name: ({ index }) => `u${index}` } },
      follow: { parent: 'user', perParent: 5, fields: { whom: ({ pick }) => pick('user', { distinct: true }), replyTo: ({ earlier }) => earlier() } },
    });
    const follows = [...generateDomain(d, 's', 'r')].filter((r) => r.entity === 'follow');
    for (let u = 0; u < 6; u++) {
      const mine = follows.filter((f) => f.parentPath === `user/${u}`);
      const whom = mine.map((f) => (f.values.whom as { $ref: string }).$ref);
      assert.equal(new Set(whom).size, 5);
      assert.ok(!whom.includes(`user/${u}`), `user ${u} follows itself`);
      assert.equal(mine[0]!.values.replyTo, null);
      for (const f of mine.slice(1)) assert.match((f.values.replyTo as { $ref: string }).$ref, new RegExp(`^user/${u}/follow/\\d+$`));
      for (const f of mine) if (f.values.replyTo) assert.ok(Number((f.values.replyTo as { $ref: string }).$ref.split('/').pop()) < Number(f.path.split('/').pop()));
    }
    // Six users cannot each follow six others: the message says why and what to change.
    const tooMany = defineDomain({ user: { count: 6, fields: { name: () => 'x' } }, follow: { parent: 'user', perParent: 6, fields: { whom: ({ pick }) => pick('user', { distinct: true }) } } });
    assert.throws(() => [...generateDomain(tooMany, 's', 'r')], /pick\("user", \{ distinct: true \}\) has no user left \(6 in all\); lower the count per parent/);
  });

  it('refuse a declaration that cannot work, naming every problem', () => {
    assert.throws(
      () => defineDomain({ Author: { count: -1, fields: {} }, post: { parent: 'user', fields: { t: () => 1 } } }),
      (e: Error) => {
        assert.match(e.message, /^defineDomain: 5 problems/);
        assert.match(e.message, /Author: an entity name must be lowercase/);
        assert.match(e.message, /Author\.count: a root entity needs a whole number of rows, got -1/);
        assert.match(e.message, /Author\.fields: declare at least one field factory/);
        assert.match(e.message, /post\.parent: no entity "user"; declared: Author, post/);
        assert.match(e.message, /post\.perParent: a child entity needs a count per parent/);
        return true;
      },
    );
  });
});

describe('seed progress', () => {
  it('says rows written, rows/s and time left, and stays silent between reports', async () => {
    const { seedProgress } = await import('pressure-harness/seed');
    const lines = [] as string[];
    const quiet = seedProgress('seed x', 100, { everyMs: 60_000, write: (l) => lines.push(l) });
    quiet.add(50);
    assert.equal(lines.length, 0);
    const p = seedProgress('seed x', 100, { everyMs: 0, write: (l) => lines.push(l) });
    await new Promise((r) => setTimeout(r, 5));
    p.add(40);
    assert.match(lines[0]!, /^\[seed x\] 40 \/ 100 rows · [\d,]+ rows\/s · \d+ s left$/);
    assert.equal(p.done().rows, 40);
  });
});
