/**
 * The wire shape of POST /internal/test/seedAccount: part of the backend contract. The harness
 * builds bodies of this type (seed/factories.ts) and the app validates them against it.
 * Children are nested in their parents, so a body cannot hold a dangling foreign key.
 */
import { type Static, Type } from 'typebox';
import { Body, DateTime, ItemState, Title } from '../schemas.js';

export const RUN_ID_PATTERN = '^[a-z0-9][a-z0-9-]{3,63}$';
export const RunId = Type.String({ pattern: RUN_ID_PATTERN, description: 'lowercase letters, digits and dashes, 4-64 long' });
const closed = { additionalProperties: false } as const;

export const SeedBody = Type.Object(
  {
    runId: RunId,
    ttlSeconds: Type.Integer({ minimum: 5, maximum: 7 * 24 * 3600 }),
    seed: Type.Optional(Type.String({ maxLength: 200 })),
    profile: Type.Optional(Type.String({ maxLength: 50 })),
    account: Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }), email: Type.String({ format: 'email', maxLength: 320 }) }, closed),
    projects: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 200 }),
            description: Type.Optional(Type.String({ maxLength: 5000 })),
            createdAt: Type.Optional(DateTime),
            items: Type.Optional(
              Type.Array(
                Type.Object(
                  {
                    title: Title,
                    body: Type.Optional(Body),
                    state: Type.Optional(ItemState),
                    createdAt: Type.Optional(DateTime),
                    publishedAt: Type.Optional(DateTime),
                    archivedAt: Type.Optional(DateTime),
                    tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { maxItems: 20 })),
                    comments: Type.Optional(
                      Type.Array(
                        Type.Object({ body: Type.String({ minLength: 1, maxLength: 10_000 }), createdAt: Type.Optional(DateTime), replyTo: Type.Optional(Type.Integer({ minimum: 0 })) }, closed),
                      ),
                    ),
                    attachments: Type.Optional(
                      Type.Array(
                        Type.Object(
                          {
                            filename: Type.String({ minLength: 1, maxLength: 255 }),
                            contentType: Type.String({ minLength: 3, maxLength: 100 }),
                            sizeBytes: Type.Integer({ minimum: 0, maximum: 5 * 1024 ** 3 }),
                            createdAt: Type.Optional(DateTime),
                          },
                          closed,
                        ),
                      ),
                    ),
                  },
                  closed,
                ),
              ),
            ),
          },
          closed,
        ),
      ),
    ),
  },
  closed,
);

export type SeedAccountInput = Static<typeof SeedBody>;
export type SeedProject = NonNullable<SeedAccountInput['projects']>[number];
export type SeedItem = NonNullable<SeedProject['items']>[number];
export type SeedComment = NonNullable<SeedItem['comments']>[number];

/** A whale: item counts per project and text banks; the server writes the rows (sql/whale.ts). */
const Bank = (max: number) => Type.Array(Type.String({ minLength: 1, maxLength: 20_000 }), { minItems: 1, maxItems: max });
export const WhaleBody = Type.Object(
  {
    runId: RunId,
    ttlSeconds: Type.Integer({ minimum: 5, maximum: 7 * 24 * 3600 }),
    seed: Type.String({ minLength: 1, maxLength: 200 }),
    profile: Type.Optional(Type.String({ maxLength: 50 })),
    account: Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }), email: Type.String({ format: 'email', maxLength: 320 }) }, closed),
    itemCounts: Type.Array(Type.Integer({ minimum: 0, maximum: 200_000 }), { minItems: 1, maxItems: 5000 }),
    commentDepth: Type.Integer({ minimum: 0, maximum: 50 }),
    attachmentRate: Type.Number({ minimum: 0, maximum: 1 }),
    tagsPerItem: Type.Integer({ minimum: 0, maximum: 20 }),
    referenceDate: Type.Optional(DateTime),
    bank: Type.Object({ projectNames: Bank(5000), titles: Bank(5000), paragraphs: Bank(5000), comments: Bank(5000), words: Bank(5000) }, closed),
  },
  closed,
);
export type WhaleInput = Static<typeof WhaleBody>;

/** Upper bound of the rows a whale spec writes (comments at most 2·depth per item, ≤3 attachments). */
export function whaleRowBound(w: Pick<WhaleInput, 'itemCounts' | 'commentDepth' | 'attachmentRate' | 'tagsPerItem'>): number {
  const items = w.itemCounts.reduce((a, b) => a + b, 0);
  return 2 + w.itemCounts.length + items * (1 + 2 * w.commentDepth + (w.attachmentRate > 0 ? 3 : 0) + w.tagsPerItem) + 40;
}
