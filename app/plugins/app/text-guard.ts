/**
 * Text PostgreSQL cannot hold, refused before a handler runs with 400 naming the field, instead of
 * reaching the database and coming back as a 500:
 *   - a NUL character (PostgreSQL answers 22021);
 *   - a lone UTF-16 surrogate: PostgreSQL stores it as U+FFFD, so two strings that differ in
 *     JavaScript ("k\ud800", "k\udbff") become one row's key there (a batch upsert then answered
 *     21000, cardinality violation);
 *   - JSON nested deeper than MAX_DEPTH: no field of this API nests past a few levels, and the
 *     walk (here, and PostgreSQL's jsonb parser) must not run out of stack on a 16 KB body of
 *     8,000 brackets.
 * The walk is iterative: a hostile body cannot overflow the stack of the check itself.
 */
import fp from 'fastify-plugin';
import { AppError } from '../../errors.js';

export const MAX_DEPTH = 32;

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export type BadText = { field: string; problem: string };

function badString(s: string, at: string): BadText | undefined {
  if (s.includes('\u0000')) return { field: at, problem: `${at} must not contain NUL (\\u0000) characters` };
  const lone = LONE_SURROGATE.exec(s);
  if (lone) return { field: at, problem: `${at} must be well-formed Unicode: a lone surrogate (\\u${lone[0].charCodeAt(0).toString(16)}) at index ${lone.index} has no character` };
  return undefined;
}

/** The first string (or key) of a parsed request part that PostgreSQL cannot hold, or a nesting too deep, by its path as validation names fields (`body.items[3].title`). */
export function findBadText(value: unknown, root: string): BadText | undefined {
  const todo: { v: unknown; at: string; depth: number }[] = [{ v: value, at: root, depth: 0 }];
  while (todo.length) {
    const { v, at, depth } = todo.pop()!;
    if (typeof v === 'string') {
      const bad = badString(v, at);
      if (bad) return bad;
      continue;
    }
    const isArray = Array.isArray(v);
    // Parsed JSON only: a streamed body (bulk COPY rows) is not walked; PostgreSQL refuses its NULs (22021).
    if (!isArray && !(v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype)) continue;
    if (depth >= MAX_DEPTH) return { field: at, problem: `${at} nests deeper than ${MAX_DEPTH} levels of arrays and objects; at most ${MAX_DEPTH} are accepted` };
    // Pushed in reverse, so that the first bad field in document order is the one named.
    const entries = isArray ? (v as unknown[]).map((x, i) => [`${at}[${i}]`, x, null] as const) : Object.entries(v as object).map(([k, x]) => [`${at}.${k}`, x, k] as const);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [path, x, key] = entries[i]!;
      todo.push({ v: x, at: path, depth: depth + 1 });
      if (key !== null) todo.push({ v: key, at: `${at}.${JSON.stringify(key)}`, depth: depth + 1 });
    }
  }
  return undefined;
}

export default fp(
  async (fastify) => {
    fastify.addHook('preValidation', async (request) => {
      const bad = findBadText(request.params, 'params') ?? findBadText(request.query, 'query') ?? findBadText(request.body, 'body');
      if (bad) throw new AppError('VALIDATION_FAILED', bad.problem, { field: bad.field });
    });
  },
  { name: 'text-guard', dependencies: ['error-handler'] },
);
