/**
 * A domain with the relations schemas have (tests/correctness/seed-sql-keys.spec.ts): a self
 * reference among roots, a join table with two keys to one parent, a one-to-one table keyed by
 * its parent, uuid keys with no default, and replies that answer an earlier reply. A module of its
 * own so that seed workers can build it too (seedSql's `generator`).
 */
import { defineDomain } from 'pressure-harness/seed';

/** `failAt`: a reply path whose body breaks the table's check, for the all-or-nothing test. */
export const relationsDomain = (people: number, failAt?: string) =>
  defineDomain({
    person: { count: people, fields: { name: ({ faker }) => faker.person.fullName(), invited_by: ({ earlier }) => earlier() } },
    follow: { parent: 'person', perParent: 3, fields: { followee_id: ({ pick }) => pick('person', { distinct: true }) } },
    profile: { parent: 'person', perParent: 1, fields: { bio: ({ faker }) => faker.lorem.sentence() } },
    post: { parent: 'person', perParent: 2, fields: { title: ({ faker }) => faker.lorem.words(3) } },
    reply: { parent: 'post', perParent: 3, fields: { body: ({ faker, path }) => (path === failAt ? 'boom' : faker.lorem.sentence()), parent_reply_id: ({ earlier }) => earlier() } },
  });
