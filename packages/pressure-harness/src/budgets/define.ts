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
import '../metrics/builtin.js';
import { metricDef, metricNames, type MetricValues } from '../metrics/registry.js';

/** A metric's name in the registry (metrics/registry.ts); a suite registers its own. */
export type MetricKey = string;
export type { MetricValues };

/**
 * `strict: false` warns instead of failing. `required: true` fails where the backend gives no
 * evidence for the metric; without it, a rule on an absent metric is skipped as n/a, with the reason.
 */
export type Threshold = string | { expr: string; strict?: boolean; required?: boolean };
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
// A variant is a scenario's (keyset_page_500), a table (public.audit_log) or a gauge of the backend.
const KEY = /^([a-z0-9_]+)(?:@([a-z0-9_.]+))?$/;

const text = (t: Threshold) => (typeof t === 'string' ? t : t?.expr);
const strictOf = (t: Threshold) => typeof t === 'string' || t.strict !== false;
const requiredOf = (t: Threshold) => typeof t !== 'string' && t.required === true;
const checkPercentile = (expr: string, p: number | undefined) => (p !== undefined && !(p > 0 && p <= 100) ? `"${expr}": p(N) needs 0 < N <= 100` : undefined);
const isMetric = (m: string): boolean => metricDef(m) !== undefined;
const accepted = () => metricNames().join(', ');
const noisyOf = (m: string) => metricDef(m)?.noisy ?? false;

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
  if (!isMetric(m[1]!)) return `"${expr}": unknown metric ${m[1]}; registered: ${accepted()} (a suite registers its own with defineMetric)`;
  const percentile = m[stat + 1] === undefined ? undefined : Number(m[stat + 1]);
  const bad = checkPercentile(expr!, percentile);
  if (bad) return bad;
  return { m, rule: { expr: expr!.trim(), metric: m[1]!, stat: percentile === undefined ? m[stat]! : 'p', ...(percentile !== undefined && { percentile }), strict: strictOf(t) } };
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
        problems.push(`${id}.${key}: unknown metric; registered: ${accepted()} (optionally @<variant>), scaling, baseline; a suite registers its own with defineMetric`);
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

/** Per variant ('*' is the whole scenario), per metric. */
export type Measured = Record<string, Record<string, MetricValues>>;
/** A baseline: per variant key ('*' or a variant), per metric, per stat label (`p(95)`, `max`). */
export type BaselineValues = Record<string, Record<string, number>>;

/**
 * One rule's verdict, as data: formatted only where it is printed (formatOutcome), never parsed.
 *   ok    the rule held            fail  it did not, and it gates
 *   warn  it did not, warn-only    skip  it could not be judged: no baseline, or no evidence (n/a)
 */
export type Verdict = 'ok' | 'fail' | 'warn' | 'skip';
export type Outcome = {
  scenario: string;
  kind: 'absolute' | 'scaling' | 'baseline';
  /** The budget key: `latency_ms@page_1`, or the rule itself for scaling rules. */
  key: string;
  /** The rule as written: `p(95) < 120`. */
  rule: string;
  verdict: Verdict;
  strict: boolean;
  noisy: boolean;
  /** The stat the rule reads: `p(95)`, `max`, `ratio`. */
  stat?: string;
  value?: number;
  /** Baseline rules: the baseline's value; the limit it allowed. */
  reference?: number;
  limit?: number;
  unit?: string;
  /** Why it could not be judged, or what was measured beside (a ratio's two sides). */
  note?: string;
};

/** Rules that held or failed, as opposed to skipped ones. */
export const judged = (o: Outcome) => o.verdict !== 'skip';
export const passed = (o: Outcome) => o.verdict === 'ok';
/** Failed and gating. */
export const broke = (o: Outcome) => o.verdict === 'fail';

function compare(v: number, op: string, limit: number): boolean {
  switch (op) {
    case '<':
      return v < limit;
    case '<=':
      return v <= limit;
    case '>':
      return v > limit;
    case '>=':
      return v >= limit;
    default:
      return v === limit;
  }
}

