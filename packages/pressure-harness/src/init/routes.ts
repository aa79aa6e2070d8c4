/**
 * `pressure init`'s routes: which endpoints list an entity's rows, page them, and create one.
 * From the backend's OpenAPI document when it has one (given, or found at a usual path); else
 * from the routes it can be seen answering: GET /<table> and /<parent>/<key>/<table>, with the
 * key of a row the database holds, and POST of an empty body to see which collections take writes.
 */
import fc from 'fast-check';
import { operationsOf, valid, type OpenApiDoc } from '../fuzz/openapi.js';
import type { InitEntity } from './model.js';

export type InitRoute = {
  /** The path as a template: `/articles/{slug}/comments`. */
  path: string;
  entity: string;
  /** A nested list's parent entity and the column its path parameter holds. */
  parent?: { entity: string; column: string; param: string };
  list: boolean;
  /** Query parameters of limit/offset paging, when the route takes them. */
  paged?: { limit: string; offset: string };
  /** A create endpoint: a valid body (drawn from its schema), if the document gives one. */
  create?: { body?: unknown; required: string[] };
  /** Answered 401 or 403 without a credential. */
  auth: boolean;
  /** Where it was learnt: 'openapi' or 'probe'. */
  from: 'openapi' | 'probe';
};

/** The usual places of an OpenAPI document (JSON), tried in order. */
export const OPENAPI_PATHS = ['/openapi.json', '/docs/json', '/swagger.json', '/api-docs', '/v3/api-docs', '/documentation/json'];

const plural = (t: string) => t.split('.').pop()!;
const singular = (t: string) => plural(t).replace(/ies$/, 'y').replace(/s$/, '');
/** The entity a path segment names (`articles` or `article` for the table articles). */
export function entityOfSegment(segment: string, entities: readonly InitEntity[]): InitEntity | undefined {
  const s = segment.toLowerCase().replace(/-/g, '_');
  return entities.find((e) => plural(e.table) === s) ?? entities.find((e) => singular(e.table) === s || e.entity === s);
}

/** Routes from an OpenAPI document: GETs of collections, POSTs with a JSON body, mapped to entities. */
export function routesFromOpenApi(doc: OpenApiDoc & { components?: unknown }, entities: readonly InitEntity[]): InitRoute[] {
  const routes = new Map<string, InitRoute>();
  for (const op of operationsOf(doc)) {
    if (/^\/(internal|metrics|health|livez|readyz|openapi|docs)/i.test(op.path)) continue;
    const parts = op.path.split('/').filter(Boolean);
    const last = parts.at(-1);
    if (!last || last.startsWith('{') || !['GET', 'POST'].includes(op.method)) continue;
    const e = entityOfSegment(last, entities);
    if (!e) continue;
    const params = parts.filter((p) => p.startsWith('{'));
    if (params.length > 1) continue;
    let parent: InitRoute['parent'];
    if (params.length === 1) {
      const i = parts.indexOf(params[0]!);
      const pe = i > 0 ? entityOfSegment(parts[i - 1]!, entities) : undefined;
      const param = params[0]!.slice(1, -1);
      if (!pe) continue;
      parent = { entity: pe.entity, param, column: [pe.key, ...pe.naturalKeys].find((c) => c === param) ?? pe.key ?? param };
    }
    const r = routes.get(op.path) ?? { path: op.path, entity: e.entity, ...(parent && { parent }), list: false, auth: false, from: 'openapi' as const };
    // A credential: asked for by a security requirement, or said by a 401 or 403 among the answers.
    const raw = doc.paths[op.path]![op.method.toLowerCase()];
    r.auth ||= Boolean((raw?.security ?? doc.security ?? []).length) || Object.keys(raw?.responses ?? {}).some((code) => code === '401' || code === '403');
    if (op.method === 'GET') {
      r.list = true;
      const q = Object.keys(op.query);
      const limit = q.find((k) => /^(limit|per_?page|page_?size|size)$/i.test(k));
      const offset = q.find((k) => /^(offset|skip|start)$/i.test(k));
      if (limit && offset) r.paged = { limit, offset };
    } else if (op.body) {
      // One valid body, the same for every init of this document.
      const [body] = fc.sample(valid(op.body as never), { numRuns: 1, seed: 1 });
      r.create = { body, required: (op.body as { required?: string[] }).required ?? [] };
    }
    routes.set(op.path, r);
  }
  return [...routes.values()].filter((r) => r.list || r.create);
}

type Probe = (method: 'GET' | 'POST', path: string, body?: unknown) => Promise<{ status: number; json: unknown }>;

/**
 * Routes seen answering: GET /<table> (or its singular) with JSON, and for each child entity
 * GET /<parent>/<value>/<table> with the key (or a natural key) of a row `sample` finds; paging
 * when limit and offset are accepted (not refused with a 4xx); POST of an empty body answered
 * with anything but 404 and 405 makes the route a collection that takes writes.
 */
export async function routesByProbing(entities: readonly InitEntity[], probe: Probe, sample: (entity: InitEntity) => Promise<Record<string, string> | undefined>): Promise<InitRoute[]> {
  const found: InitRoute[] = [];
  const isList = (r: { status: number; json: unknown }) => (r.status === 200 || r.status === 401 || r.status === 403) && (r.status !== 200 || hasArray(r.json));
  for (const e of entities) {
    const candidates: { path: string; concrete: string; parent?: InitRoute['parent'] }[] = [plural(e.table), singular(e.table)].map((s) => ({ path: `/${s}`, concrete: `/${s}` }));
    const pe = e.parent ? entities.find((x) => x.entity === e.parent) : undefined;
    const row = pe ? await sample(pe) : undefined;
    if (pe && row)
      for (const column of [pe.key, ...pe.naturalKeys].filter((c): c is string => Boolean(c) && row[c!] != null))
        for (const seg of [plural(pe.table), singular(pe.table)])
          candidates.push({
            path: `/${seg}/{${column}}/${plural(e.table)}`,
            concrete: `/${seg}/${encodeURIComponent(row[column]!)}/${plural(e.table)}`,
            parent: { entity: pe.entity, column, param: column },
          });
    for (const c of candidates) {
      const got = await probe('GET', c.concrete);
      // A refusal says a route is there, not that it lists: only a plural path counts as a collection then (`/user` is one's own).
      if (!isList(got) || (got.status !== 200 && !c.path.endsWith(`/${plural(e.table)}`))) continue;
      const route: InitRoute = { path: c.path, entity: e.entity, ...(c.parent && { parent: c.parent }), list: true, auth: got.status !== 200, from: 'probe' };
      if (got.status === 200) {
        const paged = await probe('GET', `${c.concrete}?limit=2&offset=1`);
        const refused = await probe('GET', `${c.concrete}?limit=not-a-number`);
        // Accepted, and a wrong value refused: the backend reads them (a backend ignoring them accepts both).
        if (paged.status === 200 && refused.status >= 400 && refused.status < 500) route.paged = { limit: 'limit', offset: 'offset' };
      }
      const post = await probe('POST', c.concrete, {});
      if (post.status !== 404 && post.status !== 405 && post.status < 500) {
        route.create = { required: [] };
        route.auth ||= post.status === 401 || post.status === 403;
      }
      found.push(route);
      break;
    }
  }
  return found;
}

function hasArray(v: unknown, depth = 0): boolean {
  if (Array.isArray(v)) return true;
  if (depth > 1 || typeof v !== 'object' || v === null) return false;
  return Object.values(v).some((x) => hasArray(x, depth + 1));
}
