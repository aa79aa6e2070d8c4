/**
 * Budgets: what a scenario may cost. Three kinds, in one object per scenario id (the id is also
 * the perf test's title and its histograms' name):
 *
 *   absolute   '<metric>[@<variant>]': ['<stat> <op> <number>', …]        (k6's threshold grammar)
 *              stat: p(N) | max | min | mean | rate | count     op: < <= > >= ==
 *              A bare metric is the whole scenario; `@variant` one part of it (`latency_ms@page_500`).
 *   scaling    scaling: ['<metric> <stat> <variant> / <variant> <op> <number>[ floor <number>]']
 *              Growth between two data sizes, measured in one run: 'db_queries_per_req max
 *              whale / ordinary <= 1'. `floor` lifts both sides to at least that value first, so
 *              sub-millisecond jitter cannot make a ratio (0.9 ms / 0.4 ms is not "2x slower").
 *   baseline   baseline: ['<metric>[@<variant>] <stat> <= +<pct>%[ or +<number>]']
 *              Against the release tag named by PERF_BASELINE (budgets/baselines/<tag>.json):
 *              at most pct over the baseline's value, or the absolute slack if that is larger.
 *
 * An entry may be `{ expr, strict: false }` to warn without failing.
 *
 * Which metrics gate and which are noisy: counts, bytes, ratios of counts and the queue's SLA are
 * stable and fail at once. Latency-type metrics (NOISY) are judged noise-aware by the harness:
 * a failure is measured again (PERF_REPEATS) and the budget fails only if no attempt met it.
 *
 * defineBudgets checks every entry, reports all problems at once, and freezes the result.
 */
export const METRICS = [
  'latency_ms',
  'db_queries_per_req',
  'bytes_per_req',
  'error_rate',
  'cache_hit_ratio',
  'recomputations',
  'lock_wait_ms',
  'conflict_rate',
  'job_completion_ms',
  'jobs_incomplete',
  'queue_depth_final',
  'p95_drift_ratio',
  'memory_growth_mb',
  'knee',
] as const;
export type MetricKey = (typeof METRICS)[number];
/** Metrics that move with the machine's load: judged with repeats, never on one sample. */
export const NOISY: ReadonlySet<MetricKey> = new Set(['latency_ms', 'lock_wait_ms', 'p95_drift_ratio', 'memory_growth_mb', 'knee']);

export type Threshold = string | { expr: string; strict?: boolean };
export type ScenarioBudget = { [key: string]: Threshold[] | undefined; scaling?: Threshold[]; baseline?: Threshold[] };
export type Budgets = Readonly<Record<string, Readonly<ScenarioBudget>>>;

export type ParsedThreshold = { expr: string; stat: string; percentile?: number; op: string; limit: number; strict: boolean };
export type ParsedScaling = { expr: string; metric: MetricKey; stat: string; percentile?: number; of: string; over: string; op: string; limit: number; floor: number; strict: boolean };
export type ParsedBaseline = { expr: string; metric: MetricKey; variant: string; stat: string; percentile?: number; pct: number; slack: number; strict: boolean };

const NUM = '(-?\\d+(?:\\.\\d+)?)';
const STAT = '(p\\((\\d+(?:\\.\\d+)?)\\)|max|min|mean|rate|count)';
const OP = '(<=|>=|==|<|>)';
const EXPR = new RegExp(`^\\s*${STAT}\\s*${OP}\\s*${NUM}\\s*$`);
const SCALING = new RegExp(`^\\s*([a-z0-9_]+)\\s+${STAT}\\s+([a-z0-9_]+)\\s*/\\s*([a-z0-9_]+)\\s*${OP}\\s*${NUM}(?:\\s+floor\\s+${NUM})?\\s*$`);
const BASELINE = new RegExp(`^\\s*([a-z0-9_]+)(?:@([a-z0-9_]+))?\\s+${STAT}\\s*<=\\s*\\+${NUM}%(?:\\s+or\\s+\\+${NUM})?\\s*$`);
const SCENARIO_ID = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;
const KEY = /^([a-z0-9_]+)(?:@([a-z0-9_]+))?$/;

