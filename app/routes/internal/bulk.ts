/**
 * Bulk seeding, for datasets of millions of rows (POST /internal/test/bulk/…):
 *   begin     the run's partitions made ready for a load (autovacuum paused on them);
 *   accounts  many bare accounts with their API tokens in one set-based request (JSON);
 *   ids       ids reserved from the tables' sequences, as ranges, so the caller can write
 *             children that reference their parents (JSON);
 *   rows      one table's rows in COPY text format, streamed into the run's partition;
 *   verify    every foreign key of the run checked set-based, once the dataset is complete;
 *             autovacuum back on.
 * Each request is one transaction: a failed one writes nothing. The run's row budget is
 * reserved before any row is written, as for seedAccount. Bulk requests are not held to the
 * accounts-per-minute limit: they are for datasets, whose size the row budget bounds.
 */
import { PassThrough, type Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../../errors.js';
import { newToken } from '../../plugins/app/auth.js';
import { BodyTooLarge, BULK_COLUMNS, BULK_TABLES, brokenRunReferences, copyRows, ID_TABLES, reserveIdRanges, setAutovacuum, type BulkTable } from '../../sql/bulk.js';
import { inTransaction, reserveIds } from '../../sql/db.js';
import { bulkLoadMode, ensureRunPartitions, PARTITION_FKS } from '../../sql/partitions.js';
import * as testdata from '../../sql/testdata.js';
import { errors } from '../schemas.js';
import { RunId } from './seed-schema.js';

/** Most bytes one rows request may carry: bigger tables are sent in several requests. */
export const MAX_BULK_BYTES = 64 * 1024 * 1024;
export const MAX_BULK_ACCOUNTS = 1000;
export const MAX_BULK_IDS = 2_000_000;

export type BulkOptions = {
  withinRunBudget: <T>(runId: string, ttlSeconds: number, rows: number, write: () => Promise<{ result: T; written: number }>) => Promise<T>;
};

const closed = { additionalProperties: false } as const;
const Ttl = Type.Integer({ minimum: 5, maximum: 7 * 24 * 3600 });
const Range = Type.Tuple([Type.String(), Type.String()]);
const TSV = 'text/tab-separated-values';

/** A PostgreSQL error from a COPY, as the client should read it: which table, line and column. */
function copyError(table: BulkTable, e: { code?: string; message?: string; where?: string; detail?: string }): AppError | undefined {
  const code = e.code ?? '';
  const where = /line (\d+)(?:, column (\w+))?/.exec(e.where ?? '');
  const at = where ? ` (line ${where[1]}${where[2] ? `, column ${where[2]}` : ''})` : '';
  const columns = `columns of ${table}, tab-separated, in this order: ${BULK_COLUMNS[table].join(', ')}`;
  if (code === '23514' && /partition/i.test(e.message ?? '')) {
    return new AppError('VALIDATION_FAILED', `${table}${at}: test_run_id must be the run ID the request names`, { table, line: where && Number(where[1]) });
  }
  if (code === '23505') return new AppError('ALREADY_EXISTS', `${table}${at}: ${e.message}; ${e.detail ?? ''}`.trim(), { table });
  if (/^2[23][0-9A-Z]{3}$/.test(code)) {
    return new AppError('VALIDATION_FAILED', `${table}${at}: ${e.message} — expected the ${columns}; \\N for null`, { table, line: where && Number(where[1]), column: where?.[2] });
  }
  return undefined;
}

const routes: FastifyPluginAsyncTypebox<BulkOptions> = async (fastify, opts) => {
  // The rows body is streamed into COPY, never parsed or buffered here.
  fastify.addContentTypeParser(TSV, (_request, payload, done) => done(null, payload));

  fastify.post(
    '/begin',
    {
      schema: {
        body: Type.Object({ runId: RunId }, closed),
        response: { 200: Type.Object({ runId: Type.String() }), ...errors(400, 404) },
      },
    },
    async (request) => {
      const { runId } = request.body;
      request.auditRunId = runId;
      await ensureRunPartitions(fastify.db, runId);
      await setAutovacuum(fastify.db, runId, false);
      return { runId };
    },
  );

  fastify.post(
    '/accounts',
    {
      bodyLimit: 4 * 1024 * 1024,
      schema: {
        body: Type.Object(
          {
            runId: RunId,
            ttlSeconds: Ttl,
            seed: Type.Optional(Type.String({ maxLength: 200 })),
            profile: Type.Optional(Type.String({ maxLength: 50 })),
            accounts: Type.Array(Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }), email: Type.String({ format: 'email', maxLength: 320 }) }, closed), {
              minItems: 1,
              maxItems: MAX_BULK_ACCOUNTS,
            }),
          },
          closed,
        ),
        response: {
          201: Type.Object({ accounts: Type.Array(Type.Object({ id: Type.String(), email: Type.String(), token: Type.String() })) }),
          ...errors(400, 404, 409, 413),
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      request.auditRunId = body.runId;
      const n = body.accounts.length;
      request.auditDetail = { accounts: n };
      const tokens = body.accounts.map(() => newToken());
      const ids = await opts.withinRunBudget(body.runId, body.ttlSeconds, 2 * n, async () => ({
        result: await inTransaction(fastify.db, async (client) => {
          const ids = await reserveIds(client, 'accounts', n);
          const tag = [body.runId, body.ttlSeconds] as const;
          await client.query(
            `INSERT INTO accounts (id, test_run_id, expires_at, name, email) OVERRIDING SYSTEM VALUE
             SELECT id, $1, now() + make_interval(secs => $2), name, email FROM unnest($3::bigint[], $4::text[], $5::text[]) AS t(id, name, email)`,
            [...tag, ids, body.accounts.map((a) => a.name), body.accounts.map((a) => a.email)],
          );
          await client.query(
            `INSERT INTO api_tokens (test_run_id, expires_at, account_id, token_hash)
             SELECT $1, now() + make_interval(secs => $2), account_id, token_hash FROM unnest($3::bigint[], $4::bytea[]) AS t(account_id, token_hash)`,
            [...tag, ids, tokens.map((t) => fastify.hashToken(t))],
          );
          await testdata.recordSeed(client, body, { accounts: n, api_tokens: n } as testdata.RowCounts, 0);
          return ids;
        }),
        written: 2 * n,
      }));
      reply.code(201);
      return { accounts: ids.map((id, i) => ({ id, email: body.accounts[i]!.email, token: tokens[i]! })) };
    },
  );

  fastify.post(
    '/ids',
    {
      schema: {
        body: Type.Object(
          {
            runId: RunId,
            counts: Type.Object(Object.fromEntries(ID_TABLES.map((t) => [t, Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_BULK_IDS }))])), closed),
          },
          closed,
        ),
        response: { 200: Type.Object({ ids: Type.Record(Type.String(), Type.Array(Range)) }), ...errors(400, 404) },
      },
    },
    async (request) => {
      request.auditRunId = request.body.runId;
      const ids: Record<string, [string, string][]> = {};
      for (const t of ID_TABLES) ids[t] = await reserveIdRanges(fastify.db, t, (request.body.counts as Record<string, number | undefined>)[t] ?? 0);
      return { ids };
    },
  );

  fastify.post(
    '/rows/:table',
    {
      // Before any body parser runs: a JSON body here is the wrong endpoint, not bad JSON.
      onRequest: async (request) => {
        if (!(request.headers['content-type'] ?? '').startsWith(TSV)) {
          throw new AppError('UNSUPPORTED_MEDIA_TYPE', `the body must be ${TSV} (COPY text format), got ${request.headers['content-type'] ?? 'no Content-Type'}`);
        }
      },
      schema: {
        description: `Rows of one table in PostgreSQL COPY text format (${TSV}): one row a line, fields tab-separated, \\N for null. Columns, in order: ${BULK_TABLES.map((t) => `${t} (${BULK_COLUMNS[t].join(', ')})`).join('; ')}.`,
        consumes: [TSV],
        params: Type.Object({ table: Type.Union(BULK_TABLES.map((t) => Type.Literal(t))) }, closed),
        querystring: Type.Object({ runId: RunId, ttlSeconds: Ttl, rows: Type.Integer({ minimum: 1, maximum: 10_000_000, description: 'the rows the body holds' }) }, closed),
        response: { 201: Type.Object({ table: Type.String(), rows: Type.Integer() }), ...errors(400, 404, 409, 413, 415) },
      },
    },
    async (request, reply) => {
      const { table } = request.params as { table: BulkTable };
      const { runId, ttlSeconds, rows } = request.query;
      request.auditRunId = runId;
      request.auditDetail = { table, rows };
      const raw = request.body as Readable;
      // The COPY reads from a pass-through: on an error the request is drained, not cut, so the
      // client gets the answer instead of a broken pipe.
      const body = new PassThrough();
      raw.pipe(body);
      const written = await opts.withinRunBudget(runId, ttlSeconds, rows, async () => {
        try {
          const n = await inTransaction(fastify.db, async (client) => {
            await bulkLoadMode(client);
            const copied = await copyRows(client, table, runId, body, MAX_BULK_BYTES);
            if (copied !== rows) {
              throw new AppError('VALIDATION_FAILED', `${table}: the query says rows=${rows}, the body holds ${copied}`, { table, declared: rows, actual: copied });
            }
            await testdata.recordSeed(client, { runId, ttlSeconds }, { [table]: copied } as testdata.RowCounts, 0);
            return copied;
          });
          return { result: n, written: n };
        } catch (e) {
          raw.unpipe(body);
          raw.resume();
          if (e instanceof BodyTooLarge) throw new AppError('PAYLOAD_TOO_LARGE', `a bulk rows body may hold at most ${MAX_BULK_BYTES} bytes: split it`, { max: MAX_BULK_BYTES });
          throw copyError(table, e as { code?: string }) ?? e;
        }
      });
      reply.code(201);
      return { table, rows: written };
    },
  );

  fastify.post(
    '/verify',
    {
      schema: {
        body: Type.Object({ runId: RunId }, closed),
        response: { 200: Type.Object({ runId: Type.String(), foreignKeys: Type.Integer() }), ...errors(400, 404, 409) },
      },
    },
    async (request) => {
      const { runId } = request.body;
      request.auditRunId = runId;
      const broken = await brokenRunReferences(fastify.db, runId);
      if (broken === null) throw new AppError('NOT_FOUND', `run ${runId} has written no rows here`);
      if (broken.length) {
        const list = broken.map((b) => `${b.rows} ${b.table} row(s) whose ${b.column} has no ${b.parent} row`).join('; ');
        throw new AppError('SCHEMA_MISMATCH', `run ${runId} holds rows with broken references: ${list}`, { broken });
      }
      await setAutovacuum(fastify.db, runId, true);
      return { runId, foreignKeys: PARTITION_FKS.length };
    },
  );
};

export default routes;
