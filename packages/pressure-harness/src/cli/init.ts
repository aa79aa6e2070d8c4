/**
 * pressure init --base-url <url> --database-url <url> [--openapi <url or file>]: a suite written
 * for a backend from its database's catalog and its routes (init/). The only verb that loads no
 * suite: it writes one. All or nothing: the files are written into a temporary folder beside the
 * target and moved into place at the end; an existing non-empty folder is refused.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import type { OpenApiDoc } from '../fuzz/openapi.js';
import { initModel, parseCredential } from '../init/model.js';
import { OPENAPI_PATHS, routesByProbing, routesFromOpenApi, type InitRoute } from '../init/routes.js';
import { initFiles } from '../init/write.js';
import { readColumns } from '../pg/columns.js';
import { readCatalog, readShape } from '../pg/shape.js';
import { fitShape } from '../seed/fit.js';
import { ident, redactUrl, SQL_MARK, tableIdent, withClient } from '../pg/url.js';
import { type FlagSpec, parseFlags, postgresUrlFlag, UsageError } from './args.js';

const HEALTH_PATHS = ['/healthz', '/health', '/ping', '/livez', '/readyz', '/'];

export const init = {
  name: 'init',
  summary: 'write a suite for your backend: a domain from its catalog, scenarios and smoke tests from its routes',
  usage:
    'pressure init --base-url <url> --database-url <postgres://…> [--openapi <url or file>] [--roots <table,…>] [--out <folder>] [--auth-scheme <word>] [--credential <table>.<column>=[sha256:]<form>] [--shape-from <production DATABASE_URL>]',
  about:
    "Reads the database's catalog (tables, keys, foreign keys, types, nullability, lengths, unique columns, enums and one-column CHECKs; no row but one per parent table, to probe nested routes) and writes a domain with a factory per column, chosen from its type, name and constraints. Routes come from the OpenAPI document (--openapi, or found at /openapi.json, /docs/json, /swagger.json…) or, without one, from the routes seen answering: GET /<table>, GET /<parent>/<key>/<table>, limit/offset accepted, POST of an empty body. For each list route it writes a whale-against-small probe (nested routes) and a deep pagination walk (paged ones); for each create route with a schema, a write burst; for each route, correctness smoke tests; budgets with readable defaults. The backend must be running. Refuses a --out folder that exists and is not empty; writes nothing on any error.",
  example: 'npx pressure init --base-url http://127.0.0.1:3000/api --database-url "$DATABASE_URL" --out perf',
  flags: {
    'base-url': { type: 'string', help: 'where the running backend answers (http://…), its API prefix included' },
    'database-url': { type: 'string', help: "the backend's database (postgres://…): a test database the suite will seed" },
    openapi: { type: 'string', help: 'its OpenAPI document (JSON), a URL or a file (default: looked for at the usual paths)' },
    roots: { type: 'string', help: 'comma-separated tables everything else hangs under (default: tables that point to no other)' },
    out: { type: 'string', help: 'the folder to write the suite into (default: pressure)' },
    'auth-scheme': { type: 'string', help: "how a credential is sent, as AUTH_SCHEME takes it: Bearer, Token, header:X-Api-Key (default: the OpenAPI document's security scheme, else Bearer)" },
    credential: {
      type: 'string',
      help: "the column a credential is checked against and its form: <table>.<column>=[sha256:]<form with {token}>, such as api_tokens.token_hash=sha256:pst_{token} (default: a root's unique token/api_key column, the credential itself)",
    },
    'shape-from': {
      type: 'string',
      help: "production's DATABASE_URL (a read replica will do): its shape fitted from aggregates only, never a row (dataset fit), written to shape.ts for the domain's tiers and tails",
    },
  } satisfies FlagSpec,
  async run(argv: string[]): Promise<number> {
    const f = parseFlags('init', argv, init.flags, init.usage);
    if (f['base-url'] === undefined) f.problems.push('--base-url is required: where the running backend answers (http://…)');
    else if (!/^https?:\/\/[^/]+/.test(f['base-url'])) f.problems.push(`--base-url must be an http:// or https:// URL, got ${JSON.stringify(f['base-url'])}`);
    postgresUrlFlag(f.problems, 'database-url', f['database-url'], "the backend's database, which the suite seeds");
    postgresUrlFlag(f.problems, 'shape-from', f['shape-from']);
    const credential = f.credential === undefined ? undefined : parseCredential(f.credential);
    if (typeof credential === 'string') f.problems.push(credential);
    const roots = f.roots?.split(',').map((r) => r.trim());
    if (roots?.some((r) => !/^[A-Za-z_][\w$]*(\.[A-Za-z_][\w$]*)?$/.test(r))) f.problems.push(`--roots must be comma-separated table names (table or schema.table), got ${JSON.stringify(f.roots)}`);
    if (f['auth-scheme'] !== undefined && !/^[A-Za-z][\w-]*$/.test(f['auth-scheme'])) f.problems.push(`--auth-scheme must be one word (Bearer, Token), got ${JSON.stringify(f['auth-scheme'])}`);
    const out = path.resolve(f.out ?? 'pressure');
    if (existsSync(out) && readdirSync(out).length)
      f.problems.push(`--out ${JSON.stringify(f.out ?? 'pressure')} exists and is not empty: init writes a new folder, never over your files; name another`);
    f.done();
    const baseUrl = f['base-url']!.replace(/\/+$/, '');
    const databaseUrl = f['database-url']!;

    // The backend first: nothing is read from the database for a backend that is not there.
    const probe = prober(baseUrl);
    const health = await findHealth(probe);
    if (!health) throw new Error(`nothing answers at ${baseUrl} (tried GET ${HEALTH_PATHS.join(', ')}): start the backend first`);

    const { catalog, columns } = await withClient(databaseUrl, async (c) => {
      const catalog = await readCatalog(c);
      return {
        catalog,
        columns: await readColumns(
          c,
          catalog.tables.map((t) => t.name),
        ),
      };
    }).catch((e: Error) => {
      throw new Error(`the database at ${redactUrl(databaseUrl)} cannot be read: ${e.message.split('\n')[0]}`);
    });
    if (!catalog.tables.length) throw new Error(`the database at ${redactUrl(databaseUrl)} has no tables: run the backend's migrations first`);
    let model: ReturnType<typeof initModel>;
    try {
      model = initModel(catalog, columns, { ...(roots && { roots }), ...(credential && typeof credential !== 'string' && { credential }) });
    } catch (e) {
      // A table or column the flags name that the catalog does not have: a bad flag, said as one.
      throw new UsageError('init', [(e as Error).message], init.usage);
    }
    if (!model.entities.length) throw new Error(`no table can be generated: ${model.skipped.map((s) => `${s.table}: ${s.why}`).join('; ')}`);

    const doc = await openApi(baseUrl, f.openapi, probe);
    let routes: InitRoute[];
    let routesFrom: string;
    if (doc) {
      routes = routesFromOpenApi(doc.doc, model.entities);
      routesFrom = `the OpenAPI document at ${doc.from}`;
    } else {
      // One row per parent table, to fill a nested route's parameter; none in an empty database.
      routes = await withClient(databaseUrl, (c) =>
        routesByProbing(model.entities, probe, async (e) => {
          const cols = [e.key, ...e.naturalKeys].filter((x): x is string => Boolean(x));
          if (!cols.length) return undefined;
          const { rows } = await c.query<Record<string, string>>(`SELECT ${SQL_MARK} ${cols.map((x) => `${ident(x)}::text AS ${ident(x)}`).join(', ')} FROM ${tableIdent(e.table)} LIMIT 1`);
          return rows[0];
        }),
      );
      routesFrom = 'the routes seen answering (no OpenAPI document found)';
    }
    // The document's first security scheme a suite can send: an http scheme by its word, an API key in a header by its name.
    const schemes = Object.values((doc?.doc.components as { securitySchemes?: Record<string, { type?: string; scheme?: string; in?: string; name?: string }> } | undefined)?.securitySchemes ?? {});
    const declared = schemes
      .map((x) => (x.type === 'http' && x.scheme ? x.scheme[0]!.toUpperCase() + x.scheme.slice(1).toLowerCase() : x.type === 'apiKey' && x.in === 'header' && x.name ? `header:${x.name}` : undefined))
      .find(Boolean);
    const authScheme = f['auth-scheme'] ?? declared ?? 'Bearer';
    // Production's shape, from its aggregates (pg/shape.ts): the tiers and tails the domain takes.
    const fitted = f['shape-from']
      ? fitShape(
          await readShape(f['shape-from']).catch((e: Error) => {
            throw new Error(`--shape-from ${redactUrl(f['shape-from']!)} cannot be read: ${e.message.split('\n')[0]}`);
          }),
        )
      : undefined;
    const name =
      path
        .basename(out)
        .replace(/[^a-z0-9_-]/gi, '-')
        .toLowerCase() || 'suite';
    const files = initFiles({
      name,
      dir: path.relative(process.cwd(), out) || '.',
      baseUrl,
      databaseUrl,
      authScheme,
      healthPath: health,
      model,
      routes,
      routesFrom,
      at: new Date().toISOString(),
      ...(fitted && { shape: fitted }),
    });

    // All or nothing: a temporary folder beside the target, renamed into place.
    const tmp = `${out}.init-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    try {
      for (const [rel, content] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(tmp, rel)), { recursive: true });
        writeFileSync(path.join(tmp, rel), content);
      }
      if (existsSync(out)) rmSync(out, { recursive: true });
      mkdirSync(path.dirname(out), { recursive: true });
      renameSync(tmp, out);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    console.log(
      [
        `init: wrote ${Object.keys(files).length} files into ${path.relative(process.cwd(), out) || '.'}`,
        `  domain: ${model.entities.map((e) => `${e.entity} (${e.table}${e.parent ? ` under ${e.parent}` : ', a root'}, ${e.fields.length} fields)`).join(', ')}`,
        ...(model.skipped.length ? [`  left out: ${model.skipped.map((s) => `${s.table} (${s.why})`).join('; ')}`] : []),
        `  routes, from ${routesFrom}: ${routes.map((r) => `${[r.list && 'GET', r.create && 'POST'].filter(Boolean).join('/')} ${r.path}${r.paged ? ' (paged)' : ''}${r.auth ? ' (credential)' : ''}`).join('; ') || 'none'}`,
        ...(fitted ? [`  shape: ${fitted.tables.filter((t) => t.tiers || t.perParent).length} tables fitted from ${redactUrl(f['shape-from']!)}'s aggregates into shape.ts`] : []),
        `  health: ${health}`,
        '',
        `Next: npx playwright test -c ${path.relative(process.cwd(), out) || '.'}/playwright.config.ts --project=correctness`,
      ].join('\n'),
    );
    return 0;
  },
};

type Probe = (method: 'GET' | 'POST', p: string, body?: unknown) => Promise<{ status: number; json: unknown }>;

function prober(baseUrl: string): Probe {
  return async (method, p, body) => {
    try {
      const res = await request(`${baseUrl}${p}`, {
        method,
        signal: AbortSignal.timeout(10_000),
        ...(body !== undefined && { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
      const text = await res.body.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: res.statusCode, json };
    } catch {
      return { status: 0, json: undefined };
    }
  };
}

async function findHealth(probe: Probe): Promise<string | undefined> {
  for (const p of HEALTH_PATHS) if ((await probe('GET', p)).status === 200) return p;
  return undefined;
}

/** The OpenAPI document: the one named (a URL or a file; an error if unreadable), else one found at a usual path, else none. */
async function openApi(baseUrl: string, given: string | undefined, probe: Probe): Promise<{ doc: OpenApiDoc & { components?: unknown }; from: string } | undefined> {
  const usable = (d: unknown): d is OpenApiDoc => typeof d === 'object' && d !== null && typeof (d as OpenApiDoc).paths === 'object';
  if (given !== undefined) {
    let doc: unknown;
    if (/^https?:\/\//.test(given)) {
      const res = await request(given, { signal: AbortSignal.timeout(10_000) }).catch((e: Error) => {
        throw new Error(`--openapi ${given}: ${e.message}`);
      });
      doc = await res.body.json().catch(() => undefined);
    } else {
      try {
        doc = JSON.parse(readFileSync(given, 'utf8'));
      } catch (e) {
        throw new Error(`--openapi ${given}: not a readable JSON file (${(e as Error).message.split('\n')[0]})`);
      }
    }
    if (!usable(doc)) throw new Error(`--openapi ${given}: not an OpenAPI document (JSON with "paths")`);
    return { doc, from: given };
  }
  // At the origin too, when the API has a prefix (/api): documents are often served at the root.
  const origin = new URL(baseUrl).origin;
  const places = [{ at: baseUrl, probe }, ...(origin !== baseUrl ? [{ at: origin, probe: prober(origin) }] : [])];
  for (const p of OPENAPI_PATHS)
    for (const place of places) {
      const got = await place.probe('GET', p);
      if (got.status === 200 && usable(got.json)) return { doc: got.json, from: `${place.at}${p}` };
    }
  return undefined;
}