const text = (t: Threshold) => (typeof t === 'string' ? t : t?.expr);
const strictOf = (t: Threshold) => typeof t === 'string' || t.strict !== false;
const checkPercentile = (expr: string, p: number | undefined) => (p !== undefined && !(p > 0 && p <= 100) ? `"${expr}": p(N) needs 0 < N <= 100` : undefined);
const isMetric = (m: string): m is MetricKey => (METRICS as readonly string[]).includes(m);

export function parseThreshold(t: Threshold): ParsedThreshold | string {
  const expr = text(t);
  const m = EXPR.exec(expr ?? '');
  if (!m) return `"${expr}" is not a threshold; accepted: '<stat> <op> <number>' with stat p(N) | max | min | mean | rate | count and op < <= > >= ==`;
  const percentile = m[2] === undefined ? undefined : Number(m[2]);
  const bad = checkPercentile(expr!, percentile);
  if (bad) return bad;
  return { expr: expr!.trim(), stat: m[2] === undefined ? m[1]! : 'p', ...(percentile !== undefined && { percentile }), op: m[3]!, limit: Number(m[4]), strict: strictOf(t) };
}

/** The shared part of scaling and baseline rules: a known metric first, then a stat (group `stat`). */
function matchRule(t: Threshold, re: RegExp, stat: number, notA: string) {
  const expr = text(t);
  const m = re.exec(expr ?? '');
  if (!m) return `"${expr}" is not a ${notA}`;
  if (!isMetric(m[1]!)) return `"${expr}": unknown metric ${m[1]}; accepted: ${METRICS.join(', ')}`;
  const percentile = m[stat + 1] === undefined ? undefined : Number(m[stat + 1]);
  const bad = checkPercentile(expr!, percentile);
  if (bad) return bad;
  return { m, rule: { expr: expr!.trim(), metric: m[1], stat: percentile === undefined ? m[stat]! : 'p', ...(percentile !== undefined && { percentile }), strict: strictOf(t) } };
}

export function parseScaling(t: Threshold): ParsedScaling | string {
  const r = matchRule(t, SCALING, 2, "scaling rule; accepted: '<metric> <stat> <variant> / <variant> <op> <number>[ floor <number>]', like 'latency_ms p(95) page_500 / page_1 <= 2 floor 5'");
  if (typeof r === 'string') return r;
  const { m, rule } = r;
  return { ...rule, of: m[4]!, over: m[5]!, op: m[6]!, limit: Number(m[7]), floor: m[8] === undefined ? 0 : Number(m[8]) };
}

export function parseBaseline(t: Threshold): ParsedBaseline | string {
  const r = matchRule(t, BASELINE, 3, "baseline rule; accepted: '<metric>[@<variant>] <stat> <= +<pct>%[ or +<number>]', like 'latency_ms@whale_cold p(95) <= +30% or +3'");
  if (typeof r === 'string') return r;
  const { m, rule } = r;
  return { ...rule, variant: m[2] ?? '*', pct: Number(m[5]), slack: m[6] === undefined ? 0 : Number(m[6]) };
}

