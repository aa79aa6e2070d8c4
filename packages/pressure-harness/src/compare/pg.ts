/**
 * PostgreSQL's evidence of two sides compared, scenario by scenario (pg/evidence.ts):
 * the work the database did per request of the scenario, with no rule written for any query.
 *
 *   postgres    statements per request (and per variant of an interleaved scenario, from each
 *               variant's block alone: postgres@<variant>), shared blocks per request (hit or read: the work, whatever
 *               the cache held), temp blocks per request, sessions opened per request (a route
 *               that connects for itself instead of borrowing from the pool)
 *   table <t>   rows read by sequential scans per request (an index that stopped being used), rows
 *               written per request (a trigger, a side table: writes no top-level statement shows)
 *   sql <key>   per statement run often enough on both sides: blocks per call, rows per call
 *   wait <ev>   average active sessions waiting on the event (a lock that started being held)
 *   shapes      a shape finding (a large table scanned, temp files) the base did not have
 *   plans       a statement whose plan changed (EXPLAIN (GENERIC_PLAN), both plans attached):
 *               fails when the candidate scans a large table the base reached by an index
 *
 * Each figure is compared as a number (growth past a ratio and a floor), as bytes and query
 * counts are, round against round (comparePg says how).
 */
import { ACTIVITY_MIN_SAMPLES, COUNTERS_MIN_SECONDS } from '../pg/windows.js';
import type { Compared } from '../report/results.js';
import type { Finding, GrowthRule, PgMetric, PgRules } from './types.js';

export type { PgMetric, PgRules } from './types.js';

export const DEFAULT_PG_RULES: PgRules = {
  // Clean rounds here differed up to 2.5× in blocks per request on the soak: 3× fails.
  growth: { minRatio: 1.5, failRatio: 3 },
  perCall: { minRatio: 1.5, failRatio: Infinity },
  minDelta: {
    pg_statements_per_req: 0.5,
    pg_blocks_per_req: 50,
    pg_temp_blocks_per_req: 10,
    pg_seq_rows_per_req: 1_000,
    // A fifth of a row per request: one more row for each write of a mix whose writes are a sixth.
    pg_rows_written_per_req: 0.15,
    // A connection for one request in twenty: a pooled backend opens a handful a run, whatever its load.
    pg_sessions_per_req: 0.05,
    pg_blocks_per_call: 50,
    pg_rows_per_call: 10,
    pg_wait_sessions: 0.2,
    pg_state_sessions: 0.5,
    pg_plan: 0,
  },
  minCalls: 20,
  shapes: 'warn',
  planSeqScanRows: 10_000,
};

export const PG_UNITS: Record<PgMetric, string> = {
  pg_statements_per_req: 'statements',
  pg_blocks_per_req: 'blocks',
  pg_temp_blocks_per_req: 'blocks',
  pg_seq_rows_per_req: 'rows',
  pg_rows_written_per_req: 'rows',
  pg_sessions_per_req: 'sessions',
  pg_blocks_per_call: 'blocks',
  pg_rows_per_call: 'rows',
  pg_wait_sessions: 'sessions',
  pg_state_sessions: 'sessions',
  pg_plan: '',
};

/** One round's figures of a scenario: `route|metric` → value; and its shapes. */
type Figures = {
  values: Map<string, { route: string; metric: PgMetric; value: number }>;
  calls: Map<string, number>;
  texts: Map<string, string>;
  shapes: Map<string, string>;
  requests: number;
  /** Per statement, per request of the scenario: calls, blocks and rows. */
  perReq: Map<string, { calls: number; blocks: number; rows: number }>;
};

