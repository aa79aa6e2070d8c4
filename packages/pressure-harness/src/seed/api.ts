/**
 * The public-API seeding adapter: a declared domain (seed/domain.ts) created through the
 * backend's own endpoints, as its users would, for a backend with no test endpoints at all.
 *
 * A suite says how one row of each entity is created (and, where the API can, removed); the
 * adapter creates parents before children with bounded concurrency, and writes every created key
 * to a client-side ledger (a JSON-lines file per run) as it goes, so that a run killed mid-seed
 * is cleaned up by the next run's setup. Where the harness may also reach the database, the keys
 * go to the SQL ledger too (seed/sql.ts), which removes what the API cannot (a backend
 * with no endpoint to delete a user).
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import pLimit from 'p-limit';
import { request } from 'undici';
import type { RunResources } from '../lifecycle/run.js';
import { type AuthScheme, authHeaders } from '../fixtures/auth.js';
import { splitBaseUrl } from '../load/engine.js';
import { type Domain, generateDomain, type GeneratedRow, groupByEntity, isRef, planDomain } from './domain.js';
import { seedProgress } from './progress.js';

/** What a created row is known by: its key (id, slug) and whatever its children need (a token). */
export type Created = { key: string; token?: string } & Record<string, unknown>;

/** One call to the backend; JSON in, JSON out. Throws on a status >= 400 with the body. */
export type Call = (method: string, path: string, o?: { token?: string; body?: unknown }) => Promise<{ status: number; body: unknown }>;

export type EntityApi = {
  /** `resolve`: what another row (a field holding a Ref) was created as. */
  /** `runId`: the run the row is seeded for (runPassword(runId) is the password a seeded user registers with). */
  create: (ctx: { call: Call; row: GeneratedRow; runId: string; parent?: Created; root?: Created; resolve: (ref: unknown) => Created | undefined }) => Promise<Created>;
  /** Removes one created row through the API, where the API can. */
  remove?: (ctx: { call: Call; created: Created; root?: Created }) => Promise<void>;
};
export type ApiMapping = Record<string, EntityApi>;

type LedgerEntry = { entity: string; path: string; created: Created; root?: Created; expiresAt: string };

export const ledgerFile = (dir: string, runId: string) => path.join(dir, `${runId}.jsonl`);

export function makeCall(baseUrl: string, auth: AuthScheme): Call {
  const { origin, prefix } = splitBaseUrl(baseUrl);
  return async (method, p, o = {}) => {
    const res = await request(`${origin}${prefix}${p}`, {
      method: method as 'GET',
      headers: { 'content-type': 'application/json', ...(o.token ? authHeaders(auth, o.token) : {}) },
      ...(o.body !== undefined && { body: JSON.stringify(o.body) }),
    });
    const text = await res.body.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON: kept as text */
    }
    if (res.statusCode >= 400) throw new Error(`${method} ${prefix}${p} answered ${res.statusCode}: ${text.slice(0, 300)}`);
    return { status: res.statusCode, body };
  };
}

export type ApiSeedOptions = {
  baseUrl: string;
  auth: AuthScheme;
  domain: Domain;
  api: ApiMapping;
  seed: string;
  runId: string;
  ttlSeconds: number;
  /** Requests in flight at once: the backend's capacity, not this machine's. */
  concurrency?: number;
  /** Where the client-side ledger lives (one file per run). */
  ledgerDir: string;
  /** Also record keys in the database's ledger (sqlResources(...).recordKeys), where the harness may reach it. */
  recordKeys?: (runId: string, entity: string, keys: string[], expiresAt: string) => Promise<void>;
  maxRows?: number;
};

