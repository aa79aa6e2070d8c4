/**
 * Two sets of perf results compared metric by metric, with no rule written for any of them: a
 * base (a baseline, the old version) and a candidate (this run, the new version), each one run
 * or several rounds. Every route of every scenario, every metric the run recorded:
 *
 *   noisy histograms (latency_ms, service_ms, and any noisy sample evidence such as db_ms):
 *     Mann–Whitney U on the whole histograms, Benjamini–Hochberg across the comparison, and an
 *     effect size and a percentile shift past a floor (stats.ts says why all three);
 *   counts (non-noisy sample evidence: queries per request, rows read): compared as numbers,
 *     growth is a finding;
 *   bytes per request and error rates: compared as numbers, growth is a finding;
 *   the mix of statuses per route: a share that moved past a floor is a finding;
 *   a scenario's own figures (a knee, a drift): worse by a ratio, a warning (one number a side
 *     cannot be tested).
 *
 * Each kind has defaults for what is a finding and whether it fails or warns (DEFAULT_RULES); a
 * suite tunes them per metric. The result is data (Comparison); format.ts prints it.
 */
import { buckets, percentileMs } from '../load/histogram.js';
import type { Histogram } from '../load/histogram.js';
import { mergeRoutes } from '../load/report.js';
import type { RouteMetrics } from '../load/engine.js';
import { deserializeRoute } from '../load/serialize.js';
import { metricDef, worseSingle } from '../metrics/registry.js';
import { environmentDifferences } from '../pg/environment.js';
import { formatIndexDiff, type IndexDiff } from '../pg/schema.js';
import type { Compared } from '../report/results.js';
import { comparePg, DEFAULT_PG_RULES } from './pg.js';
import { adjustFdr, rankSum, type RankSumTest } from './stats.js';
import { eBH, mixtureInterval, roundTests } from './sequential.js';
import type { CompareRules, Comparison, Decision, Finding, GrowthRule, Severity, ShiftRule } from './types.js';

export type { CompareRules, Comparison, Finding, GrowthRule, Severity, ShiftRule } from './types.js';

export const DEFAULT_RULES: CompareRules = {
  fdr: 0.01,
  shift: { minEffect: 0.64, minRatio: 1.25, minDelta: 2, failEffect: 0.71, failRatio: 1.5 },
  counts: { minRatio: 1.02, failRatio: 1.2 },
  bytes: { minRatio: 1.05, failRatio: 1.25 },
  errors: { minRise: 0.01, minErrors: 5, severity: 'fail' },
  singles: { minRatio: 1.5, failRatio: Infinity, severity: 'warn' },
  // Six clean runs here moved a route's share of any status by 1.5 points at most.
  statuses: { minShift: 0.05, minRequests: 5, severity: 'warn' },
  pg: DEFAULT_PG_RULES,
  // The resident set every Prometheus client library's process collector exports, and the used
  // heap of runtimes that say (Node's prom-client, Go's heap in use). Clean rounds here moved a
  // scenario's heap in use by up to ×1.8 (a collection that came or did not): ×2 fails.
  memory: { minRatio: 1.5, failRatio: 2, gauges: ['^process_resident_memory_bytes$', 'heap_size_used_bytes$', 'heap_inuse_bytes$'] },
  // Names that say "waiting for something": a pool's waiting clients (pg-pool, HikariCP's
  // pending threads), a queue's depth or length.
  queues: { gauges: ['waiting', 'pending', 'queue_(depth|length|size)'] },
};

/** A queue gauge (DEFAULT_RULES.queues), judged as a queue that appeared when no base round had one. */
const isQueue = (rules: CompareRules, metric: string) => (rules.queues ?? DEFAULT_RULES.queues!).gauges.some((g) => new RegExp(g).test(metric));

/** The memory rule of a gauge, if it is one of the memory gauges. */
const memoryRuleOf = (rules: CompareRules, metric: string) => {
  const m = rules.memory ?? DEFAULT_RULES.memory!;
  return m.gauges.some((g) => new RegExp(g).test(metric)) ? m : undefined;
};

export type { Compared } from '../report/results.js';
export type Side = { label: string; rounds: Compared[][] };

type Routes = Map<string, Map<string, RouteMetrics>>;

/** One side's scenarios, routes merged across rounds (histograms added exactly), and each round apart. */
/**
 * Decoded routes by their stored form: a sequential comparison compares the same rounds again
 * after each new one, and decoding histograms is most of its cost. Nothing here mutates them.
 */
const decoded = new WeakMap<object, RouteMetrics>();
const decode = (s: Parameters<typeof deserializeRoute>[0]) => {
  let m = decoded.get(s);
  if (!m) decoded.set(s, (m = deserializeRoute(s)));
  return m;
};

/**
 * The fewest gauge samples (200 ms apart: 10 s) a floor is taken from. Over a shorter window the
 * lowest sample is wherever the heap stood, a full collection come or not: two clean rounds' 6 s
 * job bursts here had heap floors of 39 and 79 MB, and that failed a clean pair.
 */
const FLOOR_MIN_SAMPLES = 50;

/** One round's scalar of a scenario: its own figure (a knee) or a backend gauge's mean or max. */
type Scalar = { scenario: string; metric: string; stat: string; kind: 'single' | 'signal'; value: number };

