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
 *     key, so the next read misses instead of serving the old fragment until the TTL.
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
  /** Forgets every cached fragment of these accounts (test endpoint: a cold start on purpose). */
  evict(accountIds: string[]): number;
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

    const entries = new LRUCache<string, object, Compute>({
      max: opts.maxEntries,
      ttl: opts.ttlMs,
      // Called once per key however many lookups wait on it: the context is the first caller's.
      fetchMethod: async (_key, _stale, { context }) => context(),
    });
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
          entries.set(keyOf(accountId, name, variant), value);
        } else {
          const status: LRUCache.Status<string, object, Compute> = {};
          value = (await entries.fetch(keyOf(accountId, name, variant), { context: counted, status }))!;
          result = status.fetch === 'hit' ? 'hit' : status.fetch === 'inflight' ? 'coalesced' : 'miss';
        }
        lookups.inc({ fragment: name, result });
        (request.cacheResults ??= []).push(`${name}=${result}`);
        return value as never;
      },
      invalidate(accountId) {
        generations.set(accountId, ++clock);
      },
      evict(accountIds) {
        const wanted = new Set(accountIds);
        let n = 0;
        for (const key of [...entries.keys()]) {
          if (wanted.has(key.slice(0, key.indexOf(':')))) n += Number(entries.delete(key));
        }
        return n;
      },
    };
    fastify.decorate('fragmentCache', cache);
    fastify.decorateRequest('cacheResults', undefined);
    fastify.addHook('onSend', async (request, reply) => {
      if (request.cacheResults?.length) reply.header('x-cache', request.cacheResults.join(', '));
    });
  },
  { name: 'fragment-cache', dependencies: ['metrics'] },
);
