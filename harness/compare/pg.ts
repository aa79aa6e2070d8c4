/**
 * PostgreSQL's evidence of two sides compared, scenario by scenario (harness/pg/evidence.ts):
 * the work the database did per request of the scenario, with no rule written for any query.
 *
 *   postgres    statements per request, shared blocks per request (hit or read: the work, whatever
 *               the cache held), temp blocks per request
 *   table <t>   rows read by sequential scans per request (an index that stopped being used)
 *   sql <key>   per statement run often enough on both sides: blocks per call, rows per call
 *   wait <ev>   average active sessions waiting on the event (a lock that started being held)
 *   shapes      a shape finding (a large table scanned, temp files) the base did not have
 *
 * Counters are summed over a side's rounds, and so are its requests: a ratio of sums, one figure
 * a side, compared as a number (growth past a ratio and a floor), as bytes and query counts are.
 */
import type { PgEvidence, PgStatement } from '../pg/evidence.js';
import type { ScenarioFile } from '../report/results.js';
import type { Finding, GrowthRule, Severity } from './compare.js';

export type PgMetric = 'pg_statements_per_req' | 'pg_blocks_per_req' | 'pg_temp_blocks_per_req' | 'pg_seq_rows_per_req' | 'pg_blocks_per_call' | 'pg_rows_per_call' | 'pg_wait_sessions';

export type PgRules = {
  /** Growth past which a figure is a finding, and fails. */
  growth: GrowthRule;
  /** Per metric, the least change that counts, in its unit (a few blocks more is not news). */
  minDelta: Record<PgMetric, number>;
  /** A statement is compared per call when it ran at least this often on each side. */
  minCalls: number;
  /** A shape finding the base did not have. */
  shapes: Severity;
};

export const DEFAULT_PG_RULES: PgRules = {
  growth: { minRatio: 1.5, failRatio: 2 },
  minDelta: { pg_statements_per_req: 0.5, pg_blocks_per_req: 50, pg_temp_blocks_per_req: 10, pg_seq_rows_per_req: 1_000, pg_blocks_per_call: 50, pg_rows_per_call: 10, pg_wait_sessions: 0.2 },
  minCalls: 20,
  shapes: 'warn',
};

export const PG_UNITS: Record<PgMetric, string> = {
  pg_statements_per_req: 'statements',
  pg_blocks_per_req: 'blocks',
  pg_temp_blocks_per_req: 'blocks',
  pg_seq_rows_per_req: 'rows',
  pg_blocks_per_call: 'blocks',
  pg_rows_per_call: 'rows',
  pg_wait_sessions: 'sessions',
};

type Side = {
  requests: number;
  samples: number;
  calls: number;
  blocks: number;
  temp: number;
  tables: Map<string, number>;
  statements: Map<string, { query: string; calls: number; blocks: number; rows: number }>;
  waits: Map<string, number>;
  shapes: Map<string, string>;
};

/** One side's evidence of a scenario, summed over its rounds; undefined when no round has any. */
function sideOf(files: ScenarioFile[]): Side | undefined {
  const avail = files.filter((f): f is ScenarioFile & { pg: Extract<PgEvidence, { available: true }> } => f.pg?.available === true && f.pg.statementStats);
  if (!avail.length) return undefined;
  const s: Side = { requests: 0, samples: 0, calls: 0, blocks: 0, temp: 0, tables: new Map(), statements: new Map(), waits: new Map(), shapes: new Map() };
  for (const f of avail) {
    s.requests += Object.values(f.raw.routes).reduce((n, r) => n + r.requests, 0);
    const add = (st: PgStatement) => {
      const had = s.statements.get(st.key) ?? { query: st.query, calls: 0, blocks: 0, rows: 0 };
      had.calls += st.calls;
      had.blocks += st.blocksHit + st.blocksRead;
      had.rows += st.rows;
      s.statements.set(st.key, had);
    };
    // Kept statements are the busiest (evidence.ts): their sum is nearly all of the work.
    for (const st of f.pg.statements) {
      s.calls += st.calls;
      s.blocks += st.blocksHit + st.blocksRead;
      s.temp += st.tempBlocks;
      add(st);
    }
    for (const t of f.pg.tables) s.tables.set(t.table, (s.tables.get(t.table) ?? 0) + t.seqRows);
    // Averages over samples: weighted by each round's samples.
    for (const [w, v] of Object.entries(f.pg.activity.waits)) s.waits.set(w, (s.waits.get(w) ?? 0) + v * f.pg.activity.samples);
    s.samples += f.pg.activity.samples;
    for (const x of f.pg.findings) s.shapes.set(`${x.kind} ${x.subject}`, x.message);
  }
  for (const [w, v] of s.waits) s.waits.set(w, v / Math.max(1, s.samples));
  return s;
}