function collect(rounds: Compared[][]): { merged: Routes; perRound: Routes[]; expected: Map<string, number[]>; scalars: Map<string, Scalar>[] } {
  const perRound = rounds.map((files) => {
    const r: Routes = new Map();
    for (const f of files) {
      const m = r.get(f.scenario) ?? new Map<string, RouteMetrics>();
      for (const [k, s] of Object.entries(f.raw.routes)) {
        const had = m.get(k);
        const route = decode(s);
        m.set(k, had ? mergeRoutes([had, route]) : route);
      }
      r.set(f.scenario, m);
    }
    return r;
  });
  const merged: Routes = new Map();
  for (const r of perRound) {
    for (const [scenario, routes] of r) {
      const m = merged.get(scenario) ?? new Map<string, RouteMetrics>();
      for (const [k, route] of routes) m.set(k, m.has(k) ? mergeRoutes([m.get(k)!, route]) : route);
      merged.set(scenario, m);
    }
  }
  const expected = new Map<string, number[]>();
  for (const f of rounds.flat()) expected.set(f.scenario, [...new Set([...(expected.get(f.scenario) ?? []), ...f.raw.expected])]);
  // Per round, a scenario's scalars: its own figures, and each backend gauge's mean and highest
  // sample (shards of a round: the worse stands).
  const scalars = rounds.map((files) => {
    const m = new Map<string, Scalar>();
    const put = (scenario: string, metric: string, stat: string, kind: 'single' | 'signal', value: number) => {
      const k = `${scenario}|${metric}|${stat}`;
      const had = m.get(k)?.value;
      m.set(k, { scenario, metric, stat, kind, value: kind === 'single' ? (worseSingle(metric, had, value) ?? value) : Math.max(had ?? -Infinity, value) });
    };
    for (const f of files) {
      for (const [k, v] of Object.entries(f.raw.singles)) if (typeof v === 'number') put(f.scenario, k, 'value', 'single', v);
      for (const [k, v] of Object.entries(f.signals ?? {})) {
        put(f.scenario, k, 'mean', 'signal', v.mean);
        put(f.scenario, k, 'max', 'signal', v.max);
        // The lowest sample, compared for memory alone (memoryFloorFindings): a heap's floor, over
        // a window long enough to hold a full collection.
        if (v.min !== undefined && v.samples >= FLOOR_MIN_SAMPLES) put(f.scenario, k, 'floor', 'signal', v.min);
      }
    }
    return m;
  });
  return { merged, perRound, expected, scalars };
}

/** The noisy histograms of a route: latency and service time, and every noisy sample metric. */
function histograms(m: RouteMetrics): Record<string, Histogram> {
  const out: Record<string, Histogram> = { latency_ms: m.latency, service_ms: m.service };
  for (const [name, e] of Object.entries(m.evidence)) if (e.kind === 'sample' && e.n > 0 && metricDef(name)?.noisy !== false) out[name] = e.h;
  return out;
}

const ignored = (rules: CompareRules, scenario: string, route: string | null, metric: string) =>
  (rules.ignore ?? []).some((p) => p === scenario || p === `${scenario}/${route}` || p === `${scenario}/${route}/${metric}` || p === `${scenario}//${metric}`);

const ratioOf = (base: number, cand: number) => (base === 0 ? (cand === 0 ? 1 : Infinity) : cand / base);
/** A fail ratio of Infinity means never: growth from 0 is an infinite ratio, not a failure. */
const failsAt = (ratio: number, failRatio: number) => Number.isFinite(failRatio) && ratio >= failRatio;

/** One route × noisy metric: its rank test on the merged requests (the effect size A), and per percentile each round's value. */
type Pending = {
  finding: Finding;
  test: RankSumTest;
  rule: ShiftRule;
  /** Per percentile: the merged values of each side, and each round's. */
  /** Per percentile: the merged values of each side, each round's, and the mean sampling variance of a round's log value. */
  stats: { q: number; base: number; cand: number; baseRounds: number[]; candRounds: number[]; sampling: number }[];
};

export type CompareOptions = {
  /**
   * Both sides were measured in one run, their requests interleaved (a scale probe's two sizes,
   * compare/probe.ts): whatever the machine did fell on both alike, so one round a side
   * can fail a shift. Two runs of one version cannot be taken for that.
   */
  interleaved?: boolean;
};

type Collected = ReturnType<typeof collect>;

/** What every part of one comparison reads: the rules, each side collected, and the findings so far. */
type Ctx = { rules: CompareRules; b: Collected; c: Collected; findings: Finding[]; tests: Pending[]; scalars: ScalarPending[]; compared: number };

/** A scenario's scalar (its own figure, a backend gauge): one value a round on each side. */
type ScalarPending = { scenario: string; metric: string; stat: string; kind: 'single' | 'signal'; base: number[]; cand: number[] };

/** Scalars on both sides, a value in every round of each: judged with the shifts when rounds allow (judgeRounds). */
function scalarTests(x: Ctx): void {
  const keys = new Set(x.c.scalars.flatMap((r) => [...r.keys()]));
  for (const k of keys) {
    const b = x.b.scalars.map((r) => r.get(k));
    const c = x.c.scalars.map((r) => r.get(k));
    if (b.some((v) => !v) || c.some((v) => !v)) continue;
    const { scenario, metric, stat, kind } = c[0]!;
    if (ignored(x.rules, scenario, null, metric)) continue;
    const base = b.map((v) => v!.value);
    const cand = c.map((v) => v!.value);
    // A gauge that never moved (a pool's configured size) says nothing either way.
    if (kind === 'signal' && new Set([...base, ...cand]).size === 1) continue;
    // A floor is judged apart, side against side (memoryFloorFindings).
    if (stat === 'floor') continue;
    x.scalars.push({ scenario, metric, stat, kind, base, cand });
  }
}

const shiftRuleOf = (rules: CompareRules, metric: string): ShiftRule => ({ ...rules.shift, ...(rules.metrics?.[metric] as Partial<ShiftRule> | undefined) });
const growthRuleOf = (rules: CompareRules, metric: string, kind: GrowthRule): GrowthRule => ({ ...kind, ...(rules.metrics?.[metric] as Partial<GrowthRule> | undefined) });

