/**
 * Budgets: what a scenario may cost. The grammar follows k6 thresholds:
 *
 *   '<stat> <op> <number>'    stat: p(N) | max | min | mean | rate | count    op: < <= > >= ==
 *
 * per metric key (snake_case, unit last): latency_ms, db_queries_per_req, bytes_per_req,
 * error_rate. An entry may be a string, or `{ expr, strict: false }` to warn without failing.
 * Keys are scenario ids, which are also the perf test titles and histogram names.
 *
 * defineBudgets checks every entry, reports all problems at once, and freezes the result.
 */
export const METRICS = ['latency_ms', 'db_queries_per_req', 'bytes_per_req', 'error_rate'] as const;
export type MetricKey = (typeof METRICS)[number];
export type Threshold = string | { expr: string; strict?: boolean };
export type ScenarioBudget = Partial<Record<MetricKey, Threshold[]>>;
export type Budgets = Readonly<Record<string, Readonly<ScenarioBudget>>>;

export type ParsedThreshold = { expr: string; stat: string; percentile?: number; op: string; limit: number; strict: boolean };

const EXPR = /^\s*(p\((\d+(?:\.\d+)?)\)|max|min|mean|rate|count)\s*(<=|>=|==|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/;
const SCENARIO_ID = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;

export function parseThreshold(t: Threshold): ParsedThreshold | string {
  const expr = typeof t === 'string' ? t : t.expr;
  const m = EXPR.exec(expr ?? '');
  if (!m) return `"${expr}" is not a threshold; accepted: '<stat> <op> <number>' with stat p(N) | max | min | mean | rate | count and op < <= > >= ==`;
  const percentile = m[2] === undefined ? undefined : Number(m[2]);
  if (percentile !== undefined && !(percentile > 0 && percentile <= 100)) return `"${expr}": p(N) needs 0 < N <= 100`;
  return { expr: expr.trim(), stat: m[2] === undefined ? m[1]! : 'p', ...(percentile !== undefined && { percentile }), op: m[3]!, limit: Number(m[4]), strict: typeof t === 'string' || t.strict !== false };
}

export function defineBudgets(budgets: Record<string, ScenarioBudget>, where = 'budgets'): Budgets {
  const problems: string[] = [];
  for (const [id, scenario] of Object.entries(budgets)) {
    if (!SCENARIO_ID.test(id)) problems.push(`${id}: a scenario id must be dotted lowercase, like "dashboard.hydrate"`);
    for (const [metric, thresholds] of Object.entries(scenario)) {
      if (!(METRICS as readonly string[]).includes(metric)) {
        problems.push(`${id}.${metric}: unknown metric; accepted: ${METRICS.join(', ')}`);
        continue;
      }
      if (!Array.isArray(thresholds) || thresholds.length === 0) {
        problems.push(`${id}.${metric}: must be a non-empty list of thresholds`);
        continue;
      }
      for (const t of thresholds) {
        const parsed = parseThreshold(t);
        if (typeof parsed === 'string') problems.push(`${id}.${metric}: ${parsed}`);
      }
    }
  }
  if (problems.length) throw new Error(`${where}: ${problems.length} invalid budget entr${problems.length === 1 ? 'y' : 'ies'}\n  - ${problems.join('\n  - ')}`);
  return Object.freeze(Object.fromEntries(Object.entries(budgets).map(([k, v]) => [k, Object.freeze({ ...v })])));
}

/** What a metric measured, for the stats the grammar knows. */
export type MetricValues = { percentile?: (p: number) => number; max?: number; min?: number; mean?: number; rate?: number; count?: number; unit?: string };

export type Outcome = { ok: boolean; strict: boolean; line: string };

function compare(v: number, op: string, limit: number): boolean {
  switch (op) {
    case '<': return v < limit;
    case '<=': return v <= limit;
    case '>': return v > limit;
    case '>=': return v >= limit;
    default: return v === limit;
  }
}

/**
 * Evaluates one scenario's budget against what was measured. Each threshold gives one line:
 * `ok: dashboard.hydrate db_queries_per_req 'max <= 6' max=4`.
 */
export function evaluate(id: string, budget: ScenarioBudget, measured: Partial<Record<MetricKey, MetricValues>>): Outcome[] {
  const outcomes: Outcome[] = [];
  for (const [metric, thresholds] of Object.entries(budget) as [MetricKey, Threshold[]][]) {
    for (const t of thresholds) {
      const p = parseThreshold(t) as ParsedThreshold;
      const values = measured[metric];
      const value = !values ? undefined : p.stat === 'p' ? values.percentile?.(p.percentile!) : values[p.stat as 'max'];
      const label = p.stat === 'p' ? `p(${p.percentile})` : p.stat;
      if (value === undefined) {
        outcomes.push({ ok: false, strict: p.strict, line: `fail: ${id} ${metric} '${p.expr}' was not measured` });
        continue;
      }
      const ok = compare(value, p.op, p.limit);
      const verdict = ok ? 'ok' : p.strict ? 'fail' : 'warn';
      outcomes.push({ ok, strict: p.strict, line: `${verdict}: ${id} ${metric} '${p.expr}' ${label}=${+value.toFixed(3)}${values?.unit ?? ''}` });
    }
  }
  return outcomes;
}
