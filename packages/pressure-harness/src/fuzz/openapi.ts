/**
 * Requests generated from a backend's own OpenAPI document, valid and invalid, with fast-check:
 * every operation's path parameters, query and JSON body drawn from their JSON Schemas, then (for
 * most requests) one mutation that makes the request wrong in one named place: a required field
 * dropped, a wrong type, an unknown field, a string past its length, a NUL character, a number
 * out of range, an id that is not one, a body that is not JSON. Knowing which field was broken is
 * what lets a suite check that the error names it.
 *
 * Deterministic: the same document, seed and count give the same requests.
 */
import fc from 'fast-check';

type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  nullable?: boolean;
  default?: unknown;
};

export type Operation = { method: string; path: string; pathParams: Record<string, Schema>; query: Record<string, Schema>; requiredQuery: string[]; headers: Record<string, Schema>; body?: Schema };
export type Mutation = { kind: string; where: 'body' | 'query' | 'params' | 'none'; field?: string };
export type GeneratedRequest = { op: Operation; method: string; path: string; query: Record<string, string>; headers: Record<string, string>; body?: string; mutation: Mutation };

export type OpenApiDoc = {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: { name: string; in: string; required?: boolean; schema?: Schema }[];
        requestBody?: { content?: Record<string, { schema?: Schema }> };
        responses?: Record<string, unknown>;
        security?: unknown[];
      }
    >
  >;
  security?: unknown[];
};

/** Every operation of the document, or those `keep` lets through. */
export function operationsOf(doc: OpenApiDoc, keep: (method: string, path: string) => boolean = () => true): Operation[] {
  const ops: Operation[] = [];
  for (const [path, byMethod] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(byMethod)) {
      if (!keep(method.toUpperCase(), path)) continue;
      const params = op.parameters ?? [];
      const of = (where: string) => Object.fromEntries(params.filter((p) => p.in === where).map((p) => [p.name, p.schema ?? {}]));
      ops.push({
        method: method.toUpperCase(),
        path,
        pathParams: of('path'),
        query: of('query'),
        requiredQuery: params.filter((p) => p.in === 'query' && p.required).map((p) => p.name),
        headers: of('header'),
        ...(op.requestBody?.content?.['application/json']?.schema && { body: op.requestBody.content['application/json'].schema }),
      });
    }
  }
  return ops;
}

const typeOf = (s: Schema) => (Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type);