/** Noisy histograms (latency, service time, noisy samples): a test each, judged later with all the others (judgeShifts). */
function shiftTests(x: Ctx, scenario: string, route: string, bm: RouteMetrics, cm: RouteMetrics): void {
  const bh = histograms(bm);
  const ch = histograms(cm);
  const roundsOf = (side: Routes[]) =>
    side.flatMap((round) => {
      const m = round.get(scenario)?.get(route);
      return m ? [histograms(m)] : [];
    });
  const bRounds = roundsOf(x.b.perRound);
  const cRounds = roundsOf(x.c.perRound);
  for (const metric of Object.keys(bh)) {
    if (!ch[metric] || ignored(x.rules, scenario, route, metric)) continue;
    x.compared++;
    const rule = shiftRuleOf(x.rules, metric);
    const per = (hs: Record<string, Histogram>[], q: number) => hs.flatMap((h) => (h[metric]?.totalCount ? [percentileMs(h[metric], q)] : []));
    const sampling = (q: number) => {
      const v = [...bRounds, ...cRounds].flatMap((h) => (h[metric]?.totalCount ? [samplingVariance(h[metric], q)] : []));
      return v.length ? v.reduce((a, b) => a + b, 0) / v.length : 0;
    };
    x.tests.push({
      test: rankSum(buckets(bh[metric]!), buckets(ch[metric]!)),
      rule,
      stats: PERCENTILES.map((q) => ({ q, base: percentileMs(bh[metric]!, q), cand: percentileMs(ch[metric]!, q), baseRounds: per(bRounds, q), candRounds: per(cRounds, q), sampling: sampling(q) })),
      finding: { scenario, route, metric, kind: 'shift', severity: 'warn', stat: 'p50', unit: metricDef(metric)?.unit ?? 'ms', base: 0, candidate: 0 },
    });
  }
}

/** Counts: non-noisy sample evidence (queries per request, rows read), by mean and max. */
function countFindings(x: Ctx, scenario: string, route: string, bm: RouteMetrics, cm: RouteMetrics): void {
  for (const [metric, be] of Object.entries(bm.evidence)) {
    const ce = cm.evidence[metric];
    if (be.kind !== 'sample' || ce?.kind !== 'sample' || metricDef(metric)?.noisy !== false || ignored(x.rules, scenario, route, metric)) continue;
    if (be.n === 0 || ce.n === 0) continue;
    x.compared++;
    const rule = growthRuleOf(x.rules, metric, x.rules.counts);
    const mean = { base: be.sum / be.n, cand: ce.sum / ce.n };
    const r = ratioOf(mean.base, mean.cand);
    const unit = metricDef(metric)?.unit ?? '';
    if (r >= rule.minRatio)
      x.findings.push({ scenario, route, metric, kind: 'growth', severity: failsAt(r, rule.failRatio) ? 'fail' : 'warn', stat: 'mean', unit, base: round3(mean.base), candidate: round3(mean.cand) });
    else if (ce.max > be.max && ratioOf(be.max, ce.max) >= rule.failRatio)
      x.findings.push({ scenario, route, metric, kind: 'growth', severity: 'warn', stat: 'max', unit, base: be.max, candidate: ce.max });
  }
}

/** Bytes per request, by mean. */
function bytesFinding(x: Ctx, scenario: string, route: string, bm: RouteMetrics, cm: RouteMetrics): void {
  if (bm.requests === 0 || cm.requests === 0 || ignored(x.rules, scenario, route, 'bytes_per_req')) return;
  x.compared++;
  const rule = growthRuleOf(x.rules, 'bytes_per_req', x.rules.bytes);
  const [bb, cb] = [bm.bytes / bm.requests, cm.bytes / cm.requests];
  const r = ratioOf(bb, cb);
  if (r >= rule.minRatio)
    x.findings.push({
      scenario,
      route,
      metric: 'bytes_per_req',
      kind: 'growth',
      severity: failsAt(r, rule.failRatio) ? 'fail' : 'warn',
      stat: 'mean',
      unit: 'B',
      base: Math.round(bb),
      candidate: Math.round(cb),
    });
}

/**
 * Errors, by class; a status the scenario expects (409 under optimistic concurrency) is an
 * outcome, not an error, as it is for the budgets (load/report.ts).
 */
function errorFinding(x: Ctx, scenario: string, route: string, bm: RouteMetrics, cm: RouteMetrics): void {
  if (ignored(x.rules, scenario, route, 'error_rate')) return;
  x.compared++;
  const expected = new Set([...(x.b.expected.get(scenario) ?? []), ...(x.c.expected.get(scenario) ?? [])]);
  const isExpected = (k: string) => [...expected].some((s) => k === `4xx:${s}` || k === `5xx:${s}`);
  const errorsOf = (m: RouteMetrics) => m.errors - [...expected].reduce((n, s) => n + (m.statuses[s] ?? 0), 0);
  const rate = (m: RouteMetrics) => (m.requests ? errorsOf(m) / m.requests : 0);
  const rise = rate(cm) - rate(bm);
  if (rise < x.rules.errors.minRise || errorsOf(cm) < x.rules.errors.minErrors) return;
  const classes: Record<string, [number, number]> = {};
  for (const k of new Set([...Object.keys(bm.errorsByClass), ...Object.keys(cm.errorsByClass)].filter((k) => !isExpected(k)))) {
    const [bn, cn] = [bm.errorsByClass[k] ?? 0, cm.errorsByClass[k] ?? 0];
    if (cn > bn) classes[k] = [bn, cn];
  }
  x.findings.push({ scenario, route, metric: 'error_rate', kind: 'errors', severity: x.rules.errors.severity, stat: 'rate', unit: '', base: round3(rate(bm)), candidate: round3(rate(cm)), classes });
}

