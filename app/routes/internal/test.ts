/**
 * Test-only endpoints, registered only when APP_ENV is not production, behind internal-guard.
 * They write set-based and tag every row with the caller's run ID and expiry.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { performance } from 'node:perf_hooks';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../../errors.js';
import { newToken } from '../../plugins/app/auth.js';
import internalGuard from '../../plugins/app/internal-guard.js';
import { inTransaction } from '../../sql/db.js';
import * as testdata from '../../sql/testdata.js';
import { errors, Id } from '../schemas.js';
import rateLimit from '@fastify/rate-limit';
import * as datasets from '../../sql/datasets.js';
import { bulkLoadMode, ensureRunPartitions, forgetFailedRun, verifyAccountReferences } from '../../sql/partitions.js';
import { generateWhale } from '../../sql/whale.js';
import { jobCompletion } from '../../sql/jobs.js';
import { statementStats } from '../../sql/statements.js';
import { claimDataset, publishDataset, shardEvent } from '../../sql/coordination.js';
import type { Faults } from '../../faults.js';
import bulkRoutes from './bulk.js';
import { RunId, SeedBody, type SeedAccountInput, WhaleBody, whaleRowBound } from './seed-schema.js';

/** Most rows one seed request may write; more must be split into several requests. */
export const MAX_ROWS_PER_SEED_REQUEST = 200_000;

const RowCounts = Type.Record(Type.String(), Type.Integer());
const closed = { additionalProperties: false } as const;
/** What a seeded account comes back as: enough to act as it at once. */
const Seeded = Type.Object({
  account: Type.Object({ id: Type.String(), name: Type.String(), email: Type.String() }),
  token: Type.String(),
  projectIds: Type.Array(Type.String()),
  rows: RowCounts,
});
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
      // Without createdAt the row is created now: a publishedAt of the past would precede it.
      if (it.publishedAt && !it.createdAt) throw invalid(`${at}.createdAt`, 'is required when publishedAt is set');
      const created = Date.parse(it.createdAt ?? '') || -Infinity;
      if (it.publishedAt && Date.parse(it.publishedAt) < created) throw invalid(`${at}.publishedAt`, 'must not be before createdAt');
      if (it.archivedAt && it.publishedAt && Date.parse(it.archivedAt) < Date.parse(it.publishedAt)) {
        throw invalid(`${at}.archivedAt`, 'must not be before publishedAt');
      }
      (it.comments ?? []).forEach((c, ci) => {
        if (c.replyTo !== undefined && c.replyTo >= ci) {
          throw invalid(
            `${at}.comments[${ci}].replyTo`,
            ci === 0 ? 'must be absent on the first comment of an item (there is no earlier comment to answer)' : `must name an earlier comment of the same item (0 to ${ci - 1})`,
          );
        }
      });
    }),
  );
}

const invalid = (field: string, problem: string) => new AppError('VALIDATION_FAILED', `${field} ${problem}`, { field });

export type InternalTestOptions = { faults: Faults; serviceToken: string; budgets: { maxRowsPerRun: number; maxAccountsPerMinute: number } };

