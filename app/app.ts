/**
 * The app: external plugins → app plugins → routes. server.ts owns the database and the socket;
 * tests build this with their own pool and call `inject`.
 */
import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import Fastify, { type FastifyInstance } from 'fastify';
import type pg from 'pg';
import { type AppConfig, loadAppConfig } from './config.js';
import { type Faults, NO_FAULTS } from './faults.js';
import auth from './plugins/app/auth.js';
import cache from './plugins/app/cache.js';
import jobs from './plugins/app/jobs.js';
import swagger from '@fastify/swagger';
import errorHandler from './plugins/app/error-handler.js';
import textGuard from './plugins/app/text-guard.js';
import { isLoopback, tokenMatches } from './plugins/app/internal-guard.js';
import requestMetrics from './plugins/app/request-metrics.js';
import sweeper from './plugins/app/sweeper.js';
import db from './plugins/external/db.js';
import metrics from './plugins/external/metrics.js';
import health from './routes/health.js';
import internalTest from './routes/internal/test.js';
import attachments from './routes/v1/attachments.js';
import batch from './routes/v1/batch.js';
import comments from './routes/v1/comments.js';
import faultHooks from './plugins/app/fault-hooks.js';
import dashboard from './routes/v1/dashboard.js';
import items from './routes/v1/items.js';
import me from './routes/v1/me.js';
import projects from './routes/v1/projects.js';
import { traceOf } from './trace.js';

export type BuildOptions = {
  config: Pick<AppConfig, 'env' | 'testServiceToken' | 'logLevel' | 'logFile'> & {
    budgets?: AppConfig['budgets'];
    sweeper?: AppConfig['sweeper'];
    faults?: Faults;
    cache?: AppConfig['cache'];
    /** Background workers; in-process apps (tests) run none unless they ask. */
    jobs?: AppConfig['jobs'];
    slowCallMs?: number;
    timeouts?: AppConfig['timeouts'];
  };
  pool: pg.Pool;
};

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Bodies are validated strictly (no type coercion: `"name": 5` is an error, not "5"); the query
 * string and params are text by nature, so they are coerced (`?limit=10` → 10).
 */
function validators() {
  const base = { allErrors: false, removeAdditional: false, useDefaults: true, strict: false } as const;
  const body = addFormats(new Ajv({ ...base, coerceTypes: false }));
  const other = addFormats(new Ajv({ ...base, coerceTypes: 'array' }));
  return ({ schema, httpPart }: { schema: object; httpPart?: string }) => (httpPart === 'body' ? body : other).compile(schema);
}

const DEFAULTS = loadAppConfig({});
/** The budgets when the caller gives none (tests that build the app in-process). */
export const DEFAULT_BUDGETS: AppConfig['budgets'] = DEFAULTS.budgets;
/** In-process apps (tests) run no sweeper unless they ask for one. */
const NO_SWEEPER: AppConfig['sweeper'] = { ...DEFAULTS.sweeper, intervalMs: 0 };