/** A round's figures, from the evidence of its scenario file; undefined without statistics. */
function figuresOf(f: Compared): Figures | undefined {
  if (!f.pg?.available || !f.pg.statementStats) return undefined;
  const requests = Object.values(f.raw.routes).reduce((n, r) => n + r.requests, 0);
  if (!requests) return undefined;
  const values: Figures['values'] = new Map();
  const put = (route: string, metric: PgMetric, value: number) => values.set(`${route}|${metric}`, { route, metric, value });
  const calls = new Map<string, number>();
  const texts = new Map<string, string>();
  const perReq: Figures['perReq'] = new Map();
  let all = 0;
  let blocks = 0;
  let temp = 0;
  // Kept statements are the busiest (evidence.ts): their sum is nearly all of the work.
  for (const st of f.pg.statements) {
    all += st.calls;
    blocks += st.blocksHit + st.blocksRead;
    temp += st.tempBlocks;
    calls.set(st.key, st.calls);
    texts.set(st.key, st.query);
    perReq.set(st.key, { calls: st.calls / requests, blocks: (st.blocksHit + st.blocksRead) / requests, rows: st.rows / requests });
    put(`sql ${st.key}`, 'pg_blocks_per_call', (st.blocksHit + st.blocksRead) / st.calls);
    put(`sql ${st.key}`, 'pg_rows_per_call', st.rows / st.calls);
  }
  put('postgres', 'pg_statements_per_req', all / requests);
  // Per variant, from its block alone (evidence.ts): a whale's page running a query per project
  // where a small tenant's runs one shows here, not only in the scenario's sum.
  for (const [variant, v] of Object.entries(f.pg.variants ?? {})) {
    if (v.requests) put(`postgres@${variant}`, 'pg_statements_per_req', v.statements.reduce((n, st) => n + st.calls, 0) / v.requests);
  }
  put('postgres', 'pg_blocks_per_req', blocks / requests);
  put('postgres', 'pg_temp_blocks_per_req', temp / requests);
  for (const t of f.pg.tables) {
    put(`table ${t.table}`, 'pg_seq_rows_per_req', t.seqRows / requests);
    // Writes only over a long enough window (pg/windows.ts): here a 250 ms scenario read 0 or 7.5
    // comments written per request, by when the seeding connection flushed.
    if (t.rowsWritten !== undefined && f.pg.seconds >= COUNTERS_MIN_SECONDS) put(`table ${t.table}`, 'pg_rows_written_per_req', t.rowsWritten / requests);
  }
  // Sessions over the same windows as writes: a backend reports its connection with its other
  // counters, up to 10 s late when idle.
  if (f.pg.database?.sessions != null && f.pg.seconds >= COUNTERS_MIN_SECONDS) put('postgres', 'pg_sessions_per_req', f.pg.database.sessions / requests);
  // Being on the CPU is what a busier run does, and Client:* is the backend's own pause between
  // statements: a wait inside the database is news. Sampled 4 times a second, a short scenario
  // has too few samples for an average (one sample of two sessions is 0.5 over four).
  if (f.pg.activity.samples >= ACTIVITY_MIN_SAMPLES) {
    for (const [w, v] of Object.entries(f.pg.activity.waits)) if (w !== 'CPU' && !w.startsWith('Client:')) put(`wait ${w}`, 'pg_wait_sessions', v);
    // Sessions idle in a transaction: a connection held across a slow call, which the pool and the
    // locks pay for. (Active sessions are a busier run's CPU: a short scenario here went from 0
    // to 1.1 between two clean runs.)
    for (const [state, v] of Object.entries(f.pg.activity.states)) if (state.startsWith('idle in transaction')) put(`state ${state}`, 'pg_state_sessions', v);
  }
  return { values, calls, texts, shapes: new Map(f.pg.findings.map((x) => [`${x.kind} ${x.subject}`, x.message])), requests, perReq };
}

/**
 * A wait of parallel query's coordination (a Gather waiting for its workers, a worker's queue):
 * the planner chose a parallel plan, which a plan's finding says better; no session waits on
 * another's work. Two faulty rounds here whose faults touch no query (a leak, a small pool) had a
 * dashboard query flip to a parallel plan in one scenario: 0.2 sessions "waiting" on
 * IPC:BgworkerShutdown failed them. It warns.
 */
const PARALLEL_QUERY = /^wait IPC:(Bgworker|MessageQueue|Parallel|ExecuteGather|Hash)/i;
const planChoice = (route: string) => PARALLEL_QUERY.test(route);

/**
 * Each side's rounds apart: a figure grows when the candidate's lowest round exceeds the base's
 * highest by the rule (min over max). Rounds of one version vary with what the app had
 * accumulated and how fast the run went (background work per request), and a range test is
 * immune to both where a pooled ratio is not: with one round a side it is the plain ratio.
 */
