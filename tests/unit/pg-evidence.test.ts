import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareRuns, failing } from 'pressure-harness/compare';
import { compareMarkdown, formatFinding } from 'pressure-harness/compare';
import {
  delta,
  DEFAULT_SHAPE_RULES,
  type PgEvidence,
  type PgSnapshot,
  parsePlanLog,
  planShape,
  shapeFindings,
  statementKey,
  statisticsNote,
  type TableCounters,
  variantStatements,
} from 'pressure-harness/pg';
import { createHistogram, newRoute, recordMs } from 'pressure-harness/load';
import { serializeRoute } from 'pressure-harness/load';
import type { RouteMetrics } from 'pressure-harness/load';
import type { ScenarioFile } from 'pressure-harness/report';
import { fileOf } from '../support/results.js';
import { formatPgEvidence, pgMarkdown } from 'pressure-harness/report';
import 'pressure-harness/metrics';

const stmt = (query: string, calls: number, o: Partial<{ ms: number; rows: number; hit: number; read: number; temp: number }> = {}) => ({
  query,
  calls,
  ms: o.ms ?? calls,
  rows: o.rows ?? calls,
  blocksHit: o.hit ?? calls * 4,
  blocksRead: o.read ?? 0,
  tempBlocks: o.temp ?? 0,
});
const table = (seqScans: number, seqRows: number, liveRows = 100, idxScans = 0): TableCounters => ({ seqScans, seqRows, idxScans, idxRows: idxScans, liveRows, bytes: liveRows * 200 });
const snap = (at: number, statements: Record<string, ReturnType<typeof stmt>>, tables: Record<string, ReturnType<typeof table>>): PgSnapshot => ({
  at,
  statements: Object.fromEntries(Object.entries(statements).map(([q, s]) => [statementKey(q), s])),
  tables,
});

describe('PostgreSQL evidence: deltas', () => {
  it('keeps what ran between the snapshots, by total time, and the later live rows', () => {
    const q1 = 'SELECT * FROM t WHERE id = $1';
    const q2 = 'SELECT count(*) FROM t';
    const d = delta(
      snap(0, { [q1]: stmt(q1, 100), [q2]: stmt(q2, 5) }, { 'public.t': table(3, 300, 100, 10) }),
      snap(2500, { [q1]: stmt(q1, 150, { ms: 400 }), [q2]: stmt(q2, 5) }, { 'public.t': table(5, 700, 120, 10) }),
    );
    assert.equal(d.seconds, 2.5);
    assert.deepEqual(
      d.statements.map((s) => [s.query, s.calls, s.ms]),
      [[q1, 50, 300]],
    );
    assert.deepEqual(d.tables, [{ table: 'public.t', seqScans: 2, seqRows: 400, idxScans: 0, idxRows: 0, liveRows: 120, bytes: 24000 }]);
  });

  it('counts a statement evicted and re-entered from 0, and skips a table whose partition was dropped', () => {
    const q = 'UPDATE t SET x = $1';
    const d = delta(snap(0, { [q]: stmt(q, 500) }, { 'public.t': table(10, 10_000) }), snap(1000, { [q]: stmt(q, 7) }, { 'public.t': table(2, 50) }));
    assert.equal(d.statements[0]!.calls, 7);
    assert.deepEqual(d.tables, []);
  });

  it('keys statements by their text, whitespace aside (queryids differ between two databases of one schema)', () => {
    assert.equal(statementKey('SELECT 1\n  FROM t'), statementKey('SELECT 1 FROM t'));
    assert.notEqual(statementKey('SELECT 1 FROM t'), statementKey('SELECT 2 FROM t'));
  });
});

describe('PostgreSQL evidence: shapes wrong whatever the timing', () => {
  const q = 'SELECT * FROM items WHERE project_id = $1 ORDER BY created_at OFFSET $2';
  it('names a large table read by repeated sequential scans, and not a small one', () => {
    const d = {
      statements: [],
      tables: [
        { table: 'public.items', ...table(40, 40 * 60_000, 60_000) },
        { table: 'public.tags', ...table(400, 400 * 90, 90) },
      ],
    };
    const f = shapeFindings(d);
    assert.deepEqual(
      f.map((x) => [x.kind, x.subject]),
      [['seq_scan_large_table', 'public.items']],
    );
    assert.match(f[0]!.message, /public\.items \(60,000 rows, .* MB\) read by 40 sequential scans of 60,000 rows each/);
  });
  it('names a statement reading far more than it returns, and temp files', () => {
    const d = { statements: [{ key: statementKey(q), ...stmt(q, 20, { rows: 20 * 50, hit: 20 * 12_000, temp: 800 }) }], tables: [] };
    assert.deepEqual(
      shapeFindings(d).map((x) => x.kind),
      ['rows_read_per_row', 'temp_files'],
    );
    assert.deepEqual(shapeFindings(d, { ...DEFAULT_SHAPE_RULES, rowsRead: { ...DEFAULT_SHAPE_RULES.rowsRead, minBlocksPerCall: 20_000 }, tempFiles: { minBlocks: 1000 } }), []);
  });
});

