/**
 * `pressure history serve`: the history page on a real HTTP server, bound to loopback unless
 * told otherwise. Node's own http server: a handful of read-only routes need no framework (the
 * package depends on none). Every page has a JSON twin under /api for scripts; Vega and
 * Vega-Lite are served from this package's own dependencies, so the page works offline.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { changesInStore, changesOf, type SeriesChange } from './changes.js';
import { comparePage, homePage, notFoundPage, runPage, seriesPage } from './page.js';
import { getRun, type HistoryStore, listRuns, previousRun, seriesKeys, seriesOf, storeStamp } from './store.js';

export type ServeOptions = { host?: string; port?: number; branch?: string };

const require = createRequire(import.meta.url);
/** The browser builds of Vega and Vega-Lite, read once. */
const ASSETS: Record<string, () => string> = {
  '/assets/vega.min.js': once(() => readFileSync(require.resolve('vega/build/vega.min.js'), 'utf8')),
  '/assets/vega-lite.min.js': once(() => readFileSync(require.resolve('vega-lite/build/vega-lite.min.js'), 'utf8')),
};

function once<T>(f: () => T): () => T {
  let v: T | undefined;
  return () => (v ??= f());
}

class NotFound extends Error {}
class BadRequest extends Error {}

/** ?limit=: a whole number from 1 to 10,000 (default 200), or a 400 that says so. */
function limitOf(u: URL): number {
  const raw = u.searchParams.get('limit');
  if (raw === null) return 200;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 10_000) throw new BadRequest(`limit must be a whole number from 1 to 10000, got "${raw}"`);
  return Number(raw);
}

/** Starts the server; resolves once it listens, with its URL and a close(). */
export async function serveHistory(store: HistoryStore, o: ServeOptions = {}): Promise<{ url: string; close(): Promise<void> }> {
  const branch = o.branch ? { branch: o.branch } : {};
  const param = (u: URL, name: string) => {
    const v = u.searchParams.get(name);
    if (!v) throw new BadRequest(`the query needs ${name}=…`);
    return v;
  };
  // Every series' change points (hundreds of permutation tests) once per state of the store, not
  // once per page view: recomputed when a run is recorded, replaced or removed.
  let cached: { stamp: string; changes: Promise<SeriesChange[]> } | undefined;
  const allChanges = async () => {
    const stamp = await storeStamp(store);
    if (cached?.stamp !== stamp) {
      const changes = changesInStore(store, branch);
      cached = { stamp, changes };
      // A failed search is not kept: the next view tries again.
      changes.catch(() => {
        if (cached?.changes === changes) cached = undefined;
      });
    }
    return cached.changes;
  };
  const series = async (u: URL) => {
    const key = { scenario: param(u, 'scenario'), route: param(u, 'route') };
    const rows = await seriesOf(store, key, branch);
    if (!rows.length) throw new NotFound(`no runs of ${key.scenario} · ${key.route}${o.branch ? ` on ${o.branch}` : ''}`);
    return { ...key, rows, changes: changesOf(rows) };
  };
  const run = async (id: string) => {
    const r = await getRun(store, id);
    if (!r) throw new NotFound(`no run ${id} in the history`);
    return r;
  };

  const routes: { match: RegExp; page(u: URL, m: RegExpMatchArray): Promise<{ html?: string; json?: unknown }> }[] = [
    {
      match: /^\/$/,
      page: async () => ({
        html: homePage({
          where: store.where,
          runs: await listRuns(store, { limit: 200, ...branch }),
          series: await seriesKeys(store, branch),
          changes: (await allChanges()).slice(0, 20),
        }),
      }),
    },
    { match: /^\/series$/, page: async (u) => ({ html: seriesPage({ where: store.where, ...(await series(u)) }) }) },
    {
      match: /^\/runs\/([^/]+)$/,
      page: async (_u, m) => {
        const r = await run(decodeURIComponent(m[1]!));
        return { html: runPage({ where: store.where, run: r, previous: await previousRun(store, r) }) };
      },
    },
    { match: /^\/compare$/, page: async (u) => ({ html: comparePage({ where: store.where, a: await run(param(u, 'a')), b: await run(param(u, 'b')) }) }) },
    { match: /^\/api\/runs$/, page: async (u) => ({ json: await listRuns(store, { limit: limitOf(u), ...branch }) }) },
    { match: /^\/api\/runs\/([^/]+)$/, page: async (_u, m) => ({ json: await run(decodeURIComponent(m[1]!)) }) },
    { match: /^\/api\/series$/, page: async (u) => ({ json: await series(u) }) },
    { match: /^\/api\/changes$/, page: async () => ({ json: await allChanges() }) },
  ];

  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://history.local');
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', `${req.method} is not accepted: the history page is read-only (GET)`);
    const asset = ASSETS[u.pathname];
    if (asset) return send(200, 'text/javascript', asset());
    const route = routes.map((r) => ({ r, m: u.pathname.match(r.match) })).find((x) => x.m);
    const api = u.pathname.startsWith('/api/');
    if (!route) return api ? send(404, 'application/json', JSON.stringify({ error: `no such page: ${u.pathname}` })) : send(404, 'text/html', notFoundPage(store.where, `no page at ${u.pathname}`));
    route.r
      .page(u, route.m!)
      .then((out) => (out.html !== undefined ? send(200, 'text/html', out.html) : send(200, 'application/json', JSON.stringify(out.json))))
      .catch((e: unknown) => {
        const status = e instanceof NotFound ? 404 : e instanceof BadRequest ? 400 : 500;
        const message = status === 500 ? `the history store failed: ${(e as Error).message}` : (e as Error).message;
        if (api) send(status, 'application/json', JSON.stringify({ error: message }));
        else send(status, 'text/html', notFoundPage(store.where, message));
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', resolve);
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
