import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RouteMetrics } from 'pressure-harness/load';
import { createHistogram, newRoute, recordMs } from 'pressure-harness/load';
import { judge, type Raw, scenarioFile } from 'pressure-harness/report';
import { type Baseline, broke, type ScenarioBudget } from 'pressure-harness/budgets';
import { DEFAULT_RULES, type ScaleProbe } from 'pressure-harness/compare';
import { assess, mergeScenario } from 'pressure-harness/results';
import { loadBudgets } from 'pressure-harness/budgets';
import { recordEvidence } from 'pressure-harness/metrics';
import '../../fixtures/metrics.js';
import { oneAttempt } from '../support/results.js';

const { budgetFor } = await loadBudgets('budgets');

/** Route metrics of the given samples, as the engine records them. */
function route(samples: [number, number][], queries: (i: number) => number): RouteMetrics {
  const m: RouteMetrics = newRoute();
  for (const [i, ms] of samples) {
    recordMs(m.latency, ms);
    recordMs(m.service, ms * 0.9);
    m.requests += 1;
    m.bytes += 4000 + (i % 7);
    m.maxBytes = Math.max(m.maxBytes, 4000 + (i % 7));
    // The evidence headers app/ sends, read by the registered metrics as the engine reads them.
    recordEvidence(m.evidence, {
      status: 200,
      headers: { 'x-db-query-count': String(queries(i)), 'server-timing': `db;dur=${(ms / 3).toFixed(3)}`, 'x-cache': i % 4 === 0 ? 'projects=miss' : 'projects=hit' },
    });
    m.statuses[200] = (m.statuses[200] ?? 0) + 1;
  }
  return m;
}

function fileOf(id: string, raw: Raw, shard: string | null) {
  const outcomes = judge(id, budgetFor(id), raw);
  return scenarioFile({ id, ...oneAttempt('r-merge', shard), raw, outcomes, broken: outcomes.filter(broke) });
}