function fileWith(scenario: string, requests: number, pg: PgEvidence): ScenarioFile {
  const m: RouteMetrics = { ...newRoute(), requests, bytes: requests * 1000, maxBytes: 1000 };
  for (let i = 0; i < requests; i++) (recordMs(m.latency, 5), recordMs(m.service, 4));
  return fileOf(scenario, { routes: { all: serializeRoute(m) }, expected: [], singles: {}, wallMs: 1000 }, { pg });
}
const evidence = (o: { lookups: number; blocksPerLookup: number; seqRows?: number; lockWait?: number; findings?: Extract<PgEvidence, { available: true }>['findings'] }): PgEvidence => {
  const q = 'SELECT * FROM items WHERE project_id = $1';
  return {
    available: true,
    seconds: 5,
    statementStats: true,
    statements: [{ key: statementKey(q), ...stmt(q, o.lookups, { hit: o.lookups * o.blocksPerLookup, rows: o.lookups * 20 }) }],
    tables: [{ table: 'public.items', ...table(o.seqRows ? 10 : 0, o.seqRows ?? 0, 60_000, o.lookups) }],
    activity: { samples: 20, states: { active: 1 }, waits: { CPU: 0.8, ...(o.lockWait && { 'Lock:transactionid': o.lockWait }) }, maxSessions: 4 },
    plans: [],
    findings: o.findings ?? [],
  };
};

describe("PostgreSQL evidence: how old a table's statistics were", () => {
  const now = new Date('2026-01-01T12:00:00Z');
  it('calls a sequential scan on stale statistics a possible planner mistake, and one on current statistics not', () => {
    assert.match(
      statisticsNote({ liveRows: 85_000, modsSinceAnalyze: 84_580, analyzedAt: '2026-01-01T11:58:00Z' }, now),
      /stale \(analyzed 2 min before the scenario, 84,580 rows changed since\).*ANALYZE it before blaming an index/,
    );
    assert.match(statisticsNote({ liveRows: 85_000, modsSinceAnalyze: 0, analyzedAt: null }, now), /stale \(never analyzed\)/);
    assert.match(
      statisticsNote({ liveRows: 85_000, modsSinceAnalyze: 300, analyzedAt: '2026-01-01T10:00:00Z' }, now),
      /current \(analyzed 2\.0 h before the scenario, 300 rows changed since\): not a planner mistake/,
    );
    assert.equal(statisticsNote({ liveRows: 85_000 }, now), '', 'files of older versions say nothing');
  });
  it("says it in the scan finding, from the statistics at the scenario's start", () => {
    const before = snap(0, {}, { 'public.articles': { ...table(0, 0, 85_000), modsSinceAnalyze: 84_580, analyzedAt: null } });
    const after = snap(1000, {}, { 'public.articles': { ...table(414, 414 * 85_000, 85_000) } });
    const [f] = shapeFindings(delta(before, after));
    assert.match(f!.message, /read by 414 sequential scans of 85,000 rows each; its statistics are stale \(never analyzed\)/);
  });
});