const label = (stat: string, p?: number) => (stat === 'p' ? `p(${p})` : stat);
function statOf(values: MetricValues | undefined, stat: string, p?: number): number | undefined {
  if (!values) return undefined;
  const v = stat === 'p' ? values.percentile?.(p!) : values[stat as 'max'];
  return v === undefined || Number.isNaN(v) ? undefined : v;
}
const show = (v: number) => +v.toFixed(3);
const failing = (strict: boolean): Verdict => (strict ? 'fail' : 'warn');

/**
 * A rule's metric has no value. Where the backend lacks the capability the metric needs, that
 * is n/a (skipped, with the reason) unless the rule is `required`; anywhere else it is a rule
 * that measured nothing, which fails.
 */
function missing(metric: string, required: boolean, strict: boolean, absent: ReadonlySet<string>, where: string): { verdict: Verdict; note: string } {
  const def = metricDef(metric);
  if (def?.capability && absent.has(def.capability)) {
    const note = `n/a: the backend does not offer ${def.capability} (${def.description})`;
    return required ? { verdict: 'fail', note: `${note}, and the rule is required` } : { verdict: 'skip', note };
  }
  return { verdict: failing(strict), note: `was not measured${where}` };
}

/**
 * Evaluates one scenario's budget against what was measured: one outcome per rule. Baseline
 * rules are skipped when no baseline was given, and warn when the baseline lacks the value (a
 * new scenario has no history yet). `absent`: the capabilities the backend lacks (n/a metrics).
 */
export function evaluate(id: string, budget: ScenarioBudget, measured: Measured, baseline?: { tag: string; values?: BaselineValues }, absent: ReadonlySet<string> = new Set()): Outcome[] {
  const outcomes: Outcome[] = [];
  const variants = () => `; measured variants: ${Object.keys(measured).join(', ')}`;
  for (const [key, thresholds] of Object.entries(budget)) {
    if (!thresholds || key === 'scaling' || key === 'baseline') continue;
    const [, metric, variant = '*'] = KEY.exec(key) as unknown as [string, string, string?];
    const values = measured[variant]?.[metric];
    for (const t of thresholds) {
      const p = parseThreshold(t) as ParsedThreshold;
      const base = { scenario: id, kind: 'absolute' as const, key, rule: p.expr, strict: p.strict, noisy: noisyOf(metric), stat: label(p.stat, p.percentile) };
      const value = statOf(values, p.stat, p.percentile);
      if (value === undefined && values?.na !== undefined) {
        // Evidence that exists but cannot speak for this scenario (report/figures.ts says why).
        const note = `n/a: ${values.na}`;
        outcomes.push({ ...base, ...(requiredOf(t) ? { verdict: 'fail' as const, note: `${note}, and the rule is required` } : { verdict: 'skip' as const, note }) });
        continue;
      }
      if (value === undefined) {
        outcomes.push({ ...base, ...missing(metric, requiredOf(t), p.strict, absent, measured[variant] ? '' : variants()) });
        continue;
      }
      const ok = compare(value, p.op, p.limit);
      outcomes.push({ ...base, verdict: ok ? 'ok' : failing(p.strict), value, limit: p.limit, unit: values?.unit ?? '' });
    }
  }
  for (const t of budget.scaling ?? []) {
    const s = parseScaling(t) as ParsedScaling;
    const base = { scenario: id, kind: 'scaling' as const, key: s.expr, rule: s.expr, strict: s.strict, noisy: noisyOf(s.metric), stat: 'ratio' };
    const a = statOf(measured[s.of]?.[s.metric], s.stat, s.percentile);
    const b = statOf(measured[s.over]?.[s.metric], s.stat, s.percentile);
    if (a === undefined || b === undefined) {
      outcomes.push({ ...base, ...missing(s.metric, requiredOf(t), s.strict, absent, ` (variants: ${Object.keys(measured).join(', ')})`) });
      continue;
    }
    const fa = Math.max(a, s.floor);
    const fb = Math.max(b, s.floor);
    const ratio = fb === 0 ? (fa === 0 ? 1 : Infinity) : fa / fb;
    const ok = compare(ratio, s.op, s.limit);
    const unit = measured[s.of]?.[s.metric]?.unit ?? '';
    outcomes.push({ ...base, verdict: ok ? 'ok' : failing(s.strict), value: ratio, limit: s.limit, note: `${s.of} ${show(a)}${unit}, ${s.over} ${show(b)}${unit}` });
  }
  for (const t of budget.baseline ?? []) {
    const r = parseBaseline(t) as ParsedBaseline;
    const key = r.variant === '*' ? r.metric : `${r.metric}@${r.variant}`;
    const base = { scenario: id, kind: 'baseline' as const, key, rule: r.expr, strict: r.strict, noisy: noisyOf(r.metric), stat: label(r.stat, r.percentile) };
    if (!baseline) {
      outcomes.push({ ...base, verdict: 'skip', strict: false, note: 'no PERF_BASELINE given' });
      continue;
    }
    // A variant no run measures is a typo, not a new variant: it fails now, not warns forever.
    if (!measured[r.variant]) {
      outcomes.push({ ...base, verdict: failing(r.strict), note: `names variant "${r.variant}", which this scenario does not measure${variants()}` });
      continue;
    }
    const values = measured[r.variant]?.[r.metric];
    const value = statOf(values, r.stat, r.percentile);
    const ref = baseline.values?.[key]?.[label(r.stat, r.percentile)];
    if (ref === undefined) {
      outcomes.push({ ...base, verdict: 'warn', strict: false, note: `baseline ${baseline.tag} has no ${key} ${label(r.stat, r.percentile)} (new scenario or variant?)` });
      continue;
    }
    if (value === undefined) {
      outcomes.push({ ...base, ...missing(r.metric, requiredOf(t), r.strict, absent, '') });
      continue;
    }
    const limit = Math.max(ref * (1 + r.pct / 100), ref + r.slack);
    outcomes.push({ ...base, verdict: value <= limit ? 'ok' : failing(r.strict), value, reference: ref, limit, unit: values?.unit ?? '', note: `in ${baseline.tag}` });
  }
  return outcomes;
}