export function defineBudgets(budgets: Record<string, ScenarioBudget>, where = 'budgets'): Budgets {
  const problems: string[] = [];
  for (const [id, scenario] of Object.entries(budgets)) {
    if (!SCENARIO_ID.test(id)) problems.push(`${id}: a scenario id must be dotted lowercase, like "dashboard.hydrate"`);
    for (const [key, thresholds] of Object.entries(scenario)) {
      const kind = key === 'scaling' || key === 'baseline' ? key : 'absolute';
      const m = KEY.exec(key);
      if (kind === 'absolute' && (!m || !isMetric(m[1]!))) {
        problems.push(`${id}.${key}: unknown metric; accepted: ${METRICS.join(', ')} (optionally @<variant>), scaling, baseline`);
        continue;
      }
      if (!Array.isArray(thresholds) || thresholds.length === 0) {
        problems.push(`${id}.${key}: must be a non-empty list of thresholds`);
        continue;
      }
      for (const t of thresholds) {
        const parsed = kind === 'scaling' ? parseScaling(t) : kind === 'baseline' ? parseBaseline(t) : parseThreshold(t);
        if (typeof parsed === 'string') problems.push(`${id}.${key}: ${parsed}`);
      }
    }
  }
  if (problems.length) throw new Error(`${where}: ${problems.length} invalid budget entr${problems.length === 1 ? 'y' : 'ies'}\n  - ${problems.join('\n  - ')}`);
  return Object.freeze(Object.fromEntries(Object.entries(budgets).map(([k, v]) => [k, Object.freeze({ ...v })])));
}

/** What a metric measured, for the stats the grammar knows. */
export type MetricValues = { percentile?: (p: number) => number; max?: number; min?: number; mean?: number; rate?: number; count?: number; unit?: string };
/** Per variant ('*' is the whole scenario), per metric. */
export type Measured = Record<string, Partial<Record<MetricKey, MetricValues>>>;
/** A baseline: per variant key ('*' or a variant), per metric, per stat label (`p(95)`, `max`). */
export type BaselineValues = Record<string, Record<string, number>>;

export type Outcome = {
  ok: boolean;
  strict: boolean;
  noisy: boolean;
  kind: 'absolute' | 'scaling' | 'baseline';
  key: string;
  value?: number;
  /** Baseline rules: the baseline's value. */
  reference?: number;
  line: string;
};

function compare(v: number, op: string, limit: number): boolean {
  switch (op) {
    case '<': return v < limit;
    case '<=': return v <= limit;
    case '>': return v > limit;
    case '>=': return v >= limit;
    default: return v === limit;
  }
}

const label = (stat: string, p?: number) => (stat === 'p' ? `p(${p})` : stat);
function statOf(values: MetricValues | undefined, stat: string, p?: number): number | undefined {
  if (!values) return undefined;
  const v = stat === 'p' ? values.percentile?.(p!) : values[stat as 'max'];
  return v === undefined || Number.isNaN(v) ? undefined : v;
}
const show = (v: number) => +v.toFixed(3);

/**
 * Evaluates one scenario's budget against what was measured. Each rule gives one line:
 *   ok: dashboard.hydrate db_queries_per_req@whale_cold 'max <= 4' max=3
 *   fail: items.deep_pagination scaling 'latency_ms p(95) page_500 / page_1 <= 2 floor 5' ratio=6.1 (page_500 30.5ms, page_1 5ms)
 *   ok: dashboard.hydrate baseline 'latency_ms p(95) <= +30% or +3' p(95)=12.1ms vs 11.8ms in v1.4.0 (limit 15.34ms)
 * Baseline rules are skipped (not failed) when no baseline was given, and warn when the
 * baseline lacks the value: a new scenario has no history yet.
 */