/** The share of each status a route answered: a mix that moved is a route that does something else now. */
function statusMixFinding(x: Ctx, scenario: string, route: string, bm: RouteMetrics, cm: RouteMetrics): void {
  if (bm.requests === 0 || cm.requests === 0 || ignored(x.rules, scenario, route, 'status_mix')) return;
  x.compared++;
  const rule = x.rules.statuses ?? DEFAULT_RULES.statuses!;
  const share = (m: RouteMetrics, k: string) => (m.statuses[k] ?? 0) / m.requests;
  const codes = [...new Set([...Object.keys(bm.statuses), ...Object.keys(cm.statuses)])].sort();
  const moved = codes
    .map((k) => ({ k, b: share(bm, k), c: share(cm, k) }))
    .filter(({ k, b, c }) => Math.abs(c - b) >= rule.minShift && Math.abs((cm.statuses[k] ?? 0) - b * cm.requests) >= rule.minRequests)
    .sort((p, q) => Math.abs(q.c - q.b) - Math.abs(p.c - p.b));
  const top = moved[0];
  if (!top) return;
  const mix = (m: RouteMetrics) =>
    codes
      .filter((k) => share(m, k) >= 0.005)
      .map((k) => `${k} ${(share(m, k) * 100).toFixed(share(m, k) < 0.1 ? 1 : 0)}%`)
      .join(', ') || 'none';
  x.findings.push({
    scenario,
    route,
    metric: 'status_mix',
    kind: 'mix',
    severity: rule.severity,
    stat: `share of ${top.k}`,
    unit: '%',
    base: round3(top.b * 100),
    candidate: round3(top.c * 100),
    message: `${mix(bm)} → ${mix(cm)}`,
  });
}

/**
 * The backend's memory by its floor (each memory gauge's lowest sample of a scenario: what the
 * last collection left), side against side as PostgreSQL's figures are: the candidate's lowest
 * floor over the base's highest, past the memory rule's ratios a warning, then a failure. One
 * round a side is enough: the floor is steady between clean rounds, where the mean and the peak
 * are not (three clean soaks here: heap means 60 to 118 MB, floors 49 to 53 MB; a leak's, on a
 * fresh app, 131 to 155 MB).
 */
function memoryFloorFindings(x: Ctx): void {
  const keys = new Set(x.c.scalars.flatMap((r) => [...r.keys()]).filter((k) => k.endsWith('|floor')));
  for (const k of keys) {
    const b = x.b.scalars.map((r) => r.get(k));
    const c = x.c.scalars.map((r) => r.get(k));
    if (!b.length || b.some((v) => !v) || c.some((v) => !v)) continue;
    const { scenario, metric } = c[0]!;
    const memory = memoryRuleOf(x.rules, metric);
    if (!memory || ignored(x.rules, scenario, null, metric)) continue;
    x.compared++;
    const high = Math.max(...b.map((v) => v!.value));
    const low = Math.min(...c.map((v) => v!.value));
    const ratio = high > 0 ? low / high : low > 0 ? Infinity : 1;
    if (ratio < memory.minRatio) continue;
    x.findings.push({
      scenario,
      route: null,
      metric,
      kind: 'signal',
      severity: failsAt(ratio, memory.failRatio) ? 'fail' : 'warn',
      stat: 'floor',
      unit: metricDef(metric)?.unit ?? '',
      base: high,
      candidate: low,
    });
  }
}

/** The scenario's own figures (a knee, a drift): worse by a ratio. */
function singleFindings(x: Ctx, scenario: string): void {
  // The worse of a side's rounds stands, as in a merge of shards.
  const worst = (side: Collected) => {
    const out: Record<string, number> = {};
    for (const round of side.scalars) for (const v of round.values()) if (v.kind === 'single' && v.scenario === scenario) out[v.metric] = worseSingle(v.metric, out[v.metric], v.value) ?? v.value;
    return out;
  };
  const bs = worst(x.b);
  const cs = worst(x.c);
  for (const metric of Object.keys(bs)) {
    if (cs[metric] === undefined || ignored(x.rules, scenario, null, metric)) continue;
    x.compared++;
    const rule = { ...x.rules.singles, ...(x.rules.metrics?.[metric] as Partial<GrowthRule> | undefined) };
    const lowerIsWorse = metricDef(metric)?.lowerIsWorse === true;
    const r = lowerIsWorse ? ratioOf(cs[metric]!, bs[metric]!) : ratioOf(bs[metric]!, cs[metric]!);
    if (r >= rule.minRatio && bs[metric] !== cs[metric]) {
      x.findings.push({
        scenario,
        route: null,
        metric,
        kind: 'single',
        severity: failsAt(r, rule.failRatio) ? 'fail' : rule.severity,
        stat: 'value',
        unit: metricDef(metric)?.unit ?? '',
        base: bs[metric]!,
        candidate: cs[metric]!,
      });
    }
  }
}

/**
 * The family (and the variance prior) of each scalar's test: the backend's memory apart from its
 * other gauges. A pool's waiting clients vary between clean rounds from 0 to dozens; pooled with
 * them, a process whose heap grew ×4 in every round borrowed their spread and was never sure.
 * Apart only when each side of the split has enough gauges to fit a prior on (a handful of
 * variances says nothing of their spread): otherwise one family of gauges, as before.
 */
