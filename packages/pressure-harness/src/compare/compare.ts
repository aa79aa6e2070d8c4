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
import type { CompareRules, Comparison, Finding, GrowthRule, ShiftRule } from './types.js';

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
};

export type { Compared } from '../report/results.js';
export type Side = { label: string; rounds: Compared[][] };

type Routes = Map<string, Map<string, RouteMetrics>>;
type Singles = Map<string, Record<string, number>>;

/** One side's scenarios, routes merged across rounds (histograms added exactly), and each round apart. */
function collect(rounds: Compared[][]): { merged: Routes; perRound: Routes[]; singles: Singles; expected: Map<string, number[]> } {
  const perRound = rounds.map((files) => {
    const r: Routes = new Map();
    for (const f of files) {
      const m = r.get(f.scenario) ?? new Map<string, RouteMetrics>();
      for (const [k, s] of Object.entries(f.raw.routes)) {
        const had = m.get(k);
        const route = deserializeRoute(s);
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
  // A scenario's own figures: the worse of the rounds stands, as in a merge of shards.
  const singles: Singles = new Map();
  for (const f of rounds.flat()) {
    const s = singles.get(f.scenario) ?? {};
    for (const [k, v] of Object.entries(f.raw.singles)) {
      if (typeof v !== 'number') continue;
      s[k] = worseSingle(k, s[k], v);
    }
    singles.set(f.scenario, s);
  }
  const expected = new Map<string, number[]>();
  for (const f of rounds.flat()) expected.set(f.scenario, [...new Set([...(expected.get(f.scenario) ?? []), ...f.raw.expected])]);
  return { merged, perRound, singles, expected };
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

type Pending = { finding: Finding; test: RankSumTest; rounds: RankSumTest[]; rule: ShiftRule; ratio: number; delta: number; separated?: boolean };

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
type Ctx = { rules: CompareRules; b: Collected; c: Collected; findings: Finding[]; tests: Pending[]; compared: number };

const shiftRuleOf = (rules: CompareRules, metric: string): ShiftRule => ({ ...rules.shift, ...(rules.metrics?.[metric] as Partial<ShiftRule> | undefined) });
const growthRuleOf = (rules: CompareRules, metric: string, kind: GrowthRule): GrowthRule => ({ ...kind, ...(rules.metrics?.[metric] as Partial<GrowthRule> | undefined) });

/** Noisy histograms (latency, service time, noisy samples): a rank test each, judged later with all the others (judgeShifts). */
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
  const roundPairs = x.b.perRound.flatMap((round, i) => {
    const bx = round.get(scenario)?.get(route);
    const cy = x.c.perRound[i]?.get(scenario)?.get(route);
    return bx && cy ? [[histograms(bx), histograms(cy)] as const] : [];
  });
  for (const metric of Object.keys(bh)) {
    if (!ch[metric] || ignored(x.rules, scenario, route, metric)) continue;
    x.compared++;
    const rule = shiftRuleOf(x.rules, metric);
    const test = rankSum(buckets(bh[metric]!), buckets(ch[metric]!));
    const rounds = roundPairs.flatMap(([bx, cy]) => (bx[metric] && cy[metric] ? [rankSum(buckets(bx[metric]), buckets(cy[metric]))] : []));
    // The percentile that moved most, in the direction of the effect.
    const stats = [50, 95].map((q) => ({ q, base: percentileMs(bh[metric]!, q), cand: percentileMs(ch[metric]!, q) }));
    const worse = test.a >= 0.5;
    const pick = stats.reduce((p, y) => (worse ? (ratioOf(y.base, y.cand) > ratioOf(p.base, p.cand) ? y : p) : ratioOf(y.base, y.cand) < ratioOf(p.base, p.cand) ? y : p));
    // Round against round: the candidate's best round past the base's worst by the fail ratio
    // (a worse direction only). Runs of one version differ more than requests within a run.
    const per = (hs: Record<string, Histogram>[]) => hs.flatMap((h) => (h[metric] ? [percentileMs(h[metric], pick.q)] : []));
    const bq = per(bRounds);
    const cq = per(cRounds);
    const separated = bq.length < 2 || cq.length < 2 ? undefined : ratioOf(Math.max(...bq), Math.min(...cq)) >= rule.failRatio;
    x.tests.push({
      test,
      rounds,
      rule,
      ...(separated !== undefined && { separated }),
      ratio: ratioOf(pick.base, pick.cand),
      delta: pick.cand - pick.base,
      finding: { scenario, route, metric, kind: 'shift', severity: 'warn', stat: `p${pick.q}`, unit: metricDef(metric)?.unit ?? 'ms', base: pick.base, candidate: pick.cand },
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

/** The scenario's own figures (a knee, a drift): worse by a ratio. */
function singleFindings(x: Ctx, scenario: string): void {
  const bs = x.b.singles.get(scenario) ?? {};
  const cs = x.c.singles.get(scenario) ?? {};
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

/** Every rank test of the comparison judged as one family (FDR), then each significant one as a fail, a warning or an improvement. */
function judgeShifts(x: Ctx, options: CompareOptions): Finding[] {
  const { tests, rules } = x;
  const improvements: Finding[] = [];
  const q = adjustFdr(tests.map((t) => t.test.p));
  const significant = tests.map((t, i) => {
    const { rule, test, ratio, delta } = t;
    const a = Math.max(test.a, 1 - test.a); // effect in whichever direction
    const worse = test.a >= 0.5;
    const big = worse ? ratio >= rule.minRatio && delta >= rule.minDelta : ratio <= 1 / rule.minRatio && -delta >= rule.minDelta;
    return q[i]! < rules.fdr && a >= rule.minEffect && big;
  });
  tests.forEach((t, i) => {
    if (!significant[i]) return;
    const { test, rounds, rule, ratio, finding, separated } = t;
    const worse = test.a >= 0.5;
    // With rounds, the replicates of a version: a fail needs every round pair to show the effect,
    // and every candidate round to be past every base round by the fail ratio (two clean rounds
    // against two moved a short scenario's p95 by 1.55× with A 0.76 in both pairs here).
    const consistent = rounds.length < 2 ? undefined : rounds.every((r) => (worse ? r.a >= rule.failEffect : r.a <= 1 - rule.failEffect)) && separated === true;
    const full: Finding = { ...finding, confidence: round3(1 - q[i]!), effect: round3(test.a), ...(consistent !== undefined && { consistent }) };
    if (!worse) return void improvements.push(full);
    full.severity = test.a >= rule.failEffect && ratio >= rule.failRatio && (consistent === true || (options.interleaved === true && consistent === undefined)) ? 'fail' : 'warn';
    // What else moved on the route: a diagnosis, not only a number.
    if (finding.metric === 'latency_ms') {
      full.moved = Object.fromEntries(
        tests.flatMap((o, k) =>
          o.finding.scenario === finding.scenario && o.finding.route === finding.route && o.finding.metric !== 'latency_ms' ? [[o.finding.metric, significant[k]! && o.test.a >= 0.5]] : [],
        ),
      );
    }
    x.findings.push(full);
  });
  return improvements;
}

export function compareRuns(base: Side, candidate: Side, rules: CompareRules = DEFAULT_RULES, options: CompareOptions = {}): Comparison {
  const x: Ctx = { rules, b: collect(base.rounds), c: collect(candidate.rounds), findings: [], tests: [], compared: 0 };
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
    singleFindings(x, scenario);
  }
  const improvements = judgeShifts(x, options);
  const envOf = (s: Side) => s.rounds.flat().find((f) => f.environment)?.environment;
  const environment = environmentDifferences(envOf(base), envOf(candidate));
  const order = (f: Finding) => (f.severity === 'fail' ? 0 : 1);
  x.findings.sort((p, y) => order(p) - order(y) || p.scenario.localeCompare(y.scenario) || String(p.route).localeCompare(String(y.route)) || p.metric.localeCompare(y.metric));
  return {
    base: { label: base.label, rounds: base.rounds.length, scenarios: [...x.b.merged.keys()].sort() },
    candidate: { label: candidate.label, rounds: candidate.rounds.length, scenarios: [...x.c.merged.keys()].sort() },
    rules,
    compared: x.compared,
    tested: x.tests.length,
    findings: x.findings,
    improvements,
    unmatched,
    ...(environment.length && { environment }),
    routes: table,
  };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

export const failing = (c: Comparison) => c.findings.filter((f) => f.severity === 'fail');

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
