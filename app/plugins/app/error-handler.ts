/**
 * One shape for every error: `{ code, message, details? }`, with a message that names the
 * offending field and what it accepts. Codes come from errors.ts only.
 */
import type { FastifyError } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../../errors.js';
import { DATE_TIME_PATTERN } from '../../routes/schemas.js';

type AjvError = { instancePath: string; keyword: string; params: Record<string, unknown>; message?: string };

/** `body/name must NOT have…` → `body.name must not have…`; unknown fields are named. */
export function describeValidation(context: string, e: AjvError): { field: string; message: string } {
  const path = e.instancePath
    .split('/')
    .filter(Boolean)
    .map((seg) => (/^\d+$/.test(seg) ? `[${seg}]` : `.${seg}`))
    .join('');
  const at = `${context}${path}`;
  switch (e.keyword) {
    case 'additionalProperties': {
      const field = `${at}.${String(e.params.additionalProperty)}`;
      return { field, message: `${field} is not an accepted field` };
    }
    case 'required': {
      const field = `${at}.${String(e.params.missingProperty)}`;
      return { field, message: `${field} is required` };
    }
    case 'enum':
      return { field: at, message: `${at} must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'anyOf':
      return { field: at, message: `${at} does not match any accepted form` };
    case 'pattern':
      if (e.params.pattern === DATE_TIME_PATTERN)
        return { field: at, message: `${at} must be an RFC 3339 date-time with a year from 0001 to 9999 and a UTC offset within ±14:59, such as 2024-09-03T14:05:11Z` };
      return { field: at, message: `${at} ${e.message ?? 'is invalid'}` };
    case 'minProperties':
      return { field: at, message: `${at} must name at least one field to change` };
    default:
      return { field: at, message: `${at} ${e.message ?? 'is invalid'}` };
  }
}

/**
 * One mapping of PostgreSQL's error classes (and the driver's connection failures) to answers:
 *   class 22, data exception (a value the database cannot hold)  → 400, the client's to fix
 *   23505 unique violation                                         → 409
 *   23503 foreign key: a row referred to is gone (deleted meanwhile) → 404; still referenced → 409
 *   class 08, 57P01-57P03, refused or dropped connections           → 503 + Retry-After: the database is gone for now
 *   55P03 lock not available, 57014 canceled, 40001, 40P01          → 503 + Retry-After: busy, not broken
 * Anything else is a bug of this app: 500, logged.
 */
/** ` (project_id 42)` from `Key (project_id, test_run_id)=(42, r1) is not present in table "projects_r_…"`: the first key and its value, no table name. */
function referred(detail: string | undefined): string {
  const m = /^Key \(([^,)]+)[^)]*\)=\(([^,)]+)/.exec(detail ?? '');
  return m ? ` (${m[1]} ${m[2]})` : '';
}

export function databaseError(e: { code?: string; message?: string; detail?: string }): { status: number; code: string; message: string; retryAfter?: number } | undefined {
  const code = e.code ?? '';
  if (/^22[0-9A-Z]{3}$/.test(code)) return { status: 400, code: 'VALIDATION_FAILED', message: `a value is outside what the database accepts: ${e.message ?? code}` };
  if (code === '23505') return { status: 409, code: 'ALREADY_EXISTS', message: `a row with these values exists already: ${e.detail ?? ''}`.trim() };
  if (code === '23503') {
    // A write that refers to a row another request deleted meanwhile (an item created while its
    // project is deleted): what a request a moment later gets, 404. A delete of a row others still
    // refer to: a conflict the client resolves first.
    return /still referenced/.test(e.detail ?? '')
      ? { status: 409, code: 'STILL_REFERENCED', message: `other rows still refer to this one: ${e.detail}` }
      : { status: 404, code: 'NOT_FOUND', message: `a row this request refers to was deleted meanwhile${referred(e.detail)}` };
  }
  const gone =
    /^08[0-9A-Z]{3}$/.test(code) ||
    ['57P01', '57P02', '57P03', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND'].includes(code) ||
    /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout/i.test(e.message ?? '');
  if (gone) return { status: 503, code: 'UNAVAILABLE', message: 'the database is unreachable; retry after the Retry-After delay', retryAfter: 5 };
  if (['55P03', '57014', '40001', '40P01'].includes(code)) {
    return { status: 503, code: 'UNAVAILABLE', message: 'the rows or tables this request needs are busy (locked or in conflict); retry after the Retry-After delay', retryAfter: 2 };
  }
  return undefined;
}

export default fp(
  async (fastify) => {
    fastify.setErrorHandler((error: FastifyError | AppError, request, reply) => {
      if (error instanceof AppError) {
        if (error.headers) reply.headers(error.headers);
        return reply.code(error.statusCode).send({ code: error.code, message: error.message, ...(error.details && { details: error.details }) });
      }
      if (error.validation) {
        // A union (e.g. state) reports one error per branch; the enum-like summary is clearer.
        const errs = error.validation as AjvError[];
        const literal = errs.filter((e) => e.keyword === 'const');
        const first =
          literal.length > 1 && literal.every((e) => e.instancePath === literal[0]!.instancePath)
            ? { ...literal[0]!, keyword: 'enum', params: { allowedValues: literal.map((e) => e.params.allowedValue) } }
            : errs[0]!;
        const { field, message } = describeValidation(error.validationContext ?? 'request', first);
        if (first.keyword === 'maxItems' && error.validationContext === 'body') {
          // A batch over its size: 413, naming the limit and the size, like the handler's own check.
          const kind = field.split('.').at(-1)!;
          const size = (request.body as Record<string, unknown[] | undefined> | undefined)?.[kind]?.length;
          return reply.code(413).send({
            code: 'PAYLOAD_TOO_LARGE',
            message: `a batch holds at most ${String(first.params.limit)} ${kind} (BATCH_MAX_SIZE), this one has ${size ?? 'more'}: split it`,
            details: { field, max: first.params.limit, size },
          });
        }
        return reply.code(400).send({ code: 'VALIDATION_FAILED', message, details: { field } });
      }
      switch (error.code) {
        case 'FST_ERR_CTP_BODY_TOO_LARGE':
          return reply.code(413).send({ code: 'PAYLOAD_TOO_LARGE', message: `the request body is larger than this endpoint accepts` });
        case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
          return reply.code(415).send({ code: 'UNSUPPORTED_MEDIA_TYPE', message: 'the body must be application/json' });
        case 'FST_ERR_CTP_EMPTY_JSON_BODY':
          return reply.code(400).send({ code: 'VALIDATION_FAILED', message: 'body is empty but Content-Type is application/json' });
        case 'FST_ERR_CTP_INVALID_JSON_BODY':
          return reply.code(400).send({ code: 'VALIDATION_FAILED', message: `body is not valid JSON: ${error.message}` });
      }
      const db = databaseError(error as { code?: string; message?: string; detail?: string });
      if (db) {
        if (db.status >= 500) request.log.warn({ err: error }, 'database unavailable');
        if (db.retryAfter) reply.header('retry-after', String(db.retryAfter));
        return reply.code(db.status).send({ code: db.code, message: db.message });
      }
      if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
        return reply.code(error.statusCode).send({ code: 'VALIDATION_FAILED', message: error.message });
      }
      request.log.error({ err: error }, 'unhandled error');
      return reply.code(500).send({ code: 'INTERNAL', message: 'internal error; the log has the details under this request id' });
    });

    fastify.setNotFoundHandler((request, reply) => reply.code(404).send({ code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` }));
  },
  { name: 'error-handler' },
);
