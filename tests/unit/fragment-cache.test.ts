/**
 * app/'s dashboard fragment cache (app/plugins/app/cache.ts) when a write invalidates a fragment
 * that a read is computing: the read still answers. lru-cache aborts a fetch whose key is
 * deleted; a first APP_FAULTS=broad_invalidation cleared the whole cache, aborted the reads in
 * flight, and 77 dashboards of 702 answered 500 in one mix.ramp run: a fault meant to cost
 * queries showed as errors.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import fp from 'fastify-plugin';
import client from 'prom-client';
import cache from '../../app/plugins/app/cache.js';
import type { Fault } from '../../app/faults.js';

async function cached(faults: Fault[] = []) {
  const app = Fastify();
  await app.register(fp(async (f) => void f.decorate('metrics', new client.Registry()), { name: 'metrics' }));
  await app.register(cache, { ttlMs: 60_000, maxEntries: 100, faults: new Set(faults) });
  await app.ready();
  return app;
}

describe('the dashboard fragment cache', () => {
  for (const faults of [[], ['broad_invalidation']] as Fault[][]) {
    it(`answers a read whose fragment a write invalidated while it was computed${faults.length ? ` (${faults.join(', ')})` : ''}`, async () => {
      const app = await cached(faults);
      try {
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        const read = app.fragmentCache.fragment({ headers: {} }, 'a1', 'projects', 'v', async () => {
          await gate;
          return { n: 1 };
        });
        app.fragmentCache.invalidate('a1');
        release();
        assert.deepEqual(await read, { n: 1 });
        // The next read computes afresh: what the write changed is seen.
        const again: { cacheResults?: string[]; headers: Record<string, unknown> } = { headers: {} };
        assert.deepEqual(await app.fragmentCache.fragment(again, 'a1', 'projects', 'v', async () => ({ n: 2 })), { n: 2 });
        assert.deepEqual(again.cacheResults, ['projects=miss']);
      } finally {
        await app.close();
      }
    });
  }
});
