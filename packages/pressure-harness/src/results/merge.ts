/**
 * Merging one scenario's results from several shards: route metrics are added (histograms
 * exactly, by bucket), the scenario's own figures take their worst value, and the whole is
 * assessed again by the step that assessed each shard (assess.ts): budgets, the comparison with
 * the baseline, the scale probes. The verdict is the one an unsharded run of the same requests
 * would get.
 */
import { worseClient } from '../load/client-health.js';
import type { Baseline } from '../budgets/baselines.js';
import { broke, type ScenarioBudget } from '../budgets/define.js';
import { worseSingle } from '../metrics/registry.js';
import { mergeRoutes } from '../load/report.js';
import { deserializeRoute } from '../load/serialize.js';
import type { CompareRules } from '../compare/compare.js';
import type { ScenarioFile } from '../report/results.js';
import { judge, type Raw } from '../report/scenario.js';
import { assess } from './assess.js';

/**
 * `budgetFor`: the suite's budgets (budgets/discover.ts), by scenario id; `rules`: its comparison
 * rules. Parts assessed in gate mode (any of them) are merged in gate mode, with the probes they
 * declared.
 */
export function mergeScenario(parts: ScenarioFile[], budgetFor: (id: string) => ScenarioBudget, o: { baseline?: Baseline; rules: CompareRules }): ScenarioFile {
  const { baseline } = o;
  const id = parts[0]!.scenario;
  const names = new Set(parts.flatMap((p) => Object.keys(p.raw.routes)));
  const routes = Object.fromEntries([...names].map((n) => [n, mergeRoutes(parts.filter((p) => p.raw.routes[n]).map((p) => deserializeRoute(p.raw.routes[n]!)))]));
  const singles: Record<string, number> = {};
  for (const p of parts) {
    for (const [k, v] of Object.entries(p.raw.singles)) {
      if (v === undefined) continue;
      singles[k] = worseSingle(k, singles[k], v);
    }
  }
  const raw: Raw = { routes, expected: [...new Set(parts.flatMap((p) => p.raw.expected))], singles, wallMs: Math.max(...parts.map((p) => p.raw.wallMs)) };
  const absent = [...new Set(parts.flatMap((p) => p.absent ?? []))];
  const evidence = parts.map((p) => ({ pg: p.pg, signals: p.signals, requests: Object.values(p.raw.routes).reduce((n, r) => n + r.requests, 0) }));
  const outcomes = judge(id, budgetFor(id), raw, baseline, new Set(absent), evidence);
  const broken = outcomes.filter(broke);
  const declared = parts.find((p) => p.assessed)?.assessed;
  return assess({
    id,
    runId: parts[0]!.runId,
    shard: parts.length > 1 ? `merged from ${parts.map((p) => p.shard ?? '?').join(', ')}` : parts[0]!.shard,
    profile: parts[0]!.profile,
    raw,
    outcomes,
    broken,
    absent,
    attempts: Math.max(...parts.map((p) => p.attempts)),
    history: parts.flatMap((p) => p.history),
    timeline: parts[0]!.timeline,
    slowest: parts
      .flatMap((p) => p.slowest)
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 10),
    baselineTag: baseline?.tag ?? null,
    details: parts.length > 1 ? { shards: parts.map((p) => ({ shard: p.shard, details: p.details })) } : parts[0]!.details,
    sections: parts.flatMap((p) => (p.sections ?? []).map((x) => (parts.length > 1 ? { ...x, title: `${x.title} (shard ${p.shard ?? '?'})` } : x))),
    client: parts.map((p) => p.client).reduce(worseClient, undefined),
    // PostgreSQL's deltas are database-wide: shards sharing a database each saw all of them, so
    // adding them up would count the same work twice. One shard's view stands.
    pg: parts.find((p) => p.pg?.available)?.pg ?? parts[0]!.pg,
    environment: parts.find((p) => p.environment)?.environment,
    code: parts.find((p) => p.code)?.code,
    at: parts
      .map((p) => p.at)
      .filter((a): a is string => Boolean(a))
      .sort()
      .at(-1),
    ...(baseline && { baseline }),
    rules: o.rules,
    probes: declared?.probes ?? [],
    // Files of older versions say nothing: gate, as a run does unless told to record.
    gate: parts.some((p) => p.assessed?.gate ?? true),
  }).file;
}