const MIN_GAUGE_FAMILY = 6;
function gaugeFamilies(rules: CompareRules, scalars: readonly ScalarPending[]): (sc: ScalarPending) => 'single' | 'signal' | 'memory' {
  const isMemory = (sc: ScalarPending) => sc.kind === 'signal' && memoryRuleOf(rules, sc.metric) !== undefined;
  const memory = scalars.filter(isMemory).length;
  const others = scalars.filter((sc) => sc.kind === 'signal').length - memory;
  const apart = memory >= MIN_GAUGE_FAMILY && others >= MIN_GAUGE_FAMILY;
  return (sc) => (apart && isMemory(sc) ? 'memory' : sc.kind);
}

/** A scalar's rule: the suite's singles rule (and its per-metric overrides) for a scenario's own figure and a gauge alike. */
const scalarRuleOf = (rules: CompareRules, sc: ScalarPending): ShiftRule & { severity: Severity } => {
  const memory = sc.kind === 'signal' ? memoryRuleOf(rules, sc.metric) : undefined;
  const r = {
    ...rules.singles,
    ...(memory && { minRatio: memory.minRatio, failRatio: memory.failRatio, severity: 'fail' as const }),
    ...(rules.metrics?.[sc.metric] as Partial<GrowthRule> | undefined),
  };
  return { minRatio: r.minRatio, failRatio: r.failRatio, minDelta: 0, minEffect: 0, failEffect: 0, severity: r.severity };
};

/** The percentiles a shift is tested at: the typical request and the slow ones. */
const PERCENTILES = [50, 95] as const;
/** The spreads the evidence mixes over: the floor, the fail ratio, and gross shifts (×2, ×4, ×16). */
// A rule that never fails (failRatio Infinity: the singles' default) adds no spread: an infinite
// one made every e-value NaN once the prior's degrees of freedom were infinite too.
const tausOf = (rule: ShiftRule) => [rule.minRatio, rule.failRatio, 2, 4, 16].filter((r) => Number.isFinite(r) && r > 1).map(Math.log);
/** Logarithms of values of 0 (a metric of 0 ms in a round): a floor well under any delta that counts. */
const logOf = (v: number) => Math.log(Math.max(v, 1e-3));

/**
 * The variance of a round's log percentile from its own requests alone: the distribution-free
 * confidence interval of a quantile from order statistics (ranks n·q ± z·√(n·q·(1−q)), as in
 * Conover, "Practical Nonparametric Statistics", 3rd ed., §3.2), its log width over 2z, squared.
 * Rounds differ at least by this much; a percentile of few or spread requests (the p95 of 100)
 * is never taken for steadier than its own requests show, whatever the other metrics' rounds say.
 */
function samplingVariance(h: Histogram, q: number): number {
  const n = h.totalCount;
  const p = q / 100;
  const z = 1.96;
  const half = z * Math.sqrt((p * (1 - p)) / n);
  const lo = percentileMs(h, Math.max(0, (p - half) * 100));
  const hi = percentileMs(h, Math.min(100, (p + half) * 100));
  return ((logOf(hi) - logOf(lo)) / (2 * z)) ** 2;
}

/** Which way a percentile moved, and whether past the rule's floors (ratio and delta) in that direction. */
function past(rule: ShiftRule, base: number, cand: number): 'worse' | 'better' | null {
  const ratio = ratioOf(base, cand);
  if (ratio >= rule.minRatio && cand - base >= rule.minDelta) return 'worse';
  if (ratio <= 1 / rule.minRatio && base - cand >= rule.minDelta) return 'better';
  return null;
}

/** What else moved on a latency finding's route: a diagnosis, not only a number. */
function movedBeside(tests: Pending[], worse: boolean[], f: Finding): Record<string, boolean> | undefined {
  if (f.metric !== 'latency_ms') return undefined;
  return Object.fromEntries(tests.flatMap((o, k) => (o.finding.scenario === f.scenario && o.finding.route === f.route && o.finding.metric !== 'latency_ms' ? [[o.finding.metric, worse[k]!]] : [])));
}

/**
 * Every shift test of the comparison judged as one family, from the rounds (sequential.ts): per
 * route × metric × percentile, the rounds' logarithms compared with a variance moderated across
 * the comparison, an e-value each, e-BH across all of them. A finding needs the e-BH level under
 * the rules' false discovery rate AND the merged percentile past the ratio and delta floors; it
 * fails when its interval (a confidence sequence, widened for the selection) is past the ratio
 * floor all of it. With one round a side nothing knows the run-to-run variance: shifts past the
 * floors are printed as warnings without a confidence.
 */