export function comparePg(
  scenario: string,
  base: Compared[],
  candidate: Compared[],
  rules: PgRules,
  overrides: Record<string, Partial<GrowthRule>> | undefined,
  ignored: (route: string | null, metric: string) => boolean,
): { compared: number; findings: Finding[] } {
  const b = base.map(figuresOf).filter((x): x is Figures => x !== undefined);
  const c = candidate.map(figuresOf).filter((x): x is Figures => x !== undefined);
  const findings: Finding[] = [];
  let compared = 0;
  if (!b.length || !c.length) return { compared, findings };
  const keys = new Set(c.flatMap((r) => [...r.values.keys()]));
  for (const k of keys) {
    const { route, metric } = c.find((r) => r.values.has(k))!.values.get(k)!;
    if (ignored(route, metric)) continue;
    // A statement is compared per call only where it ran often enough in every round of both sides.
    if (route.startsWith('sql ')) {
      const sk = route.slice(4);
      if (![...b, ...c].every((r) => (r.calls.get(sk) ?? 0) >= rules.minCalls)) continue;
    }
    compared++;
    const x = Math.max(...b.map((r) => r.values.get(k)?.value ?? 0));
    const y = Math.min(...c.map((r) => r.values.get(k)?.value ?? 0));
    const rule = { ...(route.startsWith('sql ') ? rules.perCall : rules.growth), ...overrides?.[metric] };
    const ratio = x === 0 ? (y === 0 ? 1 : Infinity) : y / x;
    if (ratio >= rule.minRatio && y - x >= rules.minDelta[metric]) {
      // A statement's finding carries its text: a key alone says nothing to a reader.
      const text = route.startsWith('sql ') ? c.find((r) => r.texts.has(route.slice(4)))?.texts.get(route.slice(4)) : undefined;
      // A fail ratio of Infinity means never: 0 → 224 blocks is an infinite ratio, not a failure.
      const past = Number.isFinite(rule.failRatio) && ratio >= rule.failRatio && !planChoice(route);
      const plan = past && metric === 'pg_blocks_per_req' ? planExplained(b, c, y - x, rules) : undefined;
      findings.push({
        scenario,
        route,
        metric,
        kind: 'growth',
        severity: past && !plan ? 'fail' : 'warn',
        stat: 'mean',
        unit: PG_UNITS[metric],
        base: round(x),
        candidate: round(y),
        ...(text && { message: text.replace(/\s+/g, ' ').slice(0, 200) }),
        ...(plan && { message: plan }),
      });
    }
  }
  // A shape every candidate round shows and no base round did.
  if (!ignored('postgres', 'pg_shape')) {
    for (const [k, message] of c[0]!.shapes) {
      compared++;
      if (c.every((r) => r.shapes.has(k)) && !b.some((r) => r.shapes.has(k))) {
        findings.push({ scenario, route: 'postgres', metric: 'pg_shape', kind: 'shape', severity: rules.shapes, stat: k.split(' ')[0]!, unit: '', base: 0, candidate: 1, message });
      }
    }
  }
  if (!ignored('postgres', 'pg_plan')) {
    const p = comparePlans(scenario, base, candidate, rules);
    compared += p.compared;
    findings.push(...p.findings);
  }
  return { compared, findings };
}

/**
 * Whether a growth of blocks per request is a plan's: statements run as often per request as in
 * the base, returning as many rows, each reading more blocks a call. Their share of the growth is
 * counted round against round like the figure (the candidate's lowest over the base's highest);
 * past half, the growth is a plan's, and a plan is judged by its shape (comparePlans: a new scan
 * of a large table fails, both plans attached), not by its blocks. A clean backend's plans flip
 * between rounds when the planner's costs are near a tie (ANALYZE reads a random sample): here
 * the dashboard's page query read 18 blocks a call in 3 of 5 clean rounds and 408 in the other
 * two, for the same rows, which failed a clean pair at 56 → 442 blocks per request. A growth
 * from more calls (N+1) or more rows (a wider filter) is not a plan's, and still fails.
 * Returns the statement that explains most of it, or undefined.
 */
