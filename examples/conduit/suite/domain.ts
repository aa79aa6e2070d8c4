/**
 * conduit's data, declared once: many small authors and a few whales, articles per author by
 * tier, comments per article on a long tail, written by other users. The same declaration seeds
 * through SQL (sqlMapping: which table each entity is) and through the public API (apiMapping:
 * how one row is created, and removed where the API can).
 */
import { createHash } from 'node:crypto';
import { defineDomain, hashOnce, runPassword } from 'pressure-harness/seed';
import type { ApiMapping } from 'pressure-harness/seed';
import type { SqlMapping } from 'pressure-harness/seed';

const tag = (runId: string, path: string) => createHash('sha256').update(`${runId}/${path}`).digest('hex').slice(0, 12);
// conduit's own scheme (examples/conduit/app.ts), once per run: every seeded author shares the run's password.
const conduitHash = hashOnce((plain) => createHash('sha256').update(plain).digest('hex'));

export const domainOf = (authors: number) =>
  defineDomain({
    author: {
      count: authors,
      tiers: [
        { label: 'small', share: 0.9, min: 0, max: 5 }, // 90%
        { label: 'mid', share: 0.08, min: 6, max: 50 }, //  8%
        { label: 'whale', share: 0.02, min: 2000, max: 3000 }, //  2%: at least one from 10 authors
      ],
      fields: {
        username: ({ faker, runId, path }) => `${faker.internet.username().slice(0, 20)}_${tag(runId, path)}`,
        email: ({ runId, path }) => `${tag(runId, path)}@${runId}.test.invalid`,
        password_hash: ({ runId }) => conduitHash(runPassword(runId)),
        token: ({ runId, path }) => `tok${tag(runId, `${path}/token`)}`,
        bio: ({ faker }) => faker.person.bio(),
        created_at: ({ time }) => time(),
      },
      // Seeded authors sign in like registered ones: whales are actors too.
      signIn: { path: '/users/login', body: ({ values, password }) => ({ user: { email: values.email, password } }), token: ({ body }) => (body as { user?: { token?: string } }).user?.token },
    },
    article: {
      parent: 'author',
      perParent: { byTier: { small: [0, 5], mid: [6, 50], whale: [2000, 3000] } },
      fields: {
        slug: ({ faker, runId, path }) => `${faker.helpers.slugify(faker.lorem.words(4)).toLowerCase()}-${tag(runId, path)}`,
        title: ({ faker }) => faker.lorem.sentence({ min: 3, max: 9 }),
        description: ({ faker }) => faker.lorem.sentence(),
        body: ({ faker }) => faker.lorem.paragraphs({ min: 1, max: 6 }, '\n\n'),
        created_at: ({ time, parent }) => time(parent!.values.created_at as string),
      },
    },
    comment: {
      parent: 'article',
      perParent: { logNormal: { p50: 1, p95: 8, max: 60 } },
      fields: {
        author_id: ({ pick }) => pick('author'),
        body: ({ faker }) => faker.lorem.sentences({ min: 1, max: 5 }),
        created_at: ({ time, parent }) => time(parent!.values.created_at as string),
      },
    },
  });

export const sqlMapping: SqlMapping = { author: { table: 'users' }, article: { table: 'articles' }, comment: { table: 'comments' } };

/** Through the API: register, publish, comment; articles and comments can be deleted, users cannot (the SQL ledger removes them). */
export const apiMapping: ApiMapping = {
  author: {
    create: async ({ call, runId, row: { values: v } }) => {
      const { body } = await call('POST', '/users', { body: { user: { username: v.username, email: v.email, password: runPassword(runId) } } });
      const user = (body as { user: { id: string; token: string } }).user;
      return { key: user.id, token: user.token };
    },
  },
  article: {
    create: async ({ call, row: { values: v }, parent }) => {
      const { body } = await call('POST', '/articles', { token: parent!.token, body: { article: { title: v.title, description: v.description, body: v.body } } });
      return { key: (body as { article: { slug: string } }).article.slug, token: parent!.token };
    },
    remove: ({ call, created }) => call('DELETE', `/articles/${created.key}`, { token: created.token }).then(() => {}),
  },
  comment: {
    create: async ({ call, row: { values: v }, parent, resolve }) => {
      const by = resolve(v.author_id)!;
      const { body } = await call('POST', `/articles/${parent!.key}/comments`, { token: by.token, body: { comment: { body: v.body } } });
      return { key: (body as { comment: { id: string } }).comment.id, token: by.token, article: parent!.key };
    },
    remove: ({ call, created }) => call('DELETE', `/articles/${created.article as string}/comments/${created.key}`, { token: created.token }).then(() => {}),
  },
};
