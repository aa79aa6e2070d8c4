/**
 * One shape for every error: `{ code, message, details? }`, with a message that names the
 * offending field and what it accepts. Codes come from errors.ts only.
 */
import type { FastifyError } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../../errors.js';

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
    case 'minProperties':
      return { field: at, message: `${at} must name at least one field to change` };
    default:
      return { field: at, message: `${at} ${e.message ?? 'is invalid'}` };
  }
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
      if ((error as { code?: string }).code === '55P03') {
        // lock_timeout: another session holds what this request needs. Busy, not broken.
        return reply
          .code(503)
          .header('retry-after', '2')
          .send({ code: 'UNAVAILABLE', message: 'the tables this request needs are locked by another session; retry after the Retry-After delay' });
      }
      if ((error as { code?: string }).code === '23505') {
        return reply.code(409).send({ code: 'ALREADY_EXISTS', message: `a row with these values exists already: ${(error as { detail?: string }).detail ?? ''}`.trim() });
      }
      if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
        return reply.code(error.statusCode).send({ code: 'VALIDATION_FAILED', message: error.message });
      }
      request.log.error({ err: error }, 'unhandled error');
      return reply.code(500).send({ code: 'INTERNAL', message: 'internal error; the log has the details under this request id' });
    });

    fastify.setNotFoundHandler((request, reply) =>
      reply.code(404).send({ code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` }),
    );
  },
  { name: 'error-handler' },
);