function judgeRounds(x: Ctx): { improvements: Finding[]; decision: Decision } {
  const { tests, rules } = x;
  const primary = (e: { i: number }) => tests[e.i]!.finding.metric === 'latency_ms';
  const entries = tests.flatMap((t, i) => t.stats.map((s) => ({ i, s, rule: t.rule })));
  const usable = entries.filter((e) => e.s.baseRounds.length && e.s.candRounds.length);
  const familyOf = gaugeFamilies(rules, x.scalars);
  const scalarSeries = x.scalars.map((sc) => {
    const rule = scalarRuleOf(rules, sc);
    // On the log scale, lifted by a twentieth of the values' size: a gauge at 0 in a round is not
    // an infinitely smaller one, and a knee of 8 against 16 is the halving it is.
    const all = [...sc.base, ...sc.cand].map(Math.abs).sort((a, b) => a - b);
    const lift = Math.max(all[Math.floor(all.length / 2)]! * 0.05, all.at(-1)! * 0.01, 1e-9);
    const log = (v: number) => Math.log(Math.max(v, 0) + lift);
    return { sc, rule, lift, base: sc.base.map(log), candidate: sc.cand.map(log), taus: tausOf(rule) };
  });
  const judged = roundTests([
    ...usable.map((e) => ({
      base: e.s.baseRounds.map(logOf),
      candidate: e.s.candRounds.map(logOf),
      taus: tausOf(e.rule),
      floor: e.s.sampling,
      group: primary(e) ? '' : 'diagnostics',
    })),
    ...scalarSeries.map((e) => ({ ...e, group: familyOf(e.sc) })),
  ]);
  const rounds: [number, number] = [x.b.perRound.length, x.c.perRound.length];
  const improvements: Finding[] = [];
  const worse = tests.map(() => false);
  if (!judged) {
    // One round a side: the floors alone, warnings without a confidence.
    tests.forEach((t, i) => {
      const moved = t.stats.map((s) => ({ s, dir: past(t.rule, s.base, s.cand) })).filter((m) => m.dir !== null);
      const top = moved.sort((p, q) => Math.abs(Math.log(ratioOf(q.s.base, q.s.cand) || 1)) - Math.abs(Math.log(ratioOf(p.s.base, p.s.cand) || 1)))[0];
      if (!top) return;
      if (!primary({ i })) return void (worse[i] = top.dir === 'worse');
      const f: Finding = { ...t.finding, stat: `p${top.s.q}`, base: top.s.base, candidate: top.s.cand, effect: round3(t.test.a), rounds };
      if (top.dir === 'better') return void improvements.push(f);
      worse[i] = true;
      x.findings.push(f);
    });
    for (const f of x.findings) {
      const moved = f.kind === 'shift' ? movedBeside(tests, worse, f) : undefined;
      if (moved) f.moved = moved;
    }
    // A scenario's own figures by their ratio alone, as the suite's rules say; gauges need rounds.
    for (const scenario of new Set(x.scalars.map((s) => s.scenario))) singleFindings(x, scenario);
    return {
      improvements,
      decision: {
        method: METHOD,
        rounds,
        tested: usable.filter(primary).length,
        open: usable.filter(primary).length,
        decided: false,
        why: 'one round a side: the run-to-run variance is unknown, so no shift has a confidence',
      },
    };
  }
  // The family: latency at each percentile, and the scenarios' scalars. Service time and DB time
  // follow latency nearly one for one (three tests of one shift would triple the family for
  // nothing): they say what moved beside a latency finding, each at the rules' level alone.
  // The backend's gauges are a family of their own: dozens of them (memory, pool, in-flight, each a
  // mean and a max) would otherwise drown a latency shift in the e-BH threshold.
  const family = judged.tests.flatMap((_, k) => (k < usable.length ? (primary(usable[k]!) ? [k] : []) : scalarSeries[k - usable.length]!.sc.kind === 'single' ? [k] : []));
  const gaugeFamily = (name: string) => scalarSeries.flatMap((e, j) => (e.sc.kind === 'signal' && familyOf(e.sc) === name ? [usable.length + j] : []));
  const q = new Array<number>(judged.tests.length).fill(Infinity);
  for (const f of [family, gaugeFamily('memory'), gaugeFamily('signal')]) eBH(f.map((k) => judged.tests[k]!.e)).forEach((v, n) => (q[f[n]!] = v));
  const selected = q.filter((v) => v < rules.fdr).length;
  // Benjamini–Yekutieli's false coverage rate: intervals of R selected among m at level α·R/m.
  const selectedAlpha = (rules.fdr * Math.max(selected, 1)) / family.length;
  const open: string[] = [];
  const figures: NonNullable<Decision['figures']> = [];
  const best = new Map<number, { k: number; dir: 'worse' | 'better' }>();
  usable.forEach((e, k) => {
    const t = judged.tests[k]!;
    if (!primary(e)) {
      if (t.e >= 1 / rules.fdr && t.estimate > 0 && past(e.rule, e.s.base, e.s.cand) === 'worse') worse[e.i] = true;
      return;
    }
    const dir = q[k]! < rules.fdr ? past(e.rule, e.s.base, e.s.cand) : null;
    if (dir && Math.sign(t.estimate) === (dir === 'worse' ? 1 : -1)) {
      const had = best.get(e.i);
      if (!had || q[k]! < q[had.k]! || (q[k] === q[had.k] && Math.abs(t.estimate) > Math.abs(judged.tests[had.k]!.estimate))) best.set(e.i, { k, dir });
      return;
    }
    // Settled when it can no longer fail: the whole interval under the fail ratio, or too small a
    // rise to count. Improvements fail nothing, so only the upper end matters.
    const [, hi] = mixtureInterval(t.estimate, t.variance, tausOf(e.rule), rules.fdr, t.nu);
    if (!(hi < Math.log(e.rule.failRatio) || e.s.base * (Math.exp(hi) - 1) < e.rule.minDelta))
      open.push(`${tests[e.i]!.finding.scenario}/${tests[e.i]!.finding.route}/${tests[e.i]!.finding.metric} p${e.s.q}`);
  });
  for (const [i, { k, dir }] of best) {
    const t = tests[i]!;
    const e = usable[k]!;
    const j = judged.tests[k]!;
    const [lo, hi] = mixtureInterval(j.estimate, j.variance, tausOf(e.rule), selectedAlpha, j.nu);
    const f: Finding = {
      ...t.finding,
      stat: `p${e.s.q}`,
      base: e.s.base,
      candidate: e.s.cand,
      confidence: round3(1 - q[k]!),
      effect: round3(t.test.a),
      interval: [round3(Math.exp(lo)), round3(Math.exp(hi))],
      rounds,
    };
    if (dir === 'better') {
      improvements.push(f);
      continue;
    }
    f.severity = Math.exp(lo) >= t.rule.minRatio && ratioOf(e.s.base, e.s.cand) >= t.rule.failRatio ? 'fail' : 'warn';
    worse[i] = true;
    x.findings.push(f);
  }
  scalarSeries.forEach((e, j) => {
    const k = usable.length + j;
    const t = judged.tests[k]!;
    const { sc, rule, lift } = e;
    const lowerIsWorse = metricDef(sc.metric)?.lowerIsWorse === true;
    if (sc.kind === 'single') {
      const [lo, hi] = mixtureInterval(t.estimate, t.variance, tausOf(rule), rules.fdr, t.nu);
      // A scenario's own figures side by side, found or not: a knee's rounds and their interval.
      figures.push({ scenario: sc.scenario, metric: sc.metric, base: sc.base, candidate: sc.cand, interval: [round3(Math.exp(lo)), round3(Math.exp(hi))] });
      // One that could still fail keeps the comparison open (a knee not yet settled).
      const reach = Math.exp(lowerIsWorse ? -lo : hi);
      if (!(q[k]! < rules.fdr) && Number.isFinite(rule.failRatio) && reach >= rule.failRatio) open.push(`${sc.scenario}//${sc.metric}`);
    }
    if (!(q[k]! < rules.fdr)) return;
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    const [bm, cm] = [mean(sc.base), mean(sc.cand)];
    const worseWay = (lowerIsWorse ? -1 : 1) * Math.sign(t.estimate) > 0;
    const ratio = worseWay === !lowerIsWorse ? (cm + lift) / (bm + lift) : (bm + lift) / (cm + lift);
    if (Math.max(ratio, 1 / ratio) < rule.minRatio) return;
    const [lo, hi] = mixtureInterval(t.estimate, t.variance, tausOf(rule), selectedAlpha, t.nu);
    const f: Finding = {
      scenario: sc.scenario,
      route: null,
      metric: sc.metric,
      kind: sc.kind,
      severity: 'warn',
      stat: sc.stat,
      unit: metricDef(sc.metric)?.unit ?? '',
      base: round3(bm),
      candidate: round3(cm),
      confidence: round3(1 - q[k]!),
      interval: [round3(Math.exp(lo)), round3(Math.exp(hi))],
      rounds,
    };
    if (!worseWay) return void improvements.push(f);
    // Sure past the floor, and past the fail ratio: a scenario's own figure fails (a knee that
    // halved), and so does the backend's memory (memoryRuleOf); another gauge says what
    // saturated, and warns.
    const sure = lowerIsWorse ? Math.exp(-hi) >= rule.minRatio : Math.exp(lo) >= rule.minRatio;
    const canFail = sc.kind === 'single' || memoryRuleOf(rules, sc.metric) !== undefined;
    // A queue that appeared: none in any base round, some in every candidate round.
    const newQueue = sc.kind === 'signal' && isQueue(rules, sc.metric) && sc.base.every((v) => v === 0) && sc.cand.every((v) => v > 0);
    f.severity = (canFail && sure && failsAt(ratio, rule.failRatio)) || (newQueue && sure) ? 'fail' : sc.kind === 'single' ? rule.severity : 'warn';
    x.findings.push(f);
  });
  for (const f of x.findings) {
    const moved = f.kind === 'shift' ? movedBeside(tests, worse, f) : undefined;
    if (moved) f.moved = moved;
  }
  const fails = x.findings.some((f) => f.kind === 'shift' && f.severity === 'fail');
  return {
    improvements,
    decision: {
      method: METHOD,
      rounds,
      tested: family.length,
      open: open.length,
      ...(open.length && { openExamples: open.slice(0, 5) }),
      decided: fails || open.length === 0,
      why: fails
        ? 'a shift is past the floors with all its interval: a regression'
        : open.length === 0
          ? 'every shift test is found or can no longer fail'
          : `${open.length} of ${usable.length} shift tests could still fail`,
      prior: { s2: round6(judged.prior.s2), df: Number.isFinite(judged.prior.df) ? round3(judged.prior.df) : null },
      ...(figures.length && { figures }),
    },
  };
}