describe('PostgreSQL evidence compared between two sides', () => {
  it('finds more statements per request, more blocks per call, a new sequential scan and a new lock wait; nothing between equals', () => {
    const base = [fileWith('s', 100, evidence({ lookups: 100, blocksPerLookup: 10 }))];
    const same = compareRuns({ label: 'a', rounds: [base] }, { label: 'b', rounds: [[fileWith('s', 120, evidence({ lookups: 120, blocksPerLookup: 10 }))]] });
    assert.deepEqual(same.findings, []);
    const worse = [
      fileWith(
        's',
        100,
        evidence({
          lookups: 1_100,
          blocksPerLookup: 400,
          seqRows: 600_000,
          lockWait: 1.5,
          findings: [{ kind: 'seq_scan_large_table', subject: 'public.items', message: 'public.items read by 10 sequential scans' }],
        }),
      ),
    ];
    const c = compareRuns({ label: 'a', rounds: [base] }, { label: 'b', rounds: [worse] });
    const got = Object.fromEntries(c.findings.map((f) => [`${f.route} ${f.metric}`, f.severity]));
    assert.equal(got['postgres pg_statements_per_req'], 'fail');
    assert.equal(got['postgres pg_blocks_per_req'], 'fail');
    assert.equal(got['table public.items pg_seq_rows_per_req'], 'fail');
    assert.equal(got['wait Lock:transactionid pg_wait_sessions'], 'fail');
    assert.equal(got[`sql ${statementKey('SELECT * FROM items WHERE project_id = $1')} pg_blocks_per_call`], 'warn', 'a statement per call warns: plans flip between runs');
    assert.equal(got['postgres pg_shape'], 'warn');
    assert.equal(failing(c).length, 4);
    assert.match(formatFinding(c.findings.find((f) => f.metric === 'pg_blocks_per_call')!), /shared blocks per call mean 10 blocks → 400 blocks .*`SELECT \* FROM items/);
    assert.match(formatFinding(c.findings.find((f) => f.metric === 'pg_shape')!), /new in the candidate: public\.items read by 10 sequential scans/);
  });

  it("names a plan's nodes by their partitioned root: two runs' partitions plan alike", () => {
    const plan = {
      'Node Type': 'Append',
      Plans: [
        { 'Node Type': 'Index Scan', 'Relation Name': 'items_r_aa11', 'Index Name': 'items_r_aa11_project_idx' },
        { 'Node Type': 'Index Scan', 'Relation Name': 'items_real', 'Index Name': 'items_real_project_idx' },
      ],
    };
    const roots: Record<string, string> = { items_r_aa11: 'items', items_real: 'items', items_r_aa11_project_idx: 'items_project_idx', items_real_project_idx: 'items_project_idx' };
    assert.deepEqual(
      planShape(plan, (n) => roots[n] ?? n),
      ['Append', 'Index Scan on items using items_project_idx'],
    );
  });

  it('fails on a statement the candidate plans with a sequential scan of a large table the base reached by an index, both plans attached; warns on another change', () => {
    const q = 'SELECT * FROM items WHERE project_id = $1';
    const withPlan = (shape: string[], text: string) => {
      const e = evidence({ lookups: 100, blocksPerLookup: 10 });
      if (!e.available) throw new Error('unreachable');
      return { ...e, plans: [{ key: statementKey(q), query: q, plan: text, shape }] };
    };
    const indexed = () => withPlan(['Index Scan on items using items_project_idx', 'Limit'], 'Limit\n  ->  Index Scan using items_project_idx on items');
    const scanned = () => withPlan(['Limit', 'Seq Scan on items'], 'Limit\n  ->  Seq Scan on items');
    const base = [[fileWith('s', 100, indexed())], [fileWith('s', 100, indexed())]];
    const c = compareRuns({ label: 'a', rounds: base }, { label: 'b', rounds: [[fileWith('s', 100, scanned())], [fileWith('s', 100, scanned())]] });
    const f = c.findings.find((x) => x.metric === 'pg_plan')!;
    assert.equal(f.severity, 'fail');
    assert.match(formatFinding(f), /plan of `SELECT \* FROM items WHERE project_id = \$1` changed: \+ Seq Scan on items; − Index Scan on items using items_project_idx \(items holds 60,000 rows\)/);
    assert.deepEqual(f.plans, { base: 'Limit\n  ->  Index Scan using items_project_idx on items', candidate: 'Limit\n  ->  Seq Scan on items' });
    assert.match(compareMarkdown(c), /<details><summary>both plans<\/summary>[\s\S]*Seq Scan on items/);
    // The same plan: nothing. Rounds of one side that disagree: the plan is not settled, nothing.
    assert.equal(compareRuns({ label: 'a', rounds: base }, { label: 'b', rounds: base }).findings.filter((x) => x.metric === 'pg_plan').length, 0);
    const unsettled = compareRuns({ label: 'a', rounds: base }, { label: 'b', rounds: [[fileWith('s', 100, scanned())], [fileWith('s', 100, indexed())]] });
    assert.equal(unsettled.findings.filter((x) => x.metric === 'pg_plan').length, 0);
    // Another change (a join order, a sort): a warning with both plans.
    const sorted = () => withPlan(['Index Scan on items using items_project_idx', 'Limit', 'Sort'], 'Limit\n  ->  Sort\n  ->  Index Scan using items_project_idx on items');
    const w = compareRuns({ label: 'a', rounds: base }, { label: 'b', rounds: [[fileWith('s', 100, sorted())], [fileWith('s', 100, sorted())]] });
    assert.equal(w.findings.find((x) => x.metric === 'pg_plan')?.severity, 'warn');
  });

  it('keeps a table that was only written to (no scan), with its rows written', () => {
    const d = delta(snap(0, {}, { 'public.audit_log': { ...table(0, 0), rowsWritten: 10 } }), snap(1000, {}, { 'public.audit_log': { ...table(0, 0), rowsWritten: 310 } }));
    assert.deepEqual(
      d.tables.map((t) => [t.table, t.rowsWritten]),
      [['public.audit_log', 300]],
    );
  });

  it('fails on a table the candidate writes on each request and the base did not (a trigger no statement shows), and not on the same writes', () => {
    const withWrites = (audit: number) => {
      const e = evidence({ lookups: 100, blocksPerLookup: 10 });
      if (!e.available) throw new Error('unreachable');
      return { ...e, seconds: 20, tables: [...e.tables, { table: 'public.audit_log', ...table(0, 0, 5_000, 0), rowsWritten: audit }] };
    };
    const base = [[fileWith('s', 100, withWrites(1))], [fileWith('s', 100, withWrites(2))]];
    const trigger = compareRuns({ label: 'a', rounds: base }, { label: 'b', rounds: [[fileWith('s', 100, withWrites(101))], [fileWith('s', 100, withWrites(99))]] });
    const f = trigger.findings.find((x) => x.metric === 'pg_rows_written_per_req')!;
    assert.equal(f.severity, 'fail');
    assert.equal(f.route, 'table public.audit_log');
    assert.match(formatFinding(f), /rows written per request mean 0\.02 rows → 0\.99 rows/);
    const same = compareRuns({ label: 'a', rounds: base }, { label: 'b', rounds: [[fileWith('s', 100, withWrites(2))], [fileWith('s', 100, withWrites(1))]] });
    assert.equal(same.findings.filter((x) => x.metric === 'pg_rows_written_per_req').length, 0);
    // A window under 10 s holds rows flushed late from before it: its writes are not compared.
    const short = (audit: number) => ({ ...withWrites(audit), seconds: 2 });
    const brief = compareRuns({ label: 'a', rounds: [[fileWith('s', 100, short(1))]] }, { label: 'b', rounds: [[fileWith('s', 100, short(700))]] });
    assert.equal(brief.findings.filter((x) => x.metric === 'pg_rows_written_per_req').length, 0);
  });

  it('counts the sessions a scenario opened, n/a where PostgreSQL does not count them (before 14)', () => {
    const at = (ms: number, sessions: number | null): PgSnapshot => ({ ...snap(ms, {}, {}), database: { sessions } });
    assert.deepEqual(delta(at(0, 40), at(1000, 1040)).database, { sessions: 1000 });
    assert.deepEqual(delta(at(0, null), at(1000, null)).database, { sessions: null });
    // A file of an older version has no database counters: none are made up.
    assert.equal(delta(snap(0, {}, {}), snap(1000, {}, {})).database, undefined);
  });

  it('fails on sessions opened per request where the base borrowed from its pool (a route that connects for itself)', () => {
    const withSessions = (sessions: number | null, seconds = 20) => {
      const e = evidence({ lookups: 100, blocksPerLookup: 10 });
      if (!e.available) throw new Error('unreachable');
      return { ...e, seconds, database: { sessions } };
    };
    const round = (sessions: number | null, seconds?: number) => [fileWith('s', 100, withSessions(sessions, seconds))];
    const c = compareRuns({ label: 'a', rounds: [round(2), round(3)] }, { label: 'b', rounds: [round(52), round(49)] });
    const f = c.findings.find((x) => x.metric === 'pg_sessions_per_req')!;
    assert.equal(f.severity, 'fail', compareMarkdown(c));
    assert.match(formatFinding(f), /sessions opened per request mean 0\.03 sessions → 0\.49 sessions/);
    // The harness's own few connections either side: nothing.
    const same = compareRuns({ label: 'a', rounds: [round(2), round(3)] }, { label: 'b', rounds: [round(4), round(2)] });
    assert.equal(same.findings.filter((x) => x.metric === 'pg_sessions_per_req').length, 0);
    // Not counted (PostgreSQL 13), or a window too short for a backend's counters to be flushed: not compared.
    assert.equal(compareRuns({ label: 'a', rounds: [round(null)] }, { label: 'b', rounds: [round(null)] }).findings.filter((x) => x.metric === 'pg_sessions_per_req').length, 0);
    assert.equal(compareRuns({ label: 'a', rounds: [round(2, 2)] }, { label: 'b', rounds: [round(300, 2)] }).findings.filter((x) => x.metric === 'pg_sessions_per_req').length, 0);
  });

  it("counts each variant's statements from its block alone, leaving out a background poll that fell in it", () => {
    const page = 'SELECT * FROM items WHERE project_id = $1 LIMIT $2';
    const count = 'SELECT count(*) FROM comments WHERE item_id = $1';
    const poll = 'SELECT * FROM pgboss.job WHERE state = $1 LIMIT $2';
    const before = snap(0, { [page]: stmt(page, 100), [count]: stmt(count, 50), [poll]: stmt(poll, 7) }, {});
    const after = snap(900, { [page]: stmt(page, 110), [count]: stmt(count, 250), [poll]: stmt(poll, 8) }, {});
    assert.deepEqual(variantStatements(before, after, 10), {
      requests: 10,
      statements: [
        { key: statementKey(count), query: count, calls: 200 },
        { key: statementKey(page), query: page, calls: 10 },
      ],
    });
  });

  it('fails on statements per request of one variant grown where the scenario sum hides which (a whale page gone N+1)', () => {
    const withVariants = (whaleCalls: number) => {
      const e = evidence({ lookups: 100, blocksPerLookup: 10 });
      if (!e.available) throw new Error('unreachable');
      const of = (calls: number) => ({ requests: 10, statements: [{ key: 'k1', query: 'SELECT 1', calls }] });
      return { ...e, variants: { small: of(10), whale: of(whaleCalls) } };
    };
    const round = (whale: number) => [fileWith('s', 100, withVariants(whale))];
    const c = compareRuns({ label: 'a', rounds: [round(10), round(10)] }, { label: 'b', rounds: [round(210), round(210)] });
    const f = c.findings.filter((x) => x.route?.startsWith('postgres@'));
    assert.deepEqual(
      f.map((x) => [x.route, x.metric, x.severity, x.base, x.candidate]),
      [['postgres@whale', 'pg_statements_per_req', 'fail', 1, 21]],
      compareMarkdown(c),
    );
    assert.match(formatPgEvidence(withVariants(210)), /Statements per variant .*\n  small: 1 per request over 10 requests\n    1× k1 SELECT 1\n  whale: 21 per request over 10 requests/);
    // The same counts both sides: nothing.
    assert.equal(compareRuns({ label: 'a', rounds: [round(10)] }, { label: 'b', rounds: [round(10)] }).findings.filter((x) => x.route?.startsWith('postgres@')).length, 0);
  });

  it('warns, never fails, on a statement that read no block a call in the base and some in the candidate (a plan flip, not news)', () => {
    const base = [fileWith('s', 100, evidence({ lookups: 100, blocksPerLookup: 0 }))];
    const cand = [fileWith('s', 100, evidence({ lookups: 100, blocksPerLookup: 224 }))];
    const f = compareRuns({ label: 'a', rounds: [base] }, { label: 'b', rounds: [cand] }).findings.find((x) => x.metric === 'pg_blocks_per_call');
    assert.equal(f?.severity, 'warn', 'a ratio of infinity is not past a fail ratio of infinity: per call never fails by default');
  });

  it("takes each side round by round: the candidate's lowest round against the base's highest", () => {
    // More lookups per request, 100 blocks each: more work, not a plan.
    const round = (blocks: number) => [fileWith('s', 100, evidence({ lookups: blocks, blocksPerLookup: 100 }))];
    const grow = (b: number[], c: number[]) => compareRuns({ label: 'a', rounds: b.map(round) }, { label: 'b', rounds: c.map(round) }).findings.find((f) => f.metric === 'pg_blocks_per_req');
    assert.equal(grow([100, 300], [250, 280]), undefined, 'within the spread of the base rounds');
    assert.equal(grow([100, 300], [950, 2000])?.severity, 'fail');
    assert.deepEqual([grow([100, 300], [950, 2000])?.base, grow([100, 300], [950, 2000])?.candidate], [300, 950]);
    assert.equal(grow([100, 120], [500, 2000])?.severity, 'fail');
    assert.equal(grow([100, 120], [200, 2000])?.severity, 'warn', 'one candidate round barely grew: not past 3×');
  });

  it("judges a growth of blocks from the same calls and rows as a plan's: it warns, naming the statement; more calls still fail", () => {
    const round = (lookups: number, blocksPerLookup: number) => [fileWith('s', 100, evidence({ lookups, blocksPerLookup }))];
    const grow = (b: [number, number][], c: [number, number][]) =>
      compareRuns({ label: 'a', rounds: b.map(([l, k]) => round(l, k)) }, { label: 'b', rounds: c.map(([l, k]) => round(l, k)) }).findings.find((f) => f.metric === 'pg_blocks_per_req');
    // As measured: 18 → 408 blocks a call of the same statement, as often, for the same rows.
    const flip = grow(
      [
        [100, 18],
        [100, 20],
      ],
      [
        [100, 408],
        [100, 400],
      ],
    );
    assert.equal(flip?.severity, 'warn');
    assert.match(flip!.message!, /a plan's, not more work: `SELECT \* FROM items WHERE project_id = \$1` ran as often for as many rows, reading 20 → 400 blocks a call \(100% of the growth\)/);
    // The same growth of blocks from twenty times the calls: N+1, which fails.
    assert.equal(
      grow(
        [
          [100, 18],
          [100, 20],
        ],
        [
          [2_000, 20],
          [2_100, 20],
        ],
      )?.severity,
      'fail',
    );
  });

  it('compares nothing where either side has no statistics (n/a, not 0)', () => {
    const absent: PgEvidence = { available: false, reason: 'DATABASE_URL is not set' };
    const c = compareRuns({ label: 'a', rounds: [[fileWith('s', 100, absent)]] }, { label: 'b', rounds: [[fileWith('s', 100, evidence({ lookups: 9_000, blocksPerLookup: 900 }))]] });
    assert.deepEqual(
      c.findings.filter((f) => f.metric.startsWith('pg_')),
      [],
    );
    assert.equal(c.compared, 5); // latency, service, bytes, errors, status mix: no PostgreSQL figure
  });

  it('prints n/a with the reason where the statistics are absent', () => {
    assert.match(formatPgEvidence({ available: false, reason: 'DATABASE_URL is not set' }), /n\/a \(DATABASE_URL is not set\)/);
    assert.match(pgMarkdown([fileWith('s', 1, { available: false, reason: 'DATABASE_URL is not set' })]), /n\/a: DATABASE_URL is not set/);
    assert.match(pgMarkdown([fileWith('s', 1, evidence({ lookups: 1, blocksPerLookup: 1, lockWait: 0.5 }))]), /Lock:transactionid 0\.50/);
  });
});

describe("auto_explain's plans from a JSON server log", () => {
  // As PostgreSQL 15 wrote them here (log_destination = jsonlog, auto_explain.log_min_duration = 100ms).
  const entry = (dbname: string, app: string, ms: number, query: string) =>
    JSON.stringify({
      timestamp: '2026-11-28 13:50:26.344 UTC',
      user: 'postgres',
      dbname,
      pid: 13970,
      error_severity: 'LOG',
      message: `duration: ${ms} ms  plan:\nQuery Text: ${query}\nResult  (cost=0.00..0.01 rows=1 width=4)`,
      application_name: app,
      backend_type: 'client backend',
      query_id: 0,
    });
  it("keeps this database's entries, not the harness's own, slowest first, and skips a cut line", () => {
    const log = [
      entry('ae', 'the-app', 150.075, 'SELECT pg_sleep(0.15)'),
      JSON.stringify({ dbname: 'ae', error_severity: 'LOG', message: 'checkpoint starting: time', application_name: '' }),
      entry('other', 'the-app', 900, 'SELECT 1'),
      entry('ae', 'pressure-harness-pg-evidence', 800, 'SELECT 2'),
      entry('ae', 'the-app', 612.5, 'SELECT count(*) FROM t'),
      entry('ae', 'the-app', 300, 'SELECT 3').slice(0, 80),
    ].join('\n');
    assert.deepEqual(parsePlanLog(log, 'ae'), [
      { durationMs: 612.5, query: 'SELECT count(*) FROM t', plan: 'Result  (cost=0.00..0.01 rows=1 width=4)' },
      { durationMs: 150.075, query: 'SELECT pg_sleep(0.15)', plan: 'Result  (cost=0.00..0.01 rows=1 width=4)' },
    ]);
  });
});