/**
 * An outcome as one line, where it is printed:
 *   ok: dashboard.hydrate db_queries_per_req@whale_cold 'max <= 4' max=3
 *   fail: items.deep_pagination scaling 'latency_ms p(95) page_500 / page_1 <= 2 floor 5' ratio=6.1 (page_500 30.5ms, page_1 5ms)
 *   ok: dashboard.hydrate baseline 'latency_ms p(95) <= +30% or +3' p(95)=12.1ms vs 11.8ms in v1.4.0 (+2.5%), limit 15.34ms
 *   skip: books.search db_queries_per_req 'max <= 6' n/a: the backend does not offer queryCount (…)
 */
export function formatOutcome(o: Outcome): string {
  const head = o.kind === 'absolute' ? `${o.verdict}: ${o.scenario} ${o.key} '${o.rule}'` : `${o.verdict}: ${o.scenario} ${o.kind} '${o.rule}'`;
  if (o.value === undefined) return `${head} ${o.note ?? ''}`.trimEnd();
  const unit = o.unit ?? '';
  if (o.kind === 'scaling') return `${head} ratio=${show(o.value)}${o.note ? ` (${o.note})` : ''}`;
  if (o.kind === 'baseline' && o.reference !== undefined) {
    const delta = o.reference === 0 ? '' : ` (${o.value >= o.reference ? '+' : ''}${(((o.value - o.reference) / o.reference) * 100).toFixed(1)}%)`;
    return `${head} ${o.stat}=${show(o.value)}${unit} vs ${show(o.reference)}${unit} ${o.note ?? ''}${delta}, limit ${show(o.limit!)}${unit}`;
  }
  return `${head} ${o.stat}=${show(o.value)}${unit}`;
}