export function comparePg(
  scenario: string,
  base: ScenarioFile[],
  candidate: ScenarioFile[],
  rules: PgRules,
  overrides: Record<string, Partial<GrowthRule>> | undefined,
  ignored: (route: string | null, metric: string) => boolean,
): { compared: number; findings: Finding[] } {
  const b = sideOf(base);
  const c = sideOf(candidate);
  const findings: Finding[] = [];
  let compared = 0;
  if (!b || !c || !b.requests || !c.requests) return { compared, findings };
  const judge = (route: string, metric: PgMetric, x: number, y: number) => {
    if (ignored(route, metric)) return;
    compared++;
    const rule = { ...rules.growth, ...overrides?.[metric] };
    const ratio = x === 0 ? (y === 0 ? 1 : Infinity) : y / x;
    if (ratio >= rule.minRatio && y - x >= rules.minDelta[metric]) {
      findings.push({ scenario, route, metric, kind: 'growth', severity: ratio >= rule.failRatio ? 'fail' : 'warn', stat: 'mean', unit: PG_UNITS[metric], base: round(x), candidate: round(y) });
    }
  };
  judge('postgres', 'pg_statements_per_req', b.calls / b.requests, c.calls / c.requests);
  judge('postgres', 'pg_blocks_per_req', b.blocks / b.requests, c.blocks / c.requests);
  judge('postgres', 'pg_temp_blocks_per_req', b.temp / b.requests, c.temp / c.requests);
  for (const t of new Set([...b.tables.keys(), ...c.tables.keys()])) judge(`table ${t}`, 'pg_seq_rows_per_req', (b.tables.get(t) ?? 0) / b.requests, (c.tables.get(t) ?? 0) / c.requests);
  for (const [key, y] of c.statements) {
    const x = b.statements.get(key);
    if (!x || x.calls < rules.minCalls || y.calls < rules.minCalls) continue;
    judge(`sql ${key}`, 'pg_blocks_per_call', x.blocks / x.calls, y.blocks / y.calls);
    judge(`sql ${key}`, 'pg_rows_per_call', x.rows / x.calls, y.rows / y.calls);
  }
  for (const w of new Set([...b.waits.keys(), ...c.waits.keys()])) {
    // Being on the CPU is what a busier run does; a wait is news.
    if (w !== 'CPU') judge(`wait ${w}`, 'pg_wait_sessions', b.waits.get(w) ?? 0, c.waits.get(w) ?? 0);
  }
  for (const [k, message] of c.shapes) {
    if (b.shapes.has(k) || ignored('postgres', 'pg_shape')) continue;
    findings.push({ scenario, route: 'postgres', metric: 'pg_shape', kind: 'shape', severity: rules.shapes, stat: k.split(' ')[0]!, unit: '', base: 0, candidate: 1, message });
  }
  compared += c.shapes.size;
  return { compared, findings };
}

/** A statement's text by key, for the findings that name one. */
export function statementText(files: ScenarioFile[], key: string): string | undefined {
  for (const f of files) if (f.pg?.available) for (const s of f.pg.statements) if (s.key === key) return s.query;
  return undefined;
}

const round = (x: number) => Math.round(x * 1000) / 1000;