/** Seeds the domain through the API; returns what was created, by row path. */
export async function seedApi(o: ApiSeedOptions): Promise<{ created: Map<string, Created>; rows: Record<string, number>; seconds: number; rowsPerSec: number; generated: GeneratedRow[] }> {
  const plan = planDomain(o.domain, o.seed);
  if (o.maxRows !== undefined && plan.total > o.maxRows) throw new Error(`API seeding: the plan has ${plan.total} rows, over the limit of ${o.maxRows}`);
  const missing = o.domain.order.filter((e) => !o.api[e]);
  if (missing.length) throw new Error(`API seeding: no create function for ${missing.join(', ')}; declared entities: ${o.domain.order.join(', ')}`);
  mkdirSync(o.ledgerDir, { recursive: true });
  const file = ledgerFile(o.ledgerDir, o.runId);
  const call = makeCall(o.baseUrl, o.auth);
  const expiresAt = new Date(Date.now() + o.ttlSeconds * 1000).toISOString();
  const byEntity = groupByEntity(generateDomain(o.domain, o.seed, o.runId));
  const created = new Map<string, Created>();
  const rootOf = (r: GeneratedRow) => created.get(r.path.split('/').slice(0, 2).join('/'));
  const limit = pLimit(o.concurrency ?? 8);
  const progress = seedProgress(`seed api ${o.runId}`, plan.total);
  const rows: Record<string, number> = {};
  for (const entity of o.domain.order) {
    const list = byEntity.get(entity) ?? [];
    const keys: string[] = [];
    await Promise.all(
      list.map((row) =>
        limit(async () => {
          const parent = row.parentPath ? created.get(row.parentPath) : undefined;
          const root = row.parentPath ? rootOf(row) : undefined;
          const resolve = (ref: unknown) => (isRef(ref) ? created.get(ref.$ref) : undefined);
          const c = await o.api[entity]!.create({ call, row, runId: o.runId, resolve, ...(parent && { parent }), ...(root && { root }) });
          created.set(row.path, c);
          keys.push(c.key);
          // Written as it is made: a run killed now leaves a ledger the next run cleans.
          appendFileSync(file, `${JSON.stringify({ entity, path: row.path, created: c, ...(root && { root }), expiresAt } satisfies LedgerEntry)}\n`);
          progress.add(1);
        }),
      ),
    );
    if (o.recordKeys) await o.recordKeys(o.runId, entity, keys, expiresAt);
    rows[entity] = list.length;
  }
  const done = progress.done();
  return { created, rows, seconds: done.seconds, rowsPerSec: done.rowsPerSec, generated: [...byEntity.values()].flat() };
}

function readLedger(file: string): LedgerEntry[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as LedgerEntry];
      } catch {
        return []; // a line cut off by a crash: its row is in the database's ledger, if anywhere
      }
    });
}

/**
 * Cleanup through the API for the entities it can remove, children first; the rest is left to
 * the database's ledger (when `sql` is given) and the leak proof. Also reaps the ledgers of
 * expired runs (a crash mid-seed).
 */
export function apiResources(o: { baseUrl: string; auth: AuthScheme; domain: Domain; api: ApiMapping; ledgerDir: string; sql?: RunResources }): RunResources {
  const call = makeCall(o.baseUrl, o.auth);
  const removeAll = async (entries: LedgerEntry[]): Promise<{ removed: number; left: Record<string, number> }> => {
    let removed = 0;
    const left: Record<string, number> = {};
    for (const entity of [...o.domain.order].reverse()) {
      const mine = entries.filter((e) => e.entity === entity);
      const remove = o.api[entity]?.remove;
      if (!remove) {
        if (mine.length) left[entity] = mine.length;
        continue;
      }
      const limit = pLimit(8);
      await Promise.all(
        mine.map((e) =>
          limit(async () => {
            await remove({ call, created: e.created, ...(e.root && { root: e.root }) }).catch((err: Error) => {
              // Already gone (removed with its parent, or by the backend) is removed.
              if (!/answered 404/.test(err.message)) throw err;
            });
            removed += 1;
          }),
        ),
      );
    }
    return { removed, left };
  };
  return {
    name: `API ledger (${o.domain.order.join(', ')})`,
    async reap() {
      if (!existsSync(o.ledgerDir)) return 0;
      let n = 0;
      for (const f of readdirSync(o.ledgerDir).filter((x) => x.endsWith('.jsonl'))) {
        const file = path.join(o.ledgerDir, f);
        const entries = readLedger(file);
        if (entries.length && entries.every((e) => Date.parse(e.expiresAt) < Date.now())) {
          n += (await removeAll(entries)).removed;
          rmSync(file, { force: true });
        }
      }
      return n + ((await o.sql?.reap()) ?? 0);
    },
    async cleanup(runId) {
      const file = ledgerFile(o.ledgerDir, runId);
      const entries = readLedger(file);
      const { removed } = await removeAll(entries);
      const viaSql = (await o.sql?.cleanup(runId)) ?? 0;
      // What neither the API nor the database could remove stays in the ledger: the leak proof counts it.
      const kept = o.sql ? [] : entries.filter((e) => !o.api[e.entity]?.remove);
      rmSync(file, { force: true });
      if (kept.length) appendFileSync(file, kept.map((e) => `${JSON.stringify(e)}\n`).join(''));
      return removed + viaSql;
    },
    async remaining(runId) {
      // Without the database, the API's own word is all there is: what it could not remove stays counted.
      if (o.sql) return o.sql.remaining(runId);
      const entries = readLedger(ledgerFile(o.ledgerDir, runId));
      return Object.fromEntries(o.domain.order.map((e) => [e, entries.filter((x) => x.entity === e).length]).filter(([, n]) => n));
    },
  };
}