function planExplained(b: Figures[], c: Figures[], growth: number, rules: PgRules): string | undefined {
  const near = (y: number, x: number) => (x === 0 ? y === 0 : y / x < rules.perCall.minRatio && x / y < rules.perCall.minRatio);
  let share = 0;
  let top: { key: string; delta: number; from: number; to: number } | undefined;
  for (const key of c[0]!.perReq.keys()) {
    const all = [...b, ...c].map((r) => r.perReq.get(key));
    if (all.some((x) => !x)) continue;
    const [bs, cs] = [b.map((r) => r.perReq.get(key)!), c.map((r) => r.perReq.get(key)!)];
    const hi = (xs: typeof bs, k: 'calls' | 'blocks' | 'rows') => Math.max(...xs.map((x) => x[k]));
    const lo = (xs: typeof bs, k: 'calls' | 'blocks' | 'rows') => Math.min(...xs.map((x) => x[k]));
    if (!near(lo(cs, 'calls'), hi(bs, 'calls')) || !near(hi(cs, 'calls'), lo(bs, 'calls'))) continue;
    const rowsPerCall = (xs: typeof bs) => xs.map((x) => (x.calls ? x.rows / x.calls : 0));
    if (!near(Math.min(...rowsPerCall(cs)), Math.max(...rowsPerCall(bs))) || !near(Math.max(...rowsPerCall(cs)), Math.min(...rowsPerCall(bs)))) continue;
    const delta = lo(cs, 'blocks') - hi(bs, 'blocks');
    if (delta <= 0) continue;
    share += delta;
    const perCall = (v: { calls: number; blocks: number }) => (v.calls ? v.blocks / v.calls : 0);
    if (!top || delta > top.delta) top = { key, delta, from: Math.max(...bs.map(perCall)), to: Math.min(...cs.map(perCall)) };
  }
  if (!top || share < growth / 2) return undefined;
  const text = (c[0]!.texts.get(top.key) ?? top.key).replace(/\s+/g, ' ').slice(0, 160);
  return `a plan's, not more work: \`${text}\` ran as often for as many rows, reading ${round(top.from)} → ${round(top.to)} blocks a call (${Math.round((share / growth) * 100)}% of the growth); its plan is judged by its shape`;
}

type ShapedPlan = { plan: string; shape: string[]; query: string };
const shapedPlans = (f: Compared): Map<string, ShapedPlan> =>
  new Map((f.pg?.available ? f.pg.plans : []).flatMap((p) => ('plan' in p && p.shape ? [[p.key, { plan: p.plan, shape: p.shape, query: p.query }] as const] : [])));

/**
 * Plans of one statement on both sides, where every round of each side planned it alike (a side
 * whose own rounds disagree says its plan is not settled, and is left out). A new sequential scan
 * of a large table, where the base used an index, fails: the table's live rows are the
 * candidate's own (pg_stat_user_tables, its partitions under their root).
 */
function comparePlans(scenario: string, base: Compared[], candidate: Compared[], rules: PgRules): { compared: number; findings: Finding[] } {
  const b = base.map(shapedPlans);
  const c = candidate.map(shapedPlans);
  const findings: Finding[] = [];
  let compared = 0;
  if (!b.length || !c.length) return { compared, findings };
  const liveRows = (table: string) => Math.min(...candidate.map((f) => (f.pg?.available ? (f.pg.tables.find((t) => t.table === table || t.table.endsWith(`.${table}`))?.liveRows ?? 0) : 0)));
  for (const key of c[0]!.keys()) {
    const all = [...b, ...c].map((m) => m.get(key));
    if (all.some((x) => !x)) continue;
    const side = (ms: Map<string, ShapedPlan>[]) => new Set(ms.map((m) => JSON.stringify(m.get(key)!.shape)));
    const [bs, cs] = [side(b), side(c)];
    if (bs.size !== 1 || cs.size !== 1) continue;
    compared++;
    if ([...bs][0] === [...cs][0]) continue;
    const [bp, cp] = [b[0]!.get(key)!, c[0]!.get(key)!];
    const added = cp.shape.filter((x) => !bp.shape.includes(x));
    const removed = bp.shape.filter((x) => !cp.shape.includes(x));
    const bigScan = added
      .map((x) => /^Seq Scan on (\S+)$/.exec(x)?.[1])
      .find(
        (t): t is string =>
          t !== undefined && liveRows(t) >= (rules.planSeqScanRows ?? DEFAULT_PG_RULES.planSeqScanRows!) && !bp.shape.some((y) => y.startsWith('Seq Scan on ') && y.endsWith(` ${t}`)),
      );
    findings.push({
      scenario,
      route: `sql ${key}`,
      metric: 'pg_plan',
      kind: 'shape',
      severity: bigScan ? 'fail' : 'warn',
      stat: 'plan',
      unit: '',
      base: 0,
      candidate: 1,
      message: `plan of \`${cp.query.replace(/\s+/g, ' ').slice(0, 120)}\` changed: ${[...added.map((x) => `+ ${x}`), ...removed.map((x) => `− ${x}`)].join('; ')}${bigScan ? ` (${bigScan} holds ${liveRows(bigScan).toLocaleString('en-US')} rows)` : ''}`,
      plans: { base: bp.plan, candidate: cp.plan },
    });
  }
  return { compared, findings };
}

const round = (x: number) => Math.round(x * 1000) / 1000;
