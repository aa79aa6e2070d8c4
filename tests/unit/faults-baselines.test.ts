import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadAppConfig } from '../../app/config.js';
import { parseFaults } from '../../app/faults.js';
import { workerPlan } from '../../app/plugins/app/jobs.js';
import { loadBaseline } from 'pressure-harness/budgets';

/** A folder of the test's own under the system's temporary one, removed once the file's tests end. */
const made: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
};
after(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('APP_FAULTS', () => {
  it('parses a comma-separated list and names the accepted faults for an unknown one', () => {
    assert.deepEqual([...(parseFaults(' n_plus_one, cache_off ') as Set<string>)], ['n_plus_one', 'cache_off']);
    assert.deepEqual([...(parseFaults('') as Set<string>)], []);
    assert.equal(
      parseFaults('n_plus_one,slow_db'),
      'unknown fault "slow_db"; accepted: n_plus_one, offset_pagination, drop_index, cache_off, lock_contention, slow_worker, full_rows, exact_totals, serializable_updates, token_kdf, inline_notify, sliding_expiry, small_pool, serial_writes, tenant_connection, unbounded_memo, audit_trigger, broad_invalidation (comma-separated)',
    );
  });

  it('stops the app at start on an unknown fault, and refuses any fault in production', () => {
    assert.throws(() => loadAppConfig({ APP_FAULTS: 'n_plus_one,nope' }), /APP_FAULTS must be a comma-separated list of n_plus_one, .*got "n_plus_one,nope"/);
    assert.throws(() => loadAppConfig({ APP_FAULTS: 'cache_off', APP_ENV: 'production' }), /APP_FAULTS must be empty when APP_ENV is "production"/);
    assert.equal(loadAppConfig({ APP_FAULTS: 'cache_off' }).faults.has('cache_off'), true);
  });
});

describe('job workers', () => {
  it('split a concurrency into workers of at most 10 jobs each; slow_worker gets a tenth', () => {
    assert.deepEqual(workerPlan(40), { workers: 4, batchSize: 10 });
    assert.deepEqual(workerPlan(4), { workers: 1, batchSize: 4 });
    assert.deepEqual(workerPlan(25), { workers: 3, batchSize: 9 });
    assert.deepEqual(workerPlan(0), { workers: 0, batchSize: 0 });
  });
});

describe('baselines', () => {
  const dir = tempDir('baselines-');
  const good = { tag: 'v1.0.0', savedAt: '2026-11-25T00:00:00Z', commit: null, profile: 'smoke', machine: '2 cores', scenarios: { 'a.b': { latency_ms: { 'p(95)': 3 } } } };
  writeFileSync(path.join(dir, 'v1.0.0.json'), JSON.stringify(good));
  writeFileSync(path.join(dir, 'broken.json'), JSON.stringify({ ...good, tag: 'broken', scenarios: { 'a.b': { latency_ms: { 'p(95)': 'fast' } } } }));
  writeFileSync(path.join(dir, 'trunc.json'), '{"tag": "tr');
  const route = { latency: 'HISTFAAAA', service: 'HISTFAAAA', requests: 3, errors: 0, errorsByClass: {}, bytes: 30, maxBytes: 10, evidence: {}, statuses: { 200: 3 }, slowest: [] };
  const withResults = {
    ...good,
    tag: 'v1.1.0',
    results: { 'a.b': { raw: { routes: { page_1: route }, expected: [], singles: {}, wallMs: 1000 }, pg: { available: false, reason: 'DATABASE_URL is not set' } } },
  };
  writeFileSync(path.join(dir, 'v1.1.0.json'), JSON.stringify(withResults));
  writeFileSync(path.join(dir, 'bad-results.json'), JSON.stringify({ ...withResults, tag: 'bad-results', results: { 'a.b': { raw: { routes: { page_1: { requests: 3 } } } } } }));

  it('loads a valid baseline', () => {
    assert.deepEqual(loadBaseline('v1.0.0', dir), good);
  });

  it('keeps what each scenario recorded (histograms, PostgreSQL), for a comparison of every metric', () => {
    const b = loadBaseline('v1.1.0', dir);
    assert.equal(typeof b, 'object');
    assert.deepEqual((b as Exclude<typeof b, string>).results?.['a.b']?.raw.routes.page_1, route);
    assert.match(loadBaseline('bad-results', dir) as string, /is not a baseline: results\.a\.b\.raw\.routes\.page_1\.latency: /);
  });

  it('says what is wrong with a missing, malformed or truncated one, and which tags exist', () => {
    assert.match(loadBaseline('v2', dir) as string, /no baseline for "v2" .*; saved tags: bad-results, broken, trunc, v1\.0\.0, v1\.1\.0\. Save one with: npx pressure baseline save --tag v2/);
    assert.match(loadBaseline('broken', dir) as string, /is not a baseline: scenarios\.a\.b\.latency_ms\.p\(95\): /);
    assert.match(loadBaseline('trunc', dir) as string, /trunc\.json is not JSON/);
    assert.match(loadBaseline('../etc', dir) as string, /"\.\.\/etc" is not a release tag/);
  });
});

describe('embedded PostgreSQL staging', () => {
  it('mends dependency links left dangling by a deleted checkout, and keeps ones that resolve', async () => {
    const { linkDependencies } = await import('pressure-harness/embedded');
    const { existsSync, mkdirSync, readlinkSync, symlinkSync } = await import('node:fs');
    const modules = path.join(tempDir('stage-'), 'node_modules');
    mkdirSync(modules);
    const live = tempDir('live-');
    writeFileSync(path.join(live, 'package.json'), '{}');
    symlinkSync('/nonexistent/clone/node_modules/pg', path.join(modules, 'pg'));
    symlinkSync(live, path.join(modules, 'async-exit-hook'));
    await linkDependencies(modules, (name) => path.resolve('node_modules', name));
    assert.equal(readlinkSync(path.join(modules, 'pg')), path.resolve('node_modules', 'pg'));
    assert.ok(existsSync(path.join(modules, 'pg', 'package.json')));
    assert.equal(readlinkSync(path.join(modules, 'async-exit-hook')), live, 'a link that resolves is left alone');
  });

  it("removes the staged data of a deleted checkout, and keeps a live checkout's, a running cluster's and one that names no source", async () => {
    const { sweepOrphanedData, SOURCE_FILE } = await import('pressure-harness/embedded');
    const { existsSync, mkdirSync } = await import('node:fs');
    const root = tempDir('pgdata-');
    const checkout = tempDir('checkout-');
    const staged = (name: string, source?: string, pid?: number) => {
      mkdirSync(path.join(root, name, 'cluster'), { recursive: true });
      if (source !== undefined) writeFileSync(path.join(root, name, SOURCE_FILE), source);
      if (pid !== undefined) writeFileSync(path.join(root, name, 'cluster', 'postmaster.pid'), `${pid}\n${source}\n`);
    };
    staged('gone', '/nonexistent/clone/.pgdata');
    staged('live', path.join(checkout, '.pgdata'));
    staged('running', '/nonexistent/other/.pgdata', process.pid);
    staged('unknown');
    assert.deepEqual(await sweepOrphanedData(root), ['/nonexistent/clone/.pgdata']);
    assert.deepEqual(
      ['gone', 'live', 'running', 'unknown'].map((n) => existsSync(path.join(root, n))),
      [false, true, true, true],
    );
    assert.deepEqual(await sweepOrphanedData(path.join(root, 'absent')), [], 'no staging folder yet: nothing to do');
  });
});
