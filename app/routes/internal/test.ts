/**
 * Test-only endpoints, registered only when APP_ENV is not production, behind internal-guard.
 * They write set-based and tag every row with the caller's run ID and expiry.
 */
import { performance } from 'node:perf_hooks';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../../errors.js';
import { hashToken, newToken } from '../../plugins/app/auth.js';
import internalGuard from '../../plugins/app/internal-guard.js';
import { inTransaction } from '../../sql/db.js';
import * as testdata from '../../sql/testdata.js';
import { errors, Id } from '../schemas.js';
import { RunId, SeedBody, type SeedAccountInput } from './seed-schema.js';

/** Most rows one seed request may write; more must be split into several requests. */
export const MAX_ROWS_PER_SEED_REQUEST = 200_000;

const RowCounts = Type.Record(Type.String(), Type.Integer());
const closed = { additionalProperties: false } as const;
/** Checks the schema cannot express: state history, reply indexes. Names the first bad field. */
function checkSeedConsistency(body: SeedAccountInput): void {
  (body.projects ?? []).forEach((p, pi) =>
    (p.items ?? []).forEach((it, ii) => {
      const at = `body.projects[${pi}].items[${ii}]`;
      const state = it.state ?? 'draft';
      if (state !== 'draft' && !it.publishedAt) throw invalid(`${at}.publishedAt`, `is required when state is ${state}`);
      if (state === 'archived' && !it.archivedAt) throw invalid(`${at}.archivedAt`, 'is required when state is archived');
      if (state === 'draft' && (it.publishedAt || it.archivedAt)) throw invalid(`${at}.state`, 'is draft but publishedAt or archivedAt is set');
      if (state === 'published' && it.archivedAt) throw invalid(`${at}.archivedAt`, 'must be absent when state is published');
      const created = Date.parse(it.createdAt ?? '') || -Infinity;
      if (it.publishedAt && Date.parse(it.publishedAt) < created) throw invalid(`${at}.publishedAt`, 'must not be before createdAt');
      if (it.archivedAt && it.publishedAt && Date.parse(it.archivedAt) < Date.parse(it.publishedAt)) {
        throw invalid(`${at}.archivedAt`, 'must not be before publishedAt');
      }
      (it.comments ?? []).forEach((c, ci) => {
        if (c.replyTo !== undefined && c.replyTo >= ci) throw invalid(`${at}.comments[${ci}].replyTo`, `must name an earlier comment of the same item (0 to ${ci - 1})`);
      });
    }),
  );
}

const invalid = (field: string, problem: string) => new AppError('VALIDATION_FAILED', `${field} ${problem}`, { field });

const routes: FastifyPluginAsyncTypebox<{ serviceToken: string }> = async (fastify, opts) => {
  await fastify.register(internalGuard, { serviceToken: opts.serviceToken });

  fastify.post(
    '/seedAccount',
    {
      bodyLimit: 256 * 1024 * 1024,
      schema: {
        body: SeedBody,
        response: {
          201: Type.Object({
            account: Type.Object({ id: Type.String(), name: Type.String(), email: Type.String() }),
            token: Type.String(),
            projectIds: Type.Array(Type.String()),
            rows: RowCounts,
          }),
          ...errors(400, 404, 409, 413),
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      request.auditRunId = body.runId;
      checkSeedConsistency(body);
      const rows = testdata.countSeedRows(body);
      const total = Object.values(rows).reduce((a, b) => a + b, 0);
      if (total > MAX_ROWS_PER_SEED_REQUEST) {
        throw new AppError('PAYLOAD_TOO_LARGE', `one seedAccount request may write at most ${MAX_ROWS_PER_SEED_REQUEST} rows, this one would write ${total}: split it`, {
          rows: total,
          max: MAX_ROWS_PER_SEED_REQUEST,
        });
      }
      request.auditDetail = { rows: total, email: body.account.email };
      const started = performance.now();
      const token = newToken();
      const result = await inTransaction(fastify.db, async (client) => {
        const seeded = await testdata.seedAccount(client, body, hashToken(token));
        await testdata.recordSeed(client, body, rows, performance.now() - started);
        return seeded;
      });
      reply.code(201);
      return { account: result.account, token, projectIds: result.projectIds, rows };
    },
  );

  fastify.post(
    '/cleanup',
    {
      schema: {
        querystring: Type.Object({ runId: RunId, accountId: Type.Optional(Id) }, closed),
        response: { 200: Type.Object({ runId: Type.String(), deleted: RowCounts, remaining: RowCounts }), ...errors(400, 404) },
      },
    },
    async (request) => {
      const { runId, accountId } = request.query;
      const deleted = await testdata.cleanupRun(fastify.db, runId, accountId);
      const remaining = await testdata.countRunRows(fastify.db, runId);
      request.auditDetail = { deleted };
      return { runId, deleted, remaining };
    },
  );

  fastify.get(
    '/runs/:runId',
    {
      schema: {
        params: Type.Object({ runId: RunId }),
        response: { 200: Type.Object({ runId: Type.String(), rows: RowCounts, total: Type.Integer() }), ...errors(400, 404) },
      },
    },
    async (request) => {
      const rows = await testdata.countRunRows(fastify.db, request.params.runId);
      return { runId: request.params.runId, rows, total: Object.values(rows).reduce((a, b) => a + b, 0) };
    },
  );

  fastify.post(
    '/reap',
    { schema: { response: { 200: Type.Object({ deleted: RowCounts, runs: Type.Array(Type.String()) }), ...errors(404) } } },
    async (request) => {
      const result = await testdata.reapExpired(fastify.db);
      request.auditDetail = { runs: result.runs };
      return result;
    },
  );
};
export default routes;