describe('merging sharded results', () => {
  // A long-tailed sample set: most requests fast, a slow tail in one of 53.
  const samples = Array.from({ length: 20_000 }, (_, i) => 2 + ((i * 7919) % 997) / 100 + (i % 53 === 0 ? 180 + (i % 11) : 0));
  const variants = ['ordinary_cold', 'ordinary_warm', 'whale_cold', 'whale_warm'] as const;
  const rawOf = (pick: (i: number) => boolean): Raw => ({
    routes: Object.fromEntries(
      variants.map((v, k) => [
        v,
        route(
          samples.map((x, i): [number, number] => [i, x + k]).filter(([i]) => pick(i)),
          () => (v.endsWith('cold') ? 4 : 1),
        ),
      ]),
    ),
    expected: [],
    singles: {},
    wallMs: 10_000,
  });

  it('gives a 2-shard run, merged, the same p95 (and every other statistic and verdict) as the unsharded run of the same requests', () => {
    const whole = fileOf(
      'dashboard.hydrate',
      rawOf(() => true),
      null,
    );
    for (const split of [(i: number) => i % 2 === 0, (i: number) => i < samples.length * 0.3]) {
      const merged = mergeScenario(
        [
          fileOf('dashboard.hydrate', rawOf(split), '1/2'),
          fileOf(
            'dashboard.hydrate',
            rawOf((i) => !split(i)),
            '2/2',
          ),
        ],
        budgetFor,
        { rules: DEFAULT_RULES },
      );
      assert.equal(merged.stats['latency_ms']!['p(95)'], whole.stats['latency_ms']!['p(95)']);
      assert.equal(merged.stats['latency_ms@whale_cold']!['p(95)'], whole.stats['latency_ms@whale_cold']!['p(95)']);
      assert.deepEqual(merged.stats, whole.stats);
      assert.deepEqual(merged.outcomes, whole.outcomes);
      assert.equal(merged.verdict, whole.verdict);
    }
  });

  it('does not average percentiles: the merge of two unequal halves differs from the mean of their p95s', () => {
    const fast = fileOf(
      'dashboard.hydrate',
      rawOf((i) => i % 53 !== 0),
      '1/2',
    );
    const slow = fileOf(
      'dashboard.hydrate',
      rawOf((i) => i % 53 === 0),
      '2/2',
    );
    const merged = mergeScenario([fast, slow], budgetFor, { rules: DEFAULT_RULES });
    const averaged = (fast.stats['latency_ms']!['p(95)']! + slow.stats['latency_ms']!['p(95)']!) / 2;
    assert.notEqual(merged.stats['latency_ms']!['p(95)'], averaged);
    assert.equal(
      merged.stats['latency_ms']!['p(95)'],
      fileOf(
        'dashboard.hydrate',
        rawOf(() => true),
        null,
      ).stats['latency_ms']!['p(95)'],
    );
  });

  it('takes the worst of the figures a scenario computes itself', () => {
    const a = fileOf('mix.ramp', { ...rawOf((i) => i % 2 === 0), singles: { knee: 16 } }, '1/2');
    const b = fileOf('mix.ramp', { ...rawOf((i) => i % 2 === 1), singles: { knee: 8 } }, '2/2');
    assert.equal(mergeScenario([a, b], budgetFor, { rules: DEFAULT_RULES }).raw.singles.knee, 8);
  });

  it("keeps a shard's failing scale-probe findings and their verdict (a merge once rebuilt the file without them and said passed)", () => {
    // A scenario with no budget rule: only the probe can fail it. The large size costs ten times the queries.
    const noBudget = (): ScenarioBudget => ({});
    const probe: ScaleProbe = { dimension: 'rows in the tenant', small: { variant: 'ordinary_cold', size: 50 }, large: { variant: 'whale_cold', size: 50_000 } };
    const grown = (pick: (i: number) => boolean): Raw => {
      const r = rawOf(pick);
      return {
        ...r,
        routes: {
          ...r.routes,
          whale_cold: route(
            samples.map((x, i): [number, number] => [i, x]).filter(([i]) => pick(i)),
            () => 40,
          ),
        },
      };
    };
    const shard = (pick: (i: number) => boolean, name: string) => {
      const raw = grown(pick);
      const outcomes = judge('test.probe', {}, raw);
      return assess({
        id: 'test.probe',
        ...oneAttempt('r-merge', name),
        raw,
        outcomes,
        broken: outcomes.filter(broke),
        rules: DEFAULT_RULES,
        probes: [probe],
        gate: true,
      }).file;
    };
    const parts = [shard((i) => i % 2 === 0, '1/2'), shard((i) => i % 2 === 1, '2/2')];
    for (const p of parts) assert.equal(p.verdict, 'failed', 'each shard fails on its probe');
    const merged = mergeScenario(parts, noBudget, { rules: DEFAULT_RULES });
    assert.equal(merged.broken.length, 0, 'no budget broke: the probe alone fails it');
    assert.equal(merged.verdict, 'failed');
    assert.equal(merged.probes?.length, 1);
    assert.ok(
      merged.probes![0]!.findings.some((f) => f.severity === 'fail' && f.metric === 'db_queries_per_req'),
      JSON.stringify(merged.probes![0]!.findings.map((f) => [f.metric, f.severity])),
    );
  });

  it('keeps record mode: findings a shard recorded without gating do not fail the merge', () => {
    const raw = rawOf((i) => i % 2 === 0);
    const outcomes = judge('test.probe', {}, raw);
    const file = assess({
      id: 'test.probe',
      ...oneAttempt('r-merge', '1/2'),
      raw,
      outcomes,
      broken: [],
      rules: DEFAULT_RULES,
      probes: [],
      gate: false,
    }).file;
    assert.equal(mergeScenario([file], () => ({}), { rules: DEFAULT_RULES }).assessed?.gate, false);
  });

  it("keeps a shard's failing comparison with the baseline and its verdict", () => {
    // The baseline recorded 4 queries per request on every variant; the shards run 12 on the cold ones.
    const noBudget = (): ScenarioBudget => ({});
    const base = rawOf(() => true);
    const baseline: Baseline = {
      tag: 'v-test',
      savedAt: '2026-01-01T00:00:00.000Z',
      commit: null,
      profile: 'smoke',
      machine: 'test',
      scenarios: {},
      results: { 'test.base': { raw: fileOf('dashboard.hydrate', base, null).raw as unknown as NonNullable<Baseline['results']>[string]['raw'] } },
    };
    const worse = (pick: (i: number) => boolean): Raw => {
      const r = rawOf(pick);
      return {
        ...r,
        routes: Object.fromEntries(
          Object.keys(r.routes).map((v) => [
            v,
            route(
              samples.map((x, i): [number, number] => [i, x]).filter(([i]) => pick(i)),
              () => (v.endsWith('cold') ? 12 : 1),
            ),
          ]),
        ),
      };
    };
    const shard = (pick: (i: number) => boolean, name: string) => {
      const raw = worse(pick);
      const outcomes = judge('test.base', {}, raw);
      return assess({
        id: 'test.base',
        ...oneAttempt('r-merge', name),
        baselineTag: 'v-test',
        raw,
        outcomes,
        broken: [],
        baseline,
        rules: DEFAULT_RULES,
        probes: [],
        gate: true,
      }).file;
    };
    const parts = [shard((i) => i % 2 === 0, '1/2'), shard((i) => i % 2 === 1, '2/2')];
    for (const p of parts) assert.equal(p.verdict, 'failed', 'each shard is worse than the baseline');
    const merged = mergeScenario(parts, noBudget, { baseline, rules: DEFAULT_RULES });
    assert.equal(merged.verdict, 'failed');
    assert.equal(merged.comparison?.against, 'v-test');
    assert.ok(
      merged.comparison!.findings.some((f) => f.severity === 'fail' && f.metric === 'db_queries_per_req'),
      JSON.stringify(merged.comparison!.findings.map((f) => [f.route, f.metric, f.severity])),
    );
  });
});