export function evaluate(id: string, budget: ScenarioBudget, measured: Measured, baseline?: { tag: string; values?: BaselineValues }): Outcome[] {
  const outcomes: Outcome[] = [];
  for (const [key, thresholds] of Object.entries(budget)) {
    if (!thresholds || key === 'scaling' || key === 'baseline') continue;
    const [, metric, variant = '*'] = KEY.exec(key) as unknown as [string, MetricKey, string?];
    const values = measured[variant]?.[metric];
    for (const t of thresholds) {
      const p = parseThreshold(t) as ParsedThreshold;
      const noisy = NOISY.has(metric);
      const value = statOf(values, p.stat, p.percentile);
      if (value === undefined) {
        const where = measured[variant] ? '' : `; measured variants: ${Object.keys(measured).join(', ')}`;
        outcomes.push({ ok: false, strict: p.strict, noisy, kind: 'absolute', key, line: `${p.strict ? 'fail' : 'warn'}: ${id} ${key} '${p.expr}' was not measured${where}` });
        continue;
      }
      const ok = compare(value, p.op, p.limit);
      const verdict = ok ? 'ok' : p.strict ? 'fail' : 'warn';
      outcomes.push({ ok, strict: p.strict, noisy, kind: 'absolute', key, value, line: `${verdict}: ${id} ${key} '${p.expr}' ${label(p.stat, p.percentile)}=${show(value)}${values?.unit ?? ''}` });
    }
  }
  for (const t of budget.scaling ?? []) {
    const s = parseScaling(t) as ParsedScaling;
    const noisy = NOISY.has(s.metric);
    const a = statOf(measured[s.of]?.[s.metric], s.stat, s.percentile);
    const b = statOf(measured[s.over]?.[s.metric], s.stat, s.percentile);
    if (a === undefined || b === undefined) {
      outcomes.push({ ok: false, strict: s.strict, noisy, kind: 'scaling', key: s.expr, line: `${s.strict ? 'fail' : 'warn'}: ${id} scaling '${s.expr}' was not measured (variants: ${Object.keys(measured).join(', ')})` });
      continue;
    }
    const fa = Math.max(a, s.floor);
    const fb = Math.max(b, s.floor);
    const ratio = fb === 0 ? (fa === 0 ? 1 : Infinity) : fa / fb;
    const ok = compare(ratio, s.op, s.limit);
    const unit = measured[s.of]?.[s.metric]?.unit ?? '';
    outcomes.push({ ok, strict: s.strict, noisy, kind: 'scaling', key: s.expr, value: ratio, line: `${ok ? 'ok' : s.strict ? 'fail' : 'warn'}: ${id} scaling '${s.expr}' ratio=${show(ratio)} (${s.of} ${show(a)}${unit}, ${s.over} ${show(b)}${unit})` });
  }
  for (const t of budget.baseline ?? []) {
    const r = parseBaseline(t) as ParsedBaseline;
    const noisy = NOISY.has(r.metric);
    const key = r.variant === '*' ? r.metric : `${r.metric}@${r.variant}`;
    if (!baseline) {
      outcomes.push({ ok: true, strict: false, noisy, kind: 'baseline', key, line: `skip: ${id} baseline '${r.expr}' (no PERF_BASELINE given)` });
      continue;
    }
    const values = measured[r.variant]?.[r.metric];
    const value = statOf(values, r.stat, r.percentile);
    const base = baseline.values?.[key]?.[label(r.stat, r.percentile)];
    if (base === undefined) {
      outcomes.push({ ok: false, strict: false, noisy, kind: 'baseline', key, line: `warn: ${id} baseline '${r.expr}': baseline ${baseline.tag} has no ${key} ${label(r.stat, r.percentile)} (new scenario or variant?)` });
      continue;
    }
    if (value === undefined) {
      outcomes.push({ ok: false, strict: r.strict, noisy, kind: 'baseline', key, line: `${r.strict ? 'fail' : 'warn'}: ${id} baseline '${r.expr}' was not measured` });
      continue;
    }
    const limit = Math.max(base * (1 + r.pct / 100), base + r.slack);
    const ok = value <= limit;
    const delta = base === 0 ? '' : ` (${value >= base ? '+' : ''}${(((value - base) / base) * 100).toFixed(1)}%)`;
    outcomes.push({
      ok,
      strict: r.strict,
      noisy,
      kind: 'baseline',
      key,
      value,
      reference: base,
      line: `${ok ? 'ok' : r.strict ? 'fail' : 'warn'}: ${id} baseline '${r.expr}' ${label(r.stat, r.percentile)}=${show(value)}${values?.unit ?? ''} vs ${show(base)}${values?.unit ?? ''} in ${baseline.tag}${delta}, limit ${show(limit)}`,
    });
  }
  return outcomes;
}
