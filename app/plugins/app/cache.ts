/**
 * Dashboard fragments, cached per account with a TTL (lru-cache). Three things a cache under
 * load must get right, and that the perf project measures:
 *
 *   - hits are reported: `X-Cache: projects=hit, activity=miss` on the response, and
 *     cache_lookups_total{fragment,result} in /metrics;
 *   - a cold key under a burst is computed once: concurrent lookups of a key being computed wait
 *     for that computation (lru-cache's fetch coalesces them, result "coalesced"), so a whale's
 *     dashboard expiring does not send every waiting client to the database (cache stampede);
 *     cache_computations_total counts what really reached the database;
 *   - writes are seen at once: a write bumps its account's generation, which is part of every
 *     key, so the next read misses instead of serving the old fragment until the TTL;
 *   - memory stays bounded by what can still be read: a write drops its account's entries of
 *     older generations at once (each write used to leave them until the entry cap, 24.7 MB
 *     after 2,610 write-then-read pairs), and expired entries are purged every TTL.
 *
 * `Cache-Control: no-cache` on the request recomputes (result "bypass") and refreshes the entry:
 * how a client measures the cold path on purpose. APP_FAULTS=cache_off turns caching off.
 */
import fp from 'fastify-plugin';
import { LRUCache } from 'lru-cache';
import client from 'prom-client';
import type { Faults } from '../../faults.js';

export type CacheResult = 'hit' | 'miss' | 'coalesced' | 'bypass';

export type FragmentCache = {
  /** The fragment's value for the account, and how it was obtained (also added to X-Cache). */
  fragment<T extends object>(request: { headers: Record<string, unknown>; cacheResults?: string[] }, accountId: string, name: string, variant: string, compute: () => Promise<T>): Promise<T>;
  /** The account's data changed: its cached fragments are stale from now on. */
  invalidate(accountId: string): void;
  /** Forgets every cached fragment of these accounts, expired ones too (test endpoint: a cold start on purpose). */
  evict(accountIds: string[]): number;
  /** Entries held, expired ones not yet purged included. */
  size(): number;
};

declare module 'fastify' {
  interface FastifyInstance {
    fragmentCache: FragmentCache;
  }
  interface FastifyRequest {
    cacheResults?: string[];
  }
}

type Compute = () => Promise<object>;

export default fp<{ ttlMs: number; maxEntries: number; faults: Faults }>(
  async (fastify, opts) => {
    const lookups = new client.Counter({ name: 'cache_lookups_total', help: 'Dashboard fragment lookups by result', labelNames: ['fragment', 'result'], registers: [fastify.metrics] });
    const computations = new client.Counter({ name: 'cache_computations_total', help: 'Dashboard fragments computed from the database', labelNames: ['fragment'], registers: [fastify.metrics] });
    const off = opts.faults.has('cache_off');
    // APP_FAULTS=broad_invalidation: a write drops every account's fragments, not the writer's.
    const broad = opts.faults.has('broad_invalidation');

    // Each account's keys, so that a write or an evict finds them without walking the cache
    // (whose keys() skips expired entries that still hold memory).
    const byAccount = new Map<string, Set<string>>();
    const accountOf = (key: string) => key.slice(0, key.indexOf(':'));
    const entries = new LRUCache<string, object, Compute>({
      max: opts.maxEntries,
      ttl: opts.ttlMs,
      // Called once per key however many lookups wait on it: the context is the first caller's.
      fetchMethod: async (_key, _stale, { context }) => context(),
      // Every way an entry leaves (deleted, evicted at the cap, expired, replaced) updates the index.
      dispose: (_value, key) => {
        const keys = byAccount.get(accountOf(key));
        keys?.delete(key);
        if (keys?.size === 0) byAccount.delete(accountOf(key));
      },
    });
    const remember = (key: string) => {
      let keys = byAccount.get(accountOf(key));
      if (!keys) byAccount.set(accountOf(key), (keys = new Set()));
      keys.add(key);
    };
    const drop = (accountId: string) => {
      let n = 0;
      for (const key of [...(byAccount.get(accountId) ?? [])]) n += Number(entries.delete(key));
      byAccount.delete(accountId);
      return n;
    };
    // Expired entries otherwise stay until a lookup of their key or the cap.
    const purge = setInterval(() => entries.purgeStale(), Math.max(1000, opts.ttlMs));
    purge.unref();
    fastify.addHook('onClose', async () => clearInterval(purge));
    // Generations outnumber entries, so an account's generation outlives its cached fragments;
    // the TTL bounds staleness even if one were evicted first.
    const generations = new LRUCache<string, number>({ max: opts.maxEntries * 4 });
    let clock = 0;
    const keyOf = (accountId: string, name: string, variant: string) => `${accountId}:${generations.get(accountId) ?? 0}:${name}:${variant}`;

    const cache: FragmentCache = {
      async fragment(request, accountId, name, variant, compute) {
        const counted = async () => {
          computations.inc({ fragment: name });
          return compute();
        };
        let result: CacheResult;
        let value: object;
        const noCache = /\bno-cache\b/.test(String(request.headers['cache-control'] ?? ''));
        if (off) {
          result = 'miss';
          value = await counted();
        } else if (noCache) {
          result = 'bypass';
          value = await counted();
          const key = keyOf(accountId, name, variant);
          entries.set(key, value);
          remember(key);
        } else {
          const status: LRUCache.Status<string, object, Compute> = {};
          const key = keyOf(accountId, name, variant);
          value = (await entries.fetch(key, { context: counted, status }))!;
          // Only while the key is still this account's current one: a write during the
          // computation already dropped the generation it belongs to.
          if (entries.has(key) && key === keyOf(accountId, name, variant)) remember(key);
          result = status.fetch === 'hit' ? 'hit' : status.fetch === 'inflight' ? 'coalesced' : 'miss';
        }
        lookups.inc({ fragment: name, result });
        (request.cacheResults ??= []).push(`${name}=${result}`);
        return value as never;
      },
      invalidate(accountId) {
        if (broad) {
          for (const id of [accountId, ...byAccount.keys()]) {
            generations.set(id, ++clock);
            drop(id);
          }
          return;
        }
        generations.set(accountId, ++clock);
        // No key of an older generation can be read again: their memory goes now.
        drop(accountId);
      },
      evict(accountIds) {
        return accountIds.reduce((n, id) => n + drop(id), 0);
      },
      size: () => entries.size,
    };
    fastify.decorate('fragmentCache', cache);
    fastify.decorateRequest('cacheResults', undefined);
    fastify.addHook('onSend', async (request, reply) => {
      if (request.cacheResults?.length) reply.header('x-cache', request.cacheResults.join(', '));
    });
  },
  { name: 'fragment-cache', dependencies: ['metrics'] },
);
