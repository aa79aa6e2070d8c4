/**
 * app/'s domain, declared once for the harness's adapters (pressure-harness/src/seed/domain.ts), with the
 * profile's knobs: accounts by tier (whales included), projects per tier, items per project on a
 * log-normal tail, comments, attachments, tags; and how one account's tree becomes app/'s
 * seedAccount body (the seed-endpoints adapter). The realism rules of seed/factories.ts hold:
 * items go draft → published → archived with timestamps in that order.
 */
import { createHash } from 'node:crypto';
import type { SeedAccountInput } from '../app/routes/internal/seed-schema.js';
import { defineDomain } from 'pressure-harness/seed';
import type { Tree } from 'pressure-harness/seed';
import type { DatasetKnobs } from './profiles.js';

const tag = (runId: string, path: string) => createHash('sha256').update(`${runId}/${path}`).digest('hex').slice(0, 12);
const kids = (t: Tree, entity: string) => t.children[entity] ?? [];
const v = (t: Tree) => t.row.values as Record<string, string | string[] | number | undefined>;

export const appDomainOf = (k: DatasetKnobs) =>
  defineDomain({
    account: {
      count: k.accounts,
      tiers: k.projectsPerAccount,
      fields: {
        name: ({ faker }) => `${faker.person.fullName()} (${faker.company.name()})`.slice(0, 200),
        email: ({ runId, path }) => `${tag(runId, path)}@${runId}.test.invalid`,
      },
    },
    project: {
      parent: 'account',
      perParent: { byTier: Object.fromEntries(k.projectsPerAccount.map((t) => [t.label, [t.min, t.max] as const])) },
      fields: {
        name: ({ faker }) => `${faker.commerce.productAdjective()} ${faker.commerce.product()} ${faker.word.noun()}`.slice(0, 200),
        description: ({ faker }) => faker.lorem.paragraph(),
        createdAt: ({ time }) => time(),
      },
    },
    item: {
      parent: 'project',
      perParent: { logNormal: k.itemsPerProject },
      fields: {
        title: ({ faker }) => faker.hacker.phrase().slice(0, 200),
        body: ({ faker }) => faker.lorem.paragraphs({ min: 1, max: 6 }, '\n\n'),
        // Most work is published, a quarter still in draft, a tenth archived.
        state: ({ s }) => {
          const r = s();
          return r < 0.25 ? 'draft' : r < 0.9 ? 'published' : 'archived';
        },
        createdAt: ({ time, parent }) => time(parent!.values.createdAt as string),
        publishedAt: ({ time, values }) => (values.state === 'draft' ? undefined : time(values.createdAt as string)),
        archivedAt: ({ time, values }) => (values.state === 'archived' ? time(values.publishedAt as string) : undefined),
        tags: ({ faker, s }) => [...new Set(Array.from({ length: Math.floor(s() * (k.tagsPerItem + 1)) }, () => faker.hacker.noun().toLowerCase()))],
      },
    },
    comment: {
      parent: 'item',
      perParent: { byTier: { default: [0, 2 * k.commentDepth] } },
      fields: {
        body: ({ faker }) => faker.lorem.sentences({ min: 1, max: 8 }),
        createdAt: ({ time, parent }) => time(parent!.values.createdAt as string),
        // Answers the comment before it, often: threads, not only flat lists.
        replyTo: ({ index, s }) => (index > 0 && s() < 0.6 ? index - 1 : undefined),
      },
    },
    attachment: {
      parent: 'item',
      perParent: { share: k.attachmentRate, of: [1, 3] },
      fields: {
        filename: ({ faker }) => faker.system.fileName(),
        contentType: ({ faker }) => faker.system.mimeType(),
        sizeBytes: ({ s }) => Math.floor(1_000 * Math.exp(s() * 9)), // 1 KB – 8 MB, log-uniform
        createdAt: ({ time, parent }) => time(parent!.values.createdAt as string),
      },
    },
  });

/** One account's tree as app/'s seedAccount body: children nested, undefined fields left out. */
export function toSeedAccount(t: Tree, o: { runId: string; ttlSeconds: number }): SeedAccountInput {
  const clean = <T extends object>(x: T) => Object.fromEntries(Object.entries(x).filter(([, val]) => val !== undefined && !(Array.isArray(val) && !val.length))) as T;
  return {
    runId: o.runId,
    ttlSeconds: o.ttlSeconds,
    account: { name: v(t).name as string, email: v(t).email as string },
    projects: kids(t, 'project').map((p) =>
      clean({
        ...(v(p) as { name: string; description: string; createdAt: string }),
        items: kids(p, 'item').map((i) =>
          clean({
            ...(v(i) as { title: string }),
            comments: kids(i, 'comment').map((c) => clean(v(c) as { body: string })),
            attachments: kids(i, 'attachment').map((a) => v(a) as { filename: string; contentType: string; sizeBytes: number }),
          }),
        ),
      }),
    ),
  };
}