const METHOD =
  "rounds as replicates: per route and percentile, each round's log latency (service and DB time beside it, as diagnostics); variances moderated across the comparison (Smyth 2004, limma); e-values from the mixture Bayes factor of the t-test (Gönen et al. 2005; the mixture SPRT of Robbins 1970 as its variance becomes known) averaged over shifts ×1.25 to ×16, valid at any round; scenario figures and backend gauges in the same family, on their own prior; e-BH across metrics (Wang & Ramdas 2022); intervals are confidence sequences, widened for selection (Benjamini & Yekutieli 2005)";

/**
 * Interleaved sides (a scale probe's two sizes in one run): the rank test on requests, Benjamini–
 * Hochberg across the family, an effect size and a percentile past the floors. The moment's noise
 * fell on both sides alike, so the requests are the replicates here.
 */
function judgeInterleaved(x: Ctx): Finding[] {
  const { tests, rules } = x;
  const improvements: Finding[] = [];
  const q = adjustFdr(tests.map((t) => t.test.p));
  const worse = tests.map(() => false);
  tests.forEach((t, i) => {
    const { rule, test } = t;
    const up = test.a >= 0.5;
    const a = Math.max(test.a, 1 - test.a);
    // The percentile that moved most, in the direction of the effect.
    const pick = t.stats.reduce((p, y) => (up ? (ratioOf(y.base, y.cand) > ratioOf(p.base, p.cand) ? y : p) : ratioOf(y.base, y.cand) < ratioOf(p.base, p.cand) ? y : p));
    if (!(q[i]! < rules.fdr && a >= rule.minEffect && past(rule, pick.base, pick.cand) === (up ? 'worse' : 'better'))) return;
    const full: Finding = { ...t.finding, stat: `p${pick.q}`, base: pick.base, candidate: pick.cand, confidence: round3(1 - q[i]!), effect: round3(test.a) };
    if (!up) return void improvements.push(full);
    full.severity = test.a >= rule.failEffect && ratioOf(pick.base, pick.cand) >= rule.failRatio ? 'fail' : 'warn';
    worse[i] = true;
    x.findings.push(full);
  });
  for (const f of x.findings) {
    const moved = f.kind === 'shift' ? movedBeside(tests, worse, f) : undefined;
    if (moved) f.moved = moved;
  }
  return improvements;
}