const routes: FastifyPluginAsyncTypebox<InternalTestOptions> = async (fastify, opts) => {
  await fastify.register(internalGuard, { serviceToken: opts.serviceToken });
  // Accounts created per minute, across all callers: answered 429 with Retry-After beyond it.
  await fastify.register(rateLimit, { global: false });
  const accountsPerMinute = {
    rateLimit: {
      // Counted after validation: a request refused for its body creates no account and costs none of the budget.
      hook: 'preHandler' as const,
      max: opts.budgets.maxAccountsPerMinute,
      timeWindow: 60_000,
      keyGenerator: () => 'accounts',
      errorResponseBuilder: (_req: unknown, ctx: { max: number; after: string }) =>
        new AppError('RATE_LIMITED', `at most ${ctx.max} accounts may be created per minute (SEED_MAX_ACCOUNTS_PER_MINUTE); retry in ${ctx.after}`, {
          max: ctx.max,
        }),
    },
  };

  /** Reserves rows against the run's budget (413 past it) and gives back what `write` did not use. */
  async function withinRunBudget<T>(runId: string, ttlSeconds: number, rows: number, write: () => Promise<{ result: T; written: number }>): Promise<T> {
    const max = opts.budgets.maxRowsPerRun;
    const r = await testdata.reserveRunRows(fastify.db, runId, ttlSeconds, rows, max);
    if ('over' in r) {
      throw new AppError('PAYLOAD_TOO_LARGE', `run ${runId} may write at most ${max} rows (SEED_MAX_ROWS_PER_RUN); it has ${r.over} and this request would add up to ${rows}`, {
        runId,
        max,
        used: r.over,
        requested: rows,
      });
    }
    let written = 0;
    let failed = false;
    try {
      await ensureRunPartitions(fastify.db, runId);
      const out = await write();
      written = out.written;
      return out.result;
    } catch (e) {
      failed = true;
      throw e;
    } finally {
      await testdata.releaseRunRows(fastify.db, runId, rows - written);
      // A first seed that failed leaves nothing behind: no record, no empty partitions.
      if (failed) await forgetFailedRun(fastify.db, runId).catch((e: Error) => fastify.log.warn({ err: e, runId }, 'a failed run is left to its TTL'));
    }
  }

  await fastify.register(bulkRoutes, { prefix: '/bulk', withinRunBudget });

  fastify.post(
    '/seedAccount',
    {
      config: accountsPerMinute,
      bodyLimit: 256 * 1024 * 1024,
      schema: {
        body: SeedBody,
        response: {
          201: Seeded,
          ...errors(400, 404, 409, 413, 429),
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
      const result = await withinRunBudget(body.runId, body.ttlSeconds, total, async () => ({
        result: await inTransaction(fastify.db, async (client) => {
          const bulk = await bulkLoadMode(client);
          const seeded = await testdata.seedAccount(client, body, fastify.hashToken(token));
          if (bulk) await verifyAccountReferences(client, body.runId, seeded.account.id);
          await testdata.recordSeed(client, body, rows, performance.now() - started);
          return seeded;
        }),
        written: total,
      }));
      reply.code(201);
      return { account: result.account, token, projectIds: result.projectIds, rows };
    },
  );

  fastify.post(
    '/seedWhaleAccount',
    {
      config: accountsPerMinute,
      bodyLimit: 64 * 1024 * 1024,
      schema: {
        body: WhaleBody,
        response: {
          201: Type.Object({ ...Seeded.properties, ms: Type.Integer() }),
          ...errors(400, 404, 409, 413, 429),
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      request.auditRunId = body.runId;
      const bound = whaleRowBound(body);
      request.auditDetail = { rowBound: bound, projects: body.itemCounts.length, email: body.account.email };
      const started = performance.now();
      const token = newToken();
      const result = await withinRunBudget(body.runId, body.ttlSeconds, bound, async () => {
        const seeded = await inTransaction(fastify.db, (client) =>
          testdata.seedAccount(client, { runId: body.runId, ttlSeconds: body.ttlSeconds, seed: body.seed, account: body.account }, fastify.hashToken(token)),
        );
        let made;
        try {
          made = await generateWhale(fastify.db, {
            runId: body.runId,
            ttlSeconds: body.ttlSeconds,
            seed: body.seed,
            accountId: seeded.account.id,
            authorName: body.account.name,
            itemCounts: body.itemCounts,
            commentDepth: body.commentDepth,
            attachmentRate: body.attachmentRate,
            tagsPerItem: body.tagsPerItem,
            referenceDate: body.referenceDate ?? '2025-01-01T00:00:00Z',
            bank: body.bank,
          });
        } catch (e) {
          // The slices commit on their own: take the whole account back out, nothing partial.
          await testdata.cleanupRun(fastify.db, body.runId, seeded.account.id);
          throw e;
        }
        const rows = { accounts: 1, api_tokens: 1, projects: 0, items: 0, comments: 0, attachments: 0, tags: 0, item_tags: 0, notifications: 0, search_documents: 0, ...made };
        await testdata.recordSeed(fastify.db, body, rows, performance.now() - started);
        const projectIds = (await fastify.db.query<{ id: string }>(`SELECT id::text FROM projects WHERE account_id = $1 ORDER BY id`, [seeded.account.id])).rows.map((r) => r.id);
        return { result: { account: seeded.account, rows, projectIds }, written: Object.values(rows).reduce((a, b) => a + b, 0) };
      });
      reply.code(201);
      return { ...result, token, ms: Math.round(performance.now() - started) };
    },
  );

  fastify.get('/sweeper', { schema: { response: { 200: Type.Unknown(), ...errors(404) } } }, async () => fastify.sweeper.state);

  fastify.get(
    '/dataset',
    {
      schema: {
        response: {
          200: Type.Object({
            name: Type.String(),
            profile: Type.String(),
            seed: Type.String(),
            schemaVersion: Type.Integer(),
            sourceRunId: Type.String(),
            counts: RowCounts,
            accounts: Type.Array(Type.Object({ index: Type.Integer(), tier: Type.String(), id: Type.String(), email: Type.String(), token: Type.String() })),
          }),
          ...errors(404),
        },
      },
    },
    async () => {
      const ds = await datasets.restoredDataset(fastify.db);
      if (!ds) throw new AppError('NOT_FOUND', 'this database was not restored from a saved dataset');
      return ds;
    },
  );

  fastify.post(
    '/cleanup',
    {
      schema: {
        // scope: one account's rows of the run (the contract's word for a part of a run).
        querystring: Type.Object({ runId: RunId, scope: Type.Optional(Id) }, closed),
        response: { 200: Type.Object({ runId: Type.String(), deleted: RowCounts, remaining: RowCounts }), ...errors(400, 404) },
      },
    },
    async (request) => {
      const { runId, scope } = request.query;
      const deleted = await testdata.cleanupRun(fastify.db, runId, scope);
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

  // Async work of one account: its items, and when their jobs completed (the burst scenario's
  // SLA check reads this), with the queues' depth now.
  fastify.get('/accounts/:id/jobs', { schema: { params: Type.Object({ id: Id }, closed), response: { 200: Type.Unknown(), ...errors(400, 404) } } }, async (request) => ({
    ...(await jobCompletion(fastify.db, request.params.id)),
    queueDepth: await fastify.jobs.depth(),
    workers: fastify.jobs.enabled,
  }));

  // A cold cache on purpose: forgets the accounts' cached dashboard fragments.
  fastify.post(
    '/cache/evict',
    {
      schema: {
        body: Type.Object({ accountIds: Type.Array(Id, { minItems: 1, maxItems: 10_000 }) }, closed),
        response: { 200: Type.Object({ evicted: Type.Integer() }), ...errors(400, 404) },
      },
    },
    async (request) => ({ evicted: fastify.fragmentCache.evict(request.body.accountIds) }),
  );

  // The heap after a full collection: what a soak reads to tell retained memory from garbage not
  // yet collected. gc is switched on here, not by a command-line flag the app may not be given.
  fastify.post('/heap', { schema: { response: { 200: Type.Record(Type.String(), Type.Number()), ...errors(404) } } }, async () => {
    v8.setFlagsFromString('--expose-gc');
    (vm.runInNewContext('gc') as () => void)();
    const m = process.memoryUsage();
    return { heapUsed: m.heapUsed, heapTotal: m.heapTotal, rss: m.rss, external: m.external, arrayBuffers: m.arrayBuffers };
  });

  // Statement statistics (pg_stat_statements) for the perf reports' slowest DB statements.
  fastify.get('/db/statements', { schema: { response: { 200: Type.Unknown(), ...errors(404) } } }, async () => statementStats(fastify.db));

  // One run, several processes (shards, workers): the dataset is seeded by the first claimant,
  // the others wait and reuse it; a claim quiet for 15 minutes may be taken over.
  const DatasetParams = Type.Object({ runId: RunId, name: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,99}$' }) }, closed);
  const Claimant = Type.String({ minLength: 1, maxLength: 200 });
  fastify.post(
    '/runs/:runId/datasets/:name/claim',
    { schema: { params: DatasetParams, body: Type.Object({ by: Claimant }, closed), response: { 200: Type.Unknown(), ...errors(400, 404) } } },
    async (request) => claimDataset(fastify.db, request.params.runId, request.params.name, request.body.by, 15 * 60),
  );
  fastify.put(
    '/runs/:runId/datasets/:name',
    {
      schema: {
        params: DatasetParams,
        // manifest: what the seeder publishes for the others (here, the dataset's accounts and tokens).
        body: Type.Object({ by: Claimant, manifest: Type.Array(Type.Unknown(), { maxItems: 100_000 }), rows: Type.Record(Type.String(), Type.Integer()) }, closed),
        response: { 200: Type.Object({ published: Type.Boolean() }), ...errors(400, 404, 409) },
      },
    },
    async (request) => {
      const { runId, name } = request.params;
      if (!(await publishDataset(fastify.db, runId, name, request.body.by, request.body.manifest, request.body.rows))) {
        throw new AppError('CLAIM_LOST', `dataset ${name} of run ${runId} is not being seeded by ${request.body.by} (taken over after going quiet, or already published)`);
      }
      return { published: true };
    },
  );
  fastify.post(
    '/runs/:runId/shards',
    {
      schema: {
        params: Type.Object({ runId: RunId }, closed),
        body: Type.Object(
          { shard: Type.Integer({ minimum: 1, maximum: 1000 }), total: Type.Integer({ minimum: 1, maximum: 1000 }), event: Type.Union([Type.Literal('start'), Type.Literal('finish')]) },
          closed,
        ),
        response: { 200: Type.Object({ finished: Type.Integer(), total: Type.Integer(), last: Type.Boolean() }), ...errors(400, 404) },
      },
    },
    async (request) => {
      const { shard, total, event } = request.body;
      if (shard > total) throw new AppError('VALIDATION_FAILED', `body.shard must be at most body.total (${total}), got ${shard}`);
      return shardEvent(fastify.db, request.params.runId, shard, total, event);
    },
  );

  // Which regressions this app runs with (APP_FAULTS), so a report says what it measured.
  fastify.get('/faults', { schema: { response: { 200: Type.Object({ faults: Type.Array(Type.String()) }), ...errors(404) } } }, async () => ({ faults: [...opts.faults] }));

  fastify.post('/reap', { schema: { response: { 200: Type.Object({ deleted: RowCounts, runs: Type.Array(Type.String()) }), ...errors(404) } } }, async (request) => {
    const result = await testdata.reapExpired(fastify.db);
    request.auditDetail = { runs: result.runs };
    return result;
  });
};
export default routes;