export async function buildApp({ config, pool }: BuildOptions): Promise<FastifyInstance> {
  const b = config.budgets ?? DEFAULT_BUDGETS;
  const budgets = { testEndpoints: { maxRowsPerRun: b.maxRowsPerRun, maxAccountsPerMinute: b.maxAccountsPerMinute }, maxBatchSize: b.maxBatchSize };
  const fastify = Fastify({
    logger: config.logLevel === 'silent' ? false : { level: config.logLevel, ...(config.logFile && { file: config.logFile }) },
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Every log line of a request carries its trace, so a slow trace ID leads to its logs.
    childLoggerFactory: (logger, bindings, opts, raw) => {
      const { traceId, spanId, parentId } = traceOf(raw as Parameters<typeof traceOf>[0]);
      return logger.child({ ...bindings, traceId, spanId, parentSpanId: parentId }, opts);
    },
    trustProxy: false,
    bodyLimit: 1024 * 1024,
    // A client that trickles its request (one byte every 5 s kept a connection 330 s and more):
    // cut at the timeout with 408 (clientErrorHandler below).
    requestTimeout: (config.timeouts ?? DEFAULTS.timeouts).requestMs,
    keepAliveTimeout: (config.timeouts ?? DEFAULTS.timeouts).keepAliveMs,
    // Node checks those timeouts every 30 s by default: a 5 s limit could hold 35 s.
    http: { headersTimeout: (config.timeouts ?? DEFAULTS.timeouts).headersMs, connectionsCheckingInterval: 1000 },
    // Fastify's own refusals (a malformed URL, an unparsable media type) in the error contract too.
    frameworkErrors: (error, _request, reply) => {
      void (reply as unknown as { code(n: number): { send(b: object): unknown } })
        .code(400)
        .send({ code: 'VALIDATION_FAILED', message: error.code === 'FST_ERR_BAD_URL' ? 'the URL is not valid (a malformed percent-encoding?)' : error.message });
    },
    // What Node's HTTP parser refuses before Fastify sees a request (oversized headers, a broken
    // request line) gets the error contract's body, not Node's bare one.
    clientErrorHandler: (err, socket) => {
      const e = err as NodeJS.ErrnoException;
      const [status, text, code, message] =
        e.code === 'HPE_HEADER_OVERFLOW'
          ? [431, 'Request Header Fields Too Large', 'HEADERS_TOO_LARGE', 'the request headers are larger than this server accepts']
          : e.code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? [408, 'Request Timeout', 'REQUEST_TIMEOUT', `the request did not arrive whole within ${(config.timeouts ?? DEFAULTS.timeouts).requestMs} ms (APP_REQUEST_TIMEOUT_MS)`]
            : [400, 'Bad Request', 'VALIDATION_FAILED', 'the request could not be parsed as HTTP'];
      const body = JSON.stringify({ code, message });
      if (socket.writable) socket.end(`HTTP/1.1 ${status} ${text}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      else socket.destroy(err);
    },
  }).withTypeProvider<TypeBoxTypeProvider>();
  fastify.setValidatorCompiler(validators());

  await fastify.register(db, { pool });
  await fastify.register(errorHandler);
  await fastify.register(textGuard);
  await fastify.register(requestMetrics);
  await fastify.register(metrics);
  const faults = config.faults ?? NO_FAULTS;
  await fastify.register(auth, { faults });
  await fastify.register(sweeper, { sweeper: config.sweeper ?? NO_SWEEPER });
  await fastify.register(cache, { ...(config.cache ?? DEFAULTS.cache), faults });
  await fastify.register(jobs, { jobs: config.jobs, faults });

  // The OpenAPI document of every route, from the route schemas (what a client, or the fuzzer,
  // reads): outside production only, like the test endpoints. Registered before the routes it describes.
  if (config.env !== 'production') {
    await fastify.register(swagger, {
      openapi: {
        info: { title: 'app/ (pressure-suite reference backend)', version: '0.1.0' },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, serviceToken: { type: 'apiKey', in: 'header', name: 'x-test-service-token' } } },
      },
    });
    // The test endpoints are described to the callers they serve (loopback with the service
    // token) and to nobody else, as they answer nobody else: a 404 must not be contradicted here.
    fastify.get('/openapi.json', { schema: { hide: true } }, async (request) => {
      const doc = fastify.swagger() as { paths?: Record<string, unknown> };
      if (isLoopback(request.socket.remoteAddress) && tokenMatches(request.headers['x-test-service-token'], config.testServiceToken)) return doc;
      return { ...doc, paths: Object.fromEntries(Object.entries(doc.paths ?? {}).filter(([p]) => !p.startsWith('/internal/'))) };
    });
  }
  await fastify.register(health);
  if (faults.has('unbounded_memo')) await fastify.register(faultHooks, { faults });
  await fastify.register(
    async (v1) => {
      v1.addHook('preHandler', v1.authenticate);
      // A successful write makes the account's cached fragments stale before anyone reads again.
      v1.addHook('onSend', async (request, reply) => {
        if (request.method !== 'GET' && reply.statusCode < 300 && request.account) v1.fragmentCache.invalidate(request.account.id);
      });
      await v1.register(me);
      await v1.register(projects, { lockContention: faults.has('lock_contention'), serializable: faults.has('serializable_updates'), slowCallMs: config.slowCallMs ?? DEFAULTS.slowCallMs });
      await v1.register(items, {
        offsetCursors: faults.has('offset_pagination'),
        fullRows: faults.has('full_rows'),
        exactTotals: faults.has('exact_totals'),
        serialWrites: faults.has('serial_writes'),
        tenantConnection: faults.has('tenant_connection'),
      });
      await v1.register(comments);
      await v1.register(attachments);
      await v1.register(dashboard, { nPlusOne: faults.has('n_plus_one') });
      await v1.register(batch, { maxBatchSize: budgets.maxBatchSize });
    },
    { prefix: '/v1' },
  );
  // In production the test endpoints do not exist at all: not guarded, absent.
  if (config.env !== 'production') {
    await fastify.register(internalTest, { prefix: '/internal/test', serviceToken: config.testServiceToken, budgets: budgets.testEndpoints, faults });
  }
  return fastify;
}