/** Valid values of a JSON Schema, kept small (short strings, short arrays, integers near their minimum). */
export function valid(s: Schema, depth = 0): fc.Arbitrary<unknown> {
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const union = s.anyOf ?? s.oneOf;
  if (union) return fc.oneof(...union.map((u) => valid(u, depth)));
  if (s.allOf) return valid(Object.assign({}, ...s.allOf) as Schema, depth);
  switch (typeOf(s)) {
    case 'string': {
      if (s.format === 'date-time') return fc.date({ min: new Date('2001-01-01T00:00:00Z'), max: new Date('2029-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
      if (s.format === 'email') return fc.emailAddress().filter((e) => e.length <= (s.maxLength ?? 320));
      if (s.pattern) return fc.stringMatching(new RegExp(s.pattern)).filter((v) => v.length >= (s.minLength ?? 0) && v.length <= (s.maxLength ?? Infinity));
      const min = s.minLength ?? 0;
      return fc.string({ minLength: min, maxLength: Math.min(s.maxLength ?? min + 20, min + 20), unit: 'grapheme-ascii' });
    }
    case 'integer': {
      const min = Math.max(s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : -1000), -1e9);
      const max = Math.min(s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : min + 1000), min + 50);
      return fc.integer({ min, max: Math.max(min, max) });
    }
    case 'number':
      return fc.double({ min: s.minimum ?? -1000, max: Math.min(s.maximum ?? 1000, (s.minimum ?? 0) + 1000), noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return depth > 3 ? fc.constant([]) : fc.array(valid(s.items ?? {}, depth + 1), { minLength: s.minItems ?? 0, maxLength: Math.max(s.minItems ?? 0, Math.min(s.maxItems ?? 3, 3)) });
    case 'object':
    default: {
      if (!s.properties) return typeOf(s) === 'object' ? fc.constant({}) : fc.constant('x');
      const required = new Set(s.required ?? []);
      const keys = Object.keys(s.properties);
      return fc.record(Object.fromEntries(keys.map((k) => [k, valid(s.properties![k]!, depth + 1)])), { requiredKeys: keys.filter((k) => required.has(k)) });
    }
  }
}

/** The leaf fields of a body schema, as paths (`items.0.title` style segments), with their schemas. */
function fieldsOf(s: Schema, value: unknown, at: string[] = []): { path: string[]; schema: Schema }[] {
  const out: { path: string[]; schema: Schema }[] = [];
  if (typeOf(s) === 'object' && s.properties && value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, sub] of Object.entries(s.properties)) {
      if (k in (value as object)) {
        out.push({ path: [...at, k], schema: sub });
        out.push(...fieldsOf(sub, (value as Record<string, unknown>)[k], [...at, k]));
      }
    }
  } else if (typeOf(s) === 'array' && Array.isArray(value) && value.length && s.items) {
    out.push(...fieldsOf(s.items, value[0], [...at, '0']));
  }
  return out;
}

const setAt = (obj: unknown, path: string[], v: unknown | typeof DROP): unknown => {
  const copy = structuredClone(obj) as Record<string, unknown>;
  let cur: Record<string, unknown> = copy;
  for (const seg of path.slice(0, -1)) cur = cur[seg] as Record<string, unknown>;
  const last = path.at(-1)!;
  if (v === DROP) delete cur[last];
  else cur[last] = v;
  return copy;
};
const DROP = Symbol('drop');

/** One way to make a valid body wrong in one named field; undefined where the field allows it. */
function breakField(s: Schema, pick: number): { value: unknown | typeof DROP; kind: string } | undefined {
  const t = typeOf(s);
  const options: { value: unknown | typeof DROP; kind: string }[] = [{ value: t === 'string' ? 12345 : 'not-of-this-type', kind: 'wrong type' }];
  if (t === 'string') {
    options.push({ value: `bad\u0000value`, kind: 'NUL character' });
    if (s.maxLength !== undefined) options.push({ value: 'x'.repeat(s.maxLength + 1), kind: 'too long' });
    if (s.format === 'date-time') options.push({ value: '0000-01-01T00:00:00Z', kind: 'date out of range' }, { value: '2024-01-01T00:00:00+23:59', kind: 'offset out of range' });
  }
  if ((t === 'integer' || t === 'number') && s.maximum !== undefined) options.push({ value: s.maximum * 1e6 + 1e20, kind: 'number too large' });
  if ((t === 'integer' || t === 'number') && s.minimum !== undefined) options.push({ value: s.minimum - 1, kind: 'number too small' });
  if (s.enum || s.anyOf) options.push({ value: 'no-such-value', kind: 'not one of the accepted values' });
  return options[pick % options.length];
}

/**
 * Requests for the operations: `ids` fills path parameters (a suite's own ids, another tenant's,
 * garbage); `fix` lets a suite pin fields it must control (a run ID in its own namespace).
 */
export function requests(ops: Operation[], o: { ids: (name: string) => fc.Arbitrary<string>; fix?: (r: GeneratedRequest) => GeneratedRequest; invalidShare?: number }): fc.Arbitrary<GeneratedRequest> {
  const perOp = ops.map((op) =>
    fc
      .record({
        params: fc.record(Object.fromEntries(Object.keys(op.pathParams).map((k) => [k, o.ids(k)]))),
        query: op.query ? (valid({ type: 'object', properties: op.query, required: op.requiredQuery }) as fc.Arbitrary<Record<string, unknown>>) : fc.constant({}),
        body: op.body ? valid(op.body) : fc.constant(undefined),
        mutate: fc.double({ min: 0, max: 1, noNaN: true }),
        pick: fc.nat(),
      })
      .map(({ params, query, body, mutate, pick }): GeneratedRequest => {
        let mutation: Mutation = { kind: 'none', where: 'none' };
        let rawBody = body === undefined ? undefined : JSON.stringify(body);
        const q = Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)]));
        if (mutate < (o.invalidShare ?? 0.7)) {
          const fields = op.body ? fieldsOf(op.body, body) : [];
          const required = op.body?.required ?? [];
          const choice = pick % 6;
          if (op.body && choice === 0) {
            rawBody = '{"not json';
            mutation = { kind: 'malformed JSON', where: 'body' };
          } else if (op.body && choice === 1 && body && typeof body === 'object') {
            rawBody = JSON.stringify({ ...(body as object), unexpectedField: 1 });
            mutation = { kind: 'unknown field', where: 'body', field: 'unexpectedField' };
          } else if (op.body && choice === 2 && required.length) {
            const f = required[pick % required.length]!;
            rawBody = JSON.stringify(setAt(body, [f], DROP));
            mutation = { kind: 'missing required field', where: 'body', field: f };
          } else if (fields.length && choice <= 4) {
            const target = fields[pick % fields.length]!;
            const broken = breakField(target.schema, pick);
            if (broken) {
              rawBody = JSON.stringify(setAt(body, target.path, broken.value));
              mutation = { kind: broken.kind, where: 'body', field: target.path.filter((p) => !/^\d+$/.test(p)).at(-1)! };
            }
          } else if (Object.keys(op.query).length) {
            const k = Object.keys(op.query)[pick % Object.keys(op.query).length]!;
            q[k] = ['-1', 'abc', '1e999', '\u0000', '99999999999999999999'][pick % 5]!;
            mutation = { kind: 'bad query value', where: 'query', field: k };
          }
        }
        const path = op.path.replace(/\{(\w+)\}/g, (_, k: string) => encodeURIComponent(String(params[k])));
        const r: GeneratedRequest = {
          op,
          method: op.method,
          path,
          query: q,
          headers: { ...(rawBody !== undefined && { 'content-type': 'application/json' }) },
          ...(rawBody !== undefined && { body: rawBody }),
          mutation,
        };
        return o.fix ? o.fix(r) : r;
      }),
  );
  return fc.oneof(...perOp);
}

/** `n` requests from a seed: the same every time. */
export const sampleRequests = (arb: fc.Arbitrary<GeneratedRequest>, n: number, seed: number): GeneratedRequest[] => fc.sample(arb, { numRuns: n, seed });