export function compareRuns(base: Side, candidate: Side, rules: CompareRules = DEFAULT_RULES, options: CompareOptions = {}): Comparison {
  const x: Ctx = { rules, b: collect(base.rounds), c: collect(candidate.rounds), findings: [], tests: [], scalars: [], compared: 0 };
  const unmatched: string[] = [];
  const table: Comparison['routes'] = [];
  for (const scenario of new Set([...x.b.merged.keys(), ...x.c.merged.keys()])) {
    const br = x.b.merged.get(scenario);
    const cr = x.c.merged.get(scenario);
    if (!br || !cr) {
      unmatched.push(`${scenario} (only in the ${br ? base.label : candidate.label})`);
      continue;
    }
    if (ignored(rules, scenario, null, '')) continue;
    for (const route of new Set([...br.keys(), ...cr.keys()])) {
      const bm = br.get(route);
      const cm = cr.get(route);
      if (!bm || !cm) {
        unmatched.push(`${scenario}/${route} (only in the ${bm ? base.label : candidate.label})`);
        continue;
      }
      if (ignored(rules, scenario, route, '')) continue;
      table.push({
        scenario,
        route,
        base: { p50: percentileMs(bm.latency, 50), p95: percentileMs(bm.latency, 95), requests: bm.requests },
        candidate: { p50: percentileMs(cm.latency, 50), p95: percentileMs(cm.latency, 95), requests: cm.requests },
      });
      shiftTests(x, scenario, route, bm, cm);
      countFindings(x, scenario, route, bm, cm);
      bytesFinding(x, scenario, route, bm, cm);
      errorFinding(x, scenario, route, bm, cm);
      statusMixFinding(x, scenario, route, bm, cm);
    }
    // PostgreSQL's own figures: per scenario, not per route (the database cannot tell routes apart).
    const bFiles = base.rounds.flat().filter((f) => f.scenario === scenario);
    const cFiles = candidate.rounds.flat().filter((f) => f.scenario === scenario);
    const pg = comparePg(scenario, bFiles, cFiles, rules.pg, rules.metrics as Record<string, Partial<GrowthRule>> | undefined, (route, metric) => ignored(rules, scenario, route, metric));
    x.compared += pg.compared;
    x.findings.push(...pg.findings);
  }
  scalarTests(x);
  memoryFloorFindings(x);
  const judged = options.interleaved ? { improvements: judgeInterleaved(x), decision: undefined } : judgeRounds(x);
  const improvements = judged.improvements;
  const envOf = (s: Side) => s.rounds.flat().find((f) => f.environment)?.environment;
  const environment = environmentDifferences(envOf(base), envOf(candidate));
  const order = (f: Finding) => (f.severity === 'fail' ? 0 : 1);
  x.findings.sort((p, y) => order(p) - order(y) || p.scenario.localeCompare(y.scenario) || String(p.route).localeCompare(String(y.route)) || p.metric.localeCompare(y.metric));
  return {
    base: { label: base.label, rounds: base.rounds.length, scenarios: [...x.b.merged.keys()].sort() },
    candidate: { label: candidate.label, rounds: candidate.rounds.length, scenarios: [...x.c.merged.keys()].sort() },
    rules,
    compared: x.compared,
    tested: x.tests.length + x.scalars.length,
    findings: x.findings,
    improvements,
    ...(judged.decision && { decision: judged.decision }),
    unmatched,
    ...(environment.length && { environment }),
    routes: table,
  };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

export const failing = (c: Comparison) => c.findings.filter((f) => f.severity === 'fail');

/**
 * A sequential comparison's rule, asked after each round a side: why to stop now, or null to run
 * another. The e-values stay valid however often they are looked at (sequential.ts), so stopping
 * on the evidence inflates no false alarm. Before `minRounds`, never.
 */
export function stopWhenDecided(rules: CompareRules, minRounds = 2): (base: Side, candidate: Side) => string | null {
  return (base, candidate) => {
    if (Math.min(base.rounds.length, candidate.rounds.length) < minRounds) return null;
    const c = compareRuns(base, candidate, rules);
    if (failing(c).length) return `decided after ${candidate.rounds.length} rounds a side: ${failing(c).length} failing finding(s)`;
    return c.decision?.decided ? `decided after ${candidate.rounds.length} rounds a side: ${c.decision.why}` : null;
  };
}

/**
 * The comparison with the two sides' index differences attached: each finding on a table, or on a
 * statement that reads it, names the index one side lacks as its probable cause.
 */
export function withSchema(c: Comparison, diffs: IndexDiff[]): Comparison {
  if (!diffs.length) return { ...c, schema: [] };
  const causeOf = (f: Finding): string | undefined => {
    const table = f.route?.startsWith('table ') ? f.route.slice(6) : undefined;
    const hits = diffs.filter(
      (d) => d.change !== 'added' && (table ? d.table === table : f.message !== undefined && new RegExp(`\\b${d.table.split('.').pop()!.replace(/[^\w]/g, '')}\\b`, 'i').test(f.message)),
    );
    return hits.length ? hits.map(formatIndexDiff).join('; ') : undefined;
  };
  const annotate = (fs: Finding[]) =>
    fs.map((f) => {
      const cause = causeOf(f);
      return cause ? { ...f, cause } : f;
    });
  return { ...c, findings: annotate(c.findings), schema: diffs };
}
