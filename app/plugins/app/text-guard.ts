/**
 * PostgreSQL text cannot hold a NUL character (it answers 22021). A request carrying one in any
 * string of its body, query or path is refused here with 400 naming the field, before a handler
 * runs, instead of reaching the database and coming back as a 500.
 */
import fp from 'fastify-plugin';
import { AppError } from '../../errors.js';

/** The path of the first string holding a NUL, as the validation messages name fields (`body.items[3].title`). */
export function findNul(value: unknown, at: string): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? at : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNul(value[i], `${at}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  // Parsed JSON only: a streamed body (bulk COPY rows) is not walked; PostgreSQL refuses its NULs (22021).
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [k, v] of Object.entries(value)) {
      const found = (k.includes('\u0000') ? `${at}.${JSON.stringify(k)}` : undefined) ?? findNul(v, `${at}.${k}`);
      if (found) return found;
    }
  }
  return undefined;
}

export default fp(
  async (fastify) => {
    fastify.addHook('preValidation', async (request) => {
      const field = findNul(request.params, 'params') ?? findNul(request.query, 'query') ?? findNul(request.body, 'body');
      if (field) throw new AppError('VALIDATION_FAILED', `${field} must not contain NUL (\\u0000) characters`, { field });
    });
  },
  { name: 'text-guard', dependencies: ['error-handler'] },
);
