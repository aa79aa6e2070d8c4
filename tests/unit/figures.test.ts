/**
 * Budgets on PostgreSQL's evidence and the backend's gauges (report/figures.ts): the figures a
 * scenario's evidence yields, n/a with the reason where the evidence cannot speak for it, and the
 * worse of shards.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defineBudgets, formatOutcome } from 'pressure-harness/budgets';
import { newRoute, recordMs, type RouteMetrics } from 'pressure-harness/load';
import 'pressure-harness/metrics';
import type { PgEvidence } from 'pressure-harness/pg';
import { evidenceFigures, judge, type Raw } from 'pressure-harness/report';

const raw = (requests: number): Raw => {
  const m: RouteMetrics = { ...newRoute(), requests };
  for (let i = 0; i < requests; i++) (recordMs(m.latency, 5), recordMs(m.service, 4));
  return { routes: { all: m }, expected: [], singles: {}, wallMs: 20_000 };
};

const pg = (o: { seconds?: number; audit?: number; items?: number; sessions?: number | null; lockWait?: number; samples?: number }): PgEvidence => ({
  available: true,
  seconds: o.seconds ?? 20,
  statementStats: true,
  statements: [],
  tables: [
    { table: 'public.items', seqScans: 0, seqRows: 0, idxScans: 10, idxRows: 10, liveRows: 5_000, bytes: 1, rowsWritten: o.items ?? 100 },
    ...(o.audit ? [{ table: 'public.audit_log', seqScans: 0, seqRows: 0, idxScans: 0, idxRows: 0, liveRows: 50, bytes: 1, rowsWritten: o.audit }] : []),
  ],
  quietTables: o.audit ? [] : ['public.audit_log'],
  activity: { samples: o.samples ?? 80, states: { active: 2 }, waits: { CPU: 1.2, ...(o.lockWait && { 'Lock:advisory': o.lockWait, 'Lock:transactionid': 0.5 }) }, maxSessions: 10 },
  plans: [],
  findings: [],
  database: { sessions: o.sessions === undefined ? 3 : o.sessions },
});

const budgets = defineBudgets(
  {
    'mix.soak': {
      'pg_rows_written_per_req@public.audit_log': ['max <= 0.01'],
      pg_sessions_per_req: ['max <= 0.01'],
      pg_lock_wait_sessions: ['max <= 1'],
      'gauge@db_pool_waiting_clients': ['max <= 2'],
      'gauge@nodejs_heap_size_used_bytes': ['mean < 268435456'],
    },
  },
  'figures.test',
);
const verdicts = (outcomes: ReturnType<typeof judge>) => Object.fromEntries(outcomes.map((o) => [o.key, o.verdict]));

describe('budgets on PostgreSQL evidence and the backend gauges', () => {
  it('derives rows written per request (all tables, one table, a quiet table at 0), sessions per request and lock waits', () => {
    const f = evidenceFigures([{ pg: pg({ audit: 0, items: 500, sessions: 10, lockWait: 2 }), requests: 1_000 }]);
    assert.equal(f['*']!.pg_rows_written_per_req!.max, 0.5);
    assert.equal(f['public.items']!.pg_rows_written_per_req!.max, 0.5);
    assert.equal(f['public.audit_log']!.pg_rows_written_per_req!.max, 0, 'a table nothing wrote is 0, not unmeasured');
    assert.equal(f['*']!.pg_sessions_per_req!.max, 0.01);
    assert.equal(f['*']!.pg_lock_wait_sessions!.max, 2.5, 'every Lock:* event, not CPU');
  });

  it('gates the clean scenario through, and fails on a trigger, a connection per request, a global lock, a starved pool and a leak', () => {
    const clean = judge('mix.soak', budgets['mix.soak']!, raw(2_000), undefined, new Set(), [
      { pg: pg({ sessions: 3 }), signals: { db_pool_waiting_clients: { mean: 0, max: 0, samples: 100 }, nodejs_heap_size_used_bytes: { mean: 7e7, max: 9e7, samples: 100 } }, requests: 2_000 },
    ]);
    assert.deepEqual(clean.filter((o) => o.verdict !== 'ok').map(formatOutcome), []);
    const faulty = judge('mix.soak', budgets['mix.soak']!, raw(2_000), undefined, new Set(), [
      {
        pg: pg({ audit: 330, sessions: 700, lockWait: 6.4 }),
        signals: { db_pool_waiting_clients: { mean: 3, max: 5, samples: 100 }, nodejs_heap_size_used_bytes: { mean: 3e8, max: 3.6e8, samples: 100 } },
        requests: 2_000,
      },
    ]);
    assert.deepEqual(verdicts(faulty), {
      'pg_rows_written_per_req@public.audit_log': 'fail',
      pg_sessions_per_req: 'fail',
      pg_lock_wait_sessions: 'fail',
      'gauge@db_pool_waiting_clients': 'fail',
      'gauge@nodejs_heap_size_used_bytes': 'fail',
    });
  });

  it('says n/a with the reason where the evidence cannot speak for the scenario, never 0', () => {
    const short = judge('mix.soak', budgets['mix.soak']!, raw(200), undefined, new Set(), [{ pg: pg({ seconds: 2, sessions: null, samples: 5 }), requests: 200 }]);
    const by = Object.fromEntries(short.map((o) => [o.key, o]));
    assert.equal(by['pg_rows_written_per_req@public.audit_log']!.verdict, 'skip');
    assert.match(by['pg_rows_written_per_req@public.audit_log']!.note!, /n\/a: the scenario's 2\.0 s are shorter than the 10 s/);
    assert.match(by.pg_sessions_per_req!.note!, /n\/a: PostgreSQL counts sessions from version 14/);
    assert.match(by.pg_lock_wait_sessions!.note!, /n\/a: 5 samples of pg_stat_activity, fewer than the 20/);
    // No database access, no /metrics: the capability is named.
    const none = judge('mix.soak', budgets['mix.soak']!, raw(200), undefined, new Set(['database', 'metrics']), [{ requests: 200 }]);
    assert.ok(
      none.every((o) => o.verdict === 'skip' && /n\/a: the backend does not offer (database|metrics)/.test(o.note ?? '')),
      none.map(formatOutcome).join('\n'),
    );
  });

  it('keeps the worse of shards, each measured over its own window', () => {
    const f = evidenceFigures([
      { pg: pg({ sessions: 2 }), signals: { q: { mean: 1, max: 4, samples: 10 } }, requests: 1_000 },
      { pg: pg({ seconds: 3, sessions: 900 }), signals: { q: { mean: 2, max: 3, samples: 10 } }, requests: 1_000 },
      { pg: pg({ sessions: 400 }), requests: 1_000 },
    ]);
    assert.equal(f['*']!.pg_sessions_per_req!.max, 0.4, 'the short window is n/a, not the worst');
    assert.deepEqual([f.q!.gauge!.mean, f.q!.gauge!.max], [2, 4]);
  });
});
