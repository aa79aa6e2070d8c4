/**
 * Bulk writes for clients that create many rows at once (imports, sync jobs, the suite's own
 * seeding). All or nothing: a batch with one bad entry writes nothing and names the entry.
 * Over the batch size budget the answer is 413, never a truncated write.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Transform } from 'node:stream';
import { Type } from 'typebox';
import { AppError } from '../../errors.js';
import * as sql from '../../sql/batch.js';
import { inTransaction } from '../../sql/db.js';
import { Body, errors, Id, ItemState, Title } from '../schemas.js';

const ExternalId = Type.String({ minLength: 1, maxLength: 200 });
const closed = { additionalProperties: false } as const;
const Result = Type.Object({
  data: Type.Array(Type.Object({ id: Type.String(), externalId: Type.Union([Type.String(), Type.Null()]), created: Type.Boolean() })),
});

function checkBatch(kind: string, entries: { externalId?: string }[], max: number, key: (e: { externalId?: string }) => string | undefined): void {
  if (entries.length > max) {
    throw new AppError('PAYLOAD_TOO_LARGE', `a batch holds at most ${max} ${kind} (BATCH_MAX_SIZE), this one has ${entries.length}: split it`, {
      max,
      size: entries.length,
    });
  }
  const seen = new Map<string, number>();
  entries.forEach((e, k) => {
    const id = key(e);
    if (id === undefined) return;
    if (seen.has(id)) {
      throw new AppError('VALIDATION_FAILED', `body.${kind}[${k}].externalId repeats body.${kind}[${seen.get(id)}].externalId ("${e.externalId}")`, {
        field: `body.${kind}[${k}].externalId`,
      });
    }
    seen.set(id, k);
  });
}

/**
 * The largest body a full batch of the largest entries needs (JSON of one entry at its field
 * limits, rounded up), so that the body limit follows BATCH_MAX_SIZE instead of a constant: a
 * body past it is refused before it is parsed.
 */
const ITEM_BYTES = 21 * 1024; // externalId 200 + title 200 + body 20,000 characters, keys and quotes
const COMMENT_BYTES = 11 * 1024; // itemId, externalId 200, body 10,000 characters, parentId
const limitFor = (entries: number, perEntry: number) => 64 * 1024 + entries * perEntry;

/**
 * Counts a batch's entries (the objects two levels down: `{"items":[{…},{…}]}`) while its body
 * streams in. Past the batch size it passes nothing more on (so the JSON parser holds at most
 * max + 1 entries, never the whole body), reads the rest to the end (so the client, still
 * sending, gets its 413 instead of a broken pipe) and then fails with 413. Tracks JSON strings
 * (quotes and escapes), so braces inside a title do not count.
 */
export function entryCounter(max: number, kind: string): Transform {
  let depth = 0;
  let inString = false;
  let escaped = false;
  let entries = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (entries > max) return done(); // over: drained, not kept
      for (const byte of chunk) {
        if (inString) {
          if (escaped) escaped = false;
          else if (byte === 0x5c) escaped = true;
          else if (byte === 0x22) inString = false;
          continue;
        }
        if (byte === 0x22) inString = true;
        else if (byte === 0x7b || byte === 0x5b) {
          depth += 1;
          if (byte === 0x7b && depth === 3 && ++entries > max) return done();
        } else if (byte === 0x7d || byte === 0x5d) depth -= 1;
      }
      done(null, chunk);
    },
    flush(done) {
      done(entries > max ? new AppError('PAYLOAD_TOO_LARGE', `a batch holds at most ${max} ${kind} (BATCH_MAX_SIZE), this one has more: split it`, { max }) : null);
    },
  });
}

/** preParsing: the body through entryCounter, its byte count kept for the body limit. */
const counted = (max: number, kind: string) => async (_request: unknown, _reply: unknown, payload: NodeJS.ReadableStream & { receivedEncodedLength?: number }) => {
  const out = payload.pipe(entryCounter(max, kind)) as Transform & { receivedEncodedLength?: number };
  payload.on('error', (e: Error) => out.destroy(e));
  out.receivedEncodedLength = payload.receivedEncodedLength;
  return out;
};

const routes: FastifyPluginAsyncTypebox<{ maxBatchSize: number }> = async (fastify, opts) => {
  // maxItems stops validation at the array's length, before any entry is checked; the error
  // handler answers it as 413 PAYLOAD_TOO_LARGE, as checkBatch does.
  const maxItems = opts.maxBatchSize;
  fastify.post(
    '/items/batch',
    {
      bodyLimit: limitFor(opts.maxBatchSize, ITEM_BYTES),
      preParsing: counted(opts.maxBatchSize, 'items'),
      schema: {
        body: Type.Object(
          {
            projectId: Id,
            items: Type.Array(Type.Object({ externalId: Type.Optional(ExternalId), title: Title, body: Type.Optional(Body), state: Type.Optional(ItemState) }, closed), { minItems: 1, maxItems }),
          },
          closed,
        ),
        response: { 200: Result, ...errors(400, 401, 413) },
      },
    },
    async (request) => {
      const { projectId, items } = request.body;
      checkBatch('items', items, opts.maxBatchSize, (i) => i.externalId);
      if (!(await sql.projectOwned(fastify.db, request.account.id, projectId))) {
        throw new AppError('VALIDATION_FAILED', `body.projectId ${projectId} is not a project of this account`, { field: 'body.projectId' });
      }
      return { data: await inTransaction(fastify.db, (client) => sql.upsertItems(client, projectId, items)) };
    },
  );

  fastify.post(
    '/comments/batch',
    {
      bodyLimit: limitFor(opts.maxBatchSize, COMMENT_BYTES),
      preParsing: counted(opts.maxBatchSize, 'comments'),
      schema: {
        body: Type.Object(
          {
            comments: Type.Array(Type.Object({ itemId: Id, externalId: Type.Optional(ExternalId), body: Type.String({ minLength: 1, maxLength: 10_000 }), parentId: Type.Optional(Id) }, closed), {
              minItems: 1,
              maxItems,
            }),
          },
          closed,
        ),
        response: { 200: Result, ...errors(400, 401, 413) },
      },
    },
    async (request) => {
      const { comments } = request.body;
      checkBatch('comments', comments, opts.maxBatchSize, (c) => (c.externalId === undefined ? undefined : `${(c as { itemId: string }).itemId}/${c.externalId}`));
      return inTransaction(fastify.db, async (client) => {
        const foreign = await sql.foreignItems(client, request.account.id, [...new Set(comments.map((c) => c.itemId))]);
        const k = comments.findIndex((c) => foreign.has(c.itemId));
        if (k >= 0) {
          throw new AppError('VALIDATION_FAILED', `body.comments[${k}].itemId ${comments[k]!.itemId} is not an item of this account`, { field: `body.comments[${k}].itemId` });
        }
        const [bad] = await sql.badParents(client, comments);
        if (bad !== undefined) {
          throw new AppError('VALIDATION_FAILED', `body.comments[${bad}].parentId ${comments[bad]!.parentId} is not a comment on item ${comments[bad]!.itemId}`, {
            field: `body.comments[${bad}].parentId`,
          });
        }
        return { data: await sql.upsertComments(client, request.account.name, comments) };
      });
    },
  );
};
export default routes;
