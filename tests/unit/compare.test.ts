import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import kruskalTest from '@stdlib/stats-kruskal-test';
import seedrandom from 'seedrandom';
import { normals } from '../support/random.js';
import { compareRuns, DEFAULT_RULES, failing, type Side } from 'pressure-harness/compare';
import { compareMarkdown, formatFinding } from 'pressure-harness/compare';
import { formatProbeFinding, growthExponent, probeScale, type ScaleProbe } from 'pressure-harness/compare';
import { adjustFdr, rankSum } from 'pressure-harness/compare';
import type { RouteMetrics } from 'pressure-harness/load';
import { buckets, createHistogram, newRoute, recordMs } from 'pressure-harness/load';
import { serializeRoute } from 'pressure-harness/load';
import { recordEvidence } from 'pressure-harness/metrics';
import 'pressure-harness/metrics';
import type { ScenarioFile } from 'pressure-harness/report';
import { fileOf } from '../support/results.js';

const histogramOf = (values: number[]) => {
  const h = createHistogram();
  for (const v of values) recordMs(h, v);
  return h;
};

/** Log-normal latencies (skewed, heavy-tailed, like real ones) from a named seeded stream. */
function latencies(seed: string, n: number, medianMs: number, sigma = 0.6): number[] {
  const z = normals(seed);
  return Array.from({ length: n }, () => medianMs * Math.exp(sigma * z()));
}

type RouteSpec = { ms: number[]; queries?: number; bytes?: number; errors?: number; status?: number };
function route(s: RouteSpec): RouteMetrics {
  const m: RouteMetrics = newRoute();
  s.ms.forEach((ms, i) => {
    recordMs(m.latency, ms);
    recordMs(m.service, ms * 0.95);
    m.requests++;
    m.bytes += s.bytes ?? 2000;
    const failed = i < (s.errors ?? 0);
    const status = failed ? (s.status ?? 500) : 200;
    m.statuses[status] = (m.statuses[status] ?? 0) + 1;
    const cls = status === 500 ? '5xx' : `${String(status)[0]}xx:${status}`;
    if (failed) (m.errors++, (m.errorsByClass[cls] = (m.errorsByClass[cls] ?? 0) + 1));
    recordEvidence(m.evidence, { status, headers: { 'x-db-query-count': String(s.queries ?? 3), 'server-timing': `db;dur=${(ms / 2).toFixed(3)}` } });
  });
  return m;
}
function file(scenario: string, routes: Record<string, RouteSpec>, singles: Record<string, number> = {}, expected: number[] = []): ScenarioFile {
  return fileOf(scenario, { routes: Object.fromEntries(Object.entries(routes).map(([k, v]) => [k, serializeRoute(route(v))])), expected, singles, wallMs: 1000 });
}
const side = (label: string, ...rounds: ScenarioFile[][]): Side => ({ label, rounds });

describe('the rank-sum test', () => {
  it('agrees with @stdlib/stats-kruskal-test (two groups: H = z² without the continuity correction), ties included', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 8, maxLength: 80 }), fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 8, maxLength: 80 }), (x, y) => {
        const t = rankSum(buckets(histogramOf(x)), buckets(histogramOf(y)));
        const { statistic } = kruskalTest(x, y);
        const z0 = t.sd === 0 ? 0 : (t.u - (x.length * y.length) / 2) / t.sd;
        assert.ok(Math.abs(z0 * z0 - statistic) < 1e-6 * Math.max(1, statistic), `z0² ${z0 * z0} vs H ${statistic}`);
        assert.equal(t.n1 + t.n2, x.length + y.length);
      }),
      { numRuns: 200 },
    );
  });

  it('gives A = 0.5 and p = 1 for identical samples, and A near 1 when every candidate value is larger', () => {
    const h = buckets(histogramOf(latencies('same', 500, 10)));
    assert.deepEqual([rankSum(h, h).a, rankSum(h, h).p], [0.5, 1]);
    const slow = rankSum(buckets(histogramOf([1, 2, 3, 4, 5])), buckets(histogramOf([10, 11, 12, 13, 14])));
    assert.equal(slow.a, 1);
  });

  it('adjusts p-values by Benjamini–Hochberg', () => {
    // R: p.adjust(c(0.01, 0.02, 0.03, 0.5), "BH") = 0.04 0.04 0.04 0.50
    assert.deepEqual(
      adjustFdr([0.01, 0.02, 0.03, 0.5]).map((q) => +q.toFixed(4)),
      [0.04, 0.04, 0.04, 0.5],
    );
  });
});

describe('comparing two runs without rules', () => {
  const base = (seed: string, median = 10) => file('list.page', { page_1: { ms: latencies(`${seed}/1`, 1500, median) }, page_50: { ms: latencies(`${seed}/50`, 1500, median * 2) } });

  it('finds nothing between two runs of the same behaviour (20 pairs of seeds)', () => {
    for (let i = 0; i < 20; i++) {
      const c = compareRuns(side('base', [base(`a${i}`)]), side('candidate', [base(`b${i}`)]));
      assert.deepEqual(c.findings.map(formatFinding), [], `seeds a${i}/b${i}`);
      assert.ok(c.tested >= 6, 'latency, service time and DB time of both routes were tested');
    }
  });

  const slow = (seed: string) => file('list.page', { page_1: { ms: latencies(`${seed}/1`, 1500, 10) }, page_50: { ms: latencies(`${seed}/50`, 1500, 60) } });

  it('finds a latency shift of one route in two rounds a side, says how sure, within what interval and what else moved, and fails it', () => {
    const c = compareRuns(side('base', [base('a')], [base('a2')]), side('candidate', [slow('c')], [slow('c2')]));
    const f = c.findings.find((x) => x.metric === 'latency_ms');
    assert.ok(f, compareMarkdown(c));
    assert.equal(f.route, 'page_50');
    assert.equal(f.severity, 'fail');
    assert.ok(f.confidence! >= 0.99 && f.interval![0] >= 1.25, `confidence ${f.confidence}, interval ${f.interval}`);
    assert.deepEqual(f.rounds, [2, 2]);
    assert.match(
      formatFinding(f),
      /^list\.page page_50: latency p\d+ [\d.]+ ms → [\d.]+ ms \(\+[\d.]+ ms, [\d.]+% confident, interval ×[\d.]+–×[\d.]+, 2\+2 rounds\); service time and DB time moved$/,
    );
    assert.ok(!c.findings.some((x) => x.route === 'page_1'), 'the unchanged route has no finding');
    // A gross regression decides the comparison: more rounds would change no verdict.
    assert.equal(c.decision?.decided, true, c.decision?.why);
  });

  it('prints no confidence for one round a side, and only warns: one run cannot tell a shift from run-to-run variation', () => {
    const c = compareRuns(side('base', [base('a')]), side('candidate', [slow('c')]));
    const f = c.findings.find((x) => x.metric === 'latency_ms' && x.route === 'page_50');
    assert.equal(f?.severity, 'warn');
    assert.equal(f?.confidence, undefined);
    assert.match(formatFinding(f!), /1\+1 rounds: no confidence without a second round on a side/);
    assert.equal(c.decision?.decided, false);
  });

  it('does not fail when the rounds disagree', () => {
    const c = compareRuns(side('base', [base('a')], [base('a2')]), side('candidate', [slow('c')], [base('c2')]));
    assert.ok(!failing(c).some((x) => x.kind === 'shift'), compareMarkdown(c));
  });

  it('does not fail when the rounds of each side overlap, and fails when they are apart', () => {
    // Base rounds at 40 and 60 ms, candidate rounds at 65 and 70 ms: the candidate's best round is
    // within 1.5× of the base's worst, as two runs of one version can be.
    const at = (seed: string, ms: number) => file('list.page', { page_50: { ms: latencies(seed, 1500, ms, 0.2) } });
    const c = compareRuns(side('base', [at('a', 40)], [at('a2', 60)]), side('candidate', [at('c', 65)], [at('c2', 70)]));
    assert.ok(!failing(c).length, compareMarkdown(c));
    const d = compareRuns(side('base', [at('a', 40)], [at('a2', 45)]), side('candidate', [at('c', 75)], [at('c2', 80)]));
    assert.equal(d.findings.find((x) => x.metric === 'latency_ms')?.severity, 'fail', compareMarkdown(d));
  });

  it("judges a scenario's own figures and the backend's gauges on rounds: a knee that halved fails, a pool that began to wait warns", () => {
    const ms = latencies('scalars', 300, 10);
    const at = (knee: number, waiting: number, memory: number) => ({
      ...file('mix.ramp', { r: { ms } }, { knee }),
      signals: { db_pool_waiting_clients: { mean: waiting, max: waiting * 2, samples: 20 }, process_resident_memory_bytes: { mean: memory, max: memory, samples: 20 } },
    });
    const c = compareRuns(side('base', [at(16, 0, 1.2e8)], [at(16, 0.1, 1.25e8)], [at(16, 0, 1.22e8)]), side('candidate', [at(4, 6, 1.21e8)], [at(4, 5.5, 1.23e8)], [at(4, 6.5, 1.2e8)]), {
      ...DEFAULT_RULES,
      metrics: { knee: { failRatio: 2 } },
    });
    const knee = c.findings.find((f) => f.metric === 'knee');
    assert.equal(knee?.kind, 'single', compareMarkdown(c));
    assert.equal(knee.severity, 'fail');
    assert.deepEqual([knee.base, knee.candidate], [16, 4]);
    assert.ok(knee.interval && knee.interval[1] < 1 / 1.5, `interval ${knee.interval}`);
    const waiting = c.findings.filter((f) => f.metric === 'db_pool_waiting_clients');
    assert.deepEqual(waiting.map((f) => [f.kind, f.stat, f.severity]).sort(), [
      ['signal', 'max', 'warn'],
      ['signal', 'mean', 'warn'],
    ]);
    assert.ok(!c.findings.some((f) => f.metric === 'process_resident_memory_bytes'), 'memory within its rounds: nothing');
    // Capacity side by side, with what rose beside it.
    assert.deepEqual(
      c.decision?.figures?.map((x) => [x.metric, x.base, x.candidate]),
      [['knee', [16, 16, 16], [4, 4, 4]]],
    );
    assert.match(compareMarkdown(c), /\| mix\.ramp \| knee \(highest load within the objective\) \| 16, 16, 16 \| 4, 4, 4 \| ×0\.\d\d–×0\.\d\d \|/);
    assert.match(compareMarkdown(c), /What the backend's gauges say rose: .*db_pool_waiting_clients/);
    // One round a side: the knee by its ratio alone (a warning), no gauge judged.
    const one = compareRuns(side('base', [at(16, 0, 1.2e8)]), side('candidate', [at(4, 6, 1.2e8)]));
    assert.deepEqual(
      one.findings.map((f) => [f.metric, f.severity]),
      [['knee', 'warn']],
    );
  });

  it('fails on a queue that appeared: clients waiting for the pool in every candidate round, in no base round', () => {
    const ms = latencies('queue', 300, 10);
    const at = (waiting: number) => ({ ...file('writes.hot', { r: { ms } }), signals: { db_pool_waiting_clients: { mean: waiting / 2, max: waiting, samples: 20 } } });
    const base = side('base', [at(0)], [at(0)], [at(0)]);
    const queued = compareRuns(base, side('candidate', [at(3)], [at(4)]));
    const f = queued.findings.filter((x) => x.metric === 'db_pool_waiting_clients');
    assert.ok(f.length && f.every((x) => x.severity === 'fail' && x.kind === 'signal'), compareMarkdown(queued));
    // A candidate round without a queue: not a queue that appeared, at most a warning.
    assert.ok(!failing(compareRuns(base, side('candidate', [at(3)], [at(0)]))).length);
    // Not a queue's name: a gauge as any other, a warning.
    const inFlight = (n: number) => ({ ...file('writes.hot', { r: { ms } }), signals: { http_requests_in_flight: { mean: n / 2, max: n, samples: 20 } } });
    assert.ok(!failing(compareRuns(side('base', [inFlight(0)], [inFlight(0)], [inFlight(0)]), side('candidate', [inFlight(3)], [inFlight(4)]))).length);
  });

  it("fails on the backend's memory grown past ×2 on the same requests (an answer cache that never evicts), not on a collection that came or did not", () => {
    const ms = latencies('memory', 300, 10);
    const at = (heap: number) => ({ ...file('mix.soak', { r: { ms } }), signals: { nodejs_heap_size_used_bytes: { mean: heap * 0.8, max: heap, samples: 100 } } });
    const base = side('base', [at(70e6)], [at(60e6)], [at(66e6)]);
    const leak = compareRuns(base, side('candidate', [at(163e6)], [at(171e6)], [at(158e6)]));
    const f = leak.findings.filter((x) => x.metric === 'nodejs_heap_size_used_bytes');
    assert.ok(f.length && f.every((x) => x.severity === 'fail' && x.kind === 'signal'), compareMarkdown(leak));
    // Rounds here moved the heap by up to ×1.8 with nothing changed: within that, at most a warning.
    const gc = compareRuns(base, side('candidate', [at(95e6)], [at(80e6)], [at(100e6)]));
    assert.ok(!failing(gc).length, compareMarkdown(gc));
  });

  it("judges the backend's memory apart from its other gauges: a heap ×3 in every round fails beside a pool whose waiting clients swing ×10", () => {
    const ms = latencies('memory-family', 300, 10);
    // Two scenarios, each with the memory gauges and four others that swing between clean rounds
    // as a pool's waiting clients and a loop's lag do.
    const at = (scenario: string, heap: number, swing: number) => ({
      ...file(scenario, { r: { ms } }),
      signals: {
        nodejs_heap_size_used_bytes: { mean: heap * 0.8, max: heap, samples: 100 },
        process_resident_memory_bytes: { mean: heap * 2.5, max: heap * 2.6, samples: 100 },
        db_pool_waiting_clients: { mean: 0.5 * swing, max: 3 * swing, samples: 100 },
        http_requests_in_flight: { mean: 2 * swing, max: 9 * swing, samples: 100 },
        nodejs_eventloop_lag_seconds: { mean: 0.004 * swing, max: 0.02 * swing, samples: 100 },
        queue_depth: { mean: 40 / swing, max: 90 / swing, samples: 100 },
      },
    });
    const round = (heap: number, swing: number) => [at('mix.soak', heap, swing), at('mix.ramp', heap * 1.1, 1 / swing)];
    const base = side('base', round(60e6, 1), round(66e6, 10));
    const leak = compareRuns(base, side('candidate', round(190e6, 3), round(200e6, 0.3)));
    const heap = leak.findings.filter((x) => x.metric === 'nodejs_heap_size_used_bytes');
    assert.equal(heap.length, 4, compareMarkdown(leak));
    assert.ok(
      heap.every((x) => x.severity === 'fail'),
      compareMarkdown(leak),
    );
    // The swinging gauges, moved as much as between clean rounds: nothing fails.
    assert.ok(!failing(leak).some((x) => x.metric !== 'nodejs_heap_size_used_bytes' && x.metric !== 'process_resident_memory_bytes'), compareMarkdown(leak));
  });

  it("judges the heap's floor side against side, with one round a side: a leak's fails, a collection's timing does not", () => {
    const ms = latencies('floor', 300, 10);
    const at = (mean: number, floor: number) => ({ ...file('mix.soak', { r: { ms } }), signals: { nodejs_heap_size_used_bytes: { mean, max: mean * 1.3, min: floor, samples: 100 } } });
    const leak = compareRuns(side('base', [at(60e6, 50e6)]), side('candidate', [at(190e6, 155e6)]));
    const floor = leak.findings.find((f) => f.stat === 'floor');
    assert.equal(floor?.severity, 'fail', compareMarkdown(leak));
    assert.deepEqual([floor.base, floor.candidate], [50e6, 155e6]);
    // A collection that came in one round and not the other: the mean doubled, the floor did not.
    const gc = compareRuns(side('base', [at(60e6, 50e6)], [at(62e6, 53e6)]), side('candidate', [at(118e6, 49e6)], [at(110e6, 52e6)]));
    assert.ok(!gc.findings.some((f) => f.stat === 'floor'), compareMarkdown(gc));
    // A window too short to hold a full collection (30 samples, 6 s): its lowest sample is no floor.
    const brief = (mean: number, floor: number) => ({ ...at(mean, floor), signals: { nodejs_heap_size_used_bytes: { mean, max: mean * 1.3, min: floor, samples: 30 } } });
    assert.ok(!compareRuns(side('base', [brief(60e6, 39e6)]), side('candidate', [brief(90e6, 79e6)])).findings.some((f) => f.stat === 'floor'));
    // Each side's rounds apart: a candidate round at the base's floor keeps it from failing.
    const mixed = compareRuns(side('base', [at(60e6, 50e6)]), side('candidate', [at(190e6, 155e6)], [at(70e6, 55e6)]));
    assert.ok(!failing(mixed).some((f) => f.stat === 'floor'), compareMarkdown(mixed));
  });

  it('compares counts, bytes and errors as numbers: growth is a finding', () => {
    const ms = latencies('n', 400, 10);
    const c = compareRuns(side('base', [file('s', { r: { ms, queries: 3, bytes: 2000 } })]), side('candidate', [file('s', { r: { ms, queries: 9, bytes: 2600, errors: 40 } })]));
    const by = Object.fromEntries(c.findings.map((f) => [f.metric, f]));
    assert.equal(by.db_queries_per_req?.severity, 'fail');
    assert.deepEqual([by.db_queries_per_req?.base, by.db_queries_per_req?.candidate], [3, 9]);
    assert.equal(by.bytes_per_req?.severity, 'fail');
    assert.deepEqual(by.error_rate?.classes, { '5xx': [0, 40] });
    assert.equal(failing(c).length, 3);
  });

  it('leaves out the statuses a scenario expects (409 under optimistic concurrency), as its budgets do', () => {
    const ms = latencies('n', 400, 10);
    const c = compareRuns(side('base', [file('s', { r: { ms, errors: 200, status: 409 } }, {}, [409])]), side('candidate', [file('s', { r: { ms, errors: 260, status: 409 } }, {}, [409])]));
    // Not an error; but the route answers otherwise, and that is said.
    assert.deepEqual(
      c.findings.map((f) => [f.metric, f.severity]),
      [['status_mix', 'warn']],
    );
    const d = compareRuns(side('base', [file('s', { r: { ms, errors: 200, status: 409 } })]), side('candidate', [file('s', { r: { ms, errors: 260, status: 409 } })]));
    assert.deepEqual(
      d.findings.map((f) => [f.metric, f.classes]),
      [
        ['error_rate', { '4xx:409': [200, 260] }],
        ['status_mix', undefined],
      ],
    );
  });

  it('names a route whose mix of statuses moved (409s that became 200s), and not one that moved within noise', () => {
    const ms = latencies('mix', 400, 10);
    const c = compareRuns(side('base', [file('s', { update: { ms, errors: 336, status: 409 } }, {}, [409])]), side('candidate', [file('s', { update: { ms, errors: 40, status: 409 } }, {}, [409])]));
    const mix = c.findings.find((f) => f.metric === 'status_mix')!;
    assert.equal(mix.severity, 'warn');
    assert.equal(formatFinding(mix), 's update: statuses 200 16%, 409 84% → 200 90%, 409 10%: the route answers otherwise (share of 200 16 % → 90 %)');
    // 1.5 points, as between six clean runs here: nothing.
    const quiet = compareRuns(
      side('base', [file('s', { update: { ms, errors: 336, status: 409 } }, {}, [409])]),
      side('candidate', [file('s', { update: { ms, errors: 330, status: 409 } }, {}, [409])]),
    );
    assert.ok(!quiet.findings.some((f) => f.metric === 'status_mix'));
  });

  it('takes rules per metric from the suite, and leaves out what it is told to', () => {
    const ms = latencies('n', 400, 10);
    const b = side('base', [file('s', { r: { ms, queries: 3 } })]);
    const c = side('candidate', [file('s', { r: { ms, queries: 4 } })]);
    assert.equal(failing(compareRuns(b, c)).length, 1);
    assert.equal(failing(compareRuns(b, c, { ...DEFAULT_RULES, metrics: { db_queries_per_req: { failRatio: 2 } } })).length, 0);
    assert.equal(compareRuns(b, c, { ...DEFAULT_RULES, ignore: ['s/r/db_queries_per_req'] }).findings.length, 0);
  });

  it('names what only one side ran', () => {
    const c = compareRuns(side('base', [base('a'), file('gone', { r: { ms: [1, 2] } })]), side('candidate', [base('b')]));
    assert.deepEqual(c.unmatched, ['gone (only in the base)']);
  });
});

describe('scale probes: the same requests at two data sizes, no rule written', () => {
  const probe = (grows?: ScaleProbe['grows']): ScaleProbe => ({
    dimension: 'items in the project',
    small: { variant: 'small', size: 50 },
    large: { variant: 'large', size: 50_000 },
    ...(grows && { grows }),
  });

  it('finds nothing where the larger size costs what the smaller does', () => {
    const f = file('s', { small: { ms: latencies('probe/flat/small', 300, 4) }, large: { ms: latencies('probe/flat/large', 300, 4) } });
    const r = probeScale('s', f.raw, probe());
    assert.equal(r.factor, 1000);
    assert.ok(r.compared >= 5, `${r.compared} metrics compared`);
    assert.deepEqual(r.findings, []);
  });

  it('fails on latency that grows with the data, in one interleaved run, and says how fast it grows', () => {
    const f = file('s', { small: { ms: latencies('probe/grow/small', 300, 4) }, large: { ms: latencies('probe/grow/large', 300, 40) } });
    const r = probeScale('s', f.raw, probe());
    const latency = r.findings.find((x) => x.metric === 'latency_ms')!;
    assert.equal(latency.severity, 'fail');
    assert.equal(latency.route, 'small → large');
    // 10× the cost for 1,000× the data: size^(1/3).
    assert.ok(Math.abs(latency.exponent! - 1 / 3) < 0.05, `exponent ${latency.exponent}`);
    assert.match(formatProbeFinding(r, latency), /grows as size\^0\.3\d with items in the project \(50 → 50,000\)/);
  });

  it('fails on queries per request that grow with the data (an N+1 over the larger side)', () => {
    const f = file('s', { small: { ms: latencies('probe/q/small', 200, 4), queries: 3 }, large: { ms: latencies('probe/q/large', 200, 4), queries: 43 } });
    const [q] = probeScale('s', f.raw, probe()).findings.filter((x) => x.metric === 'db_queries_per_req');
    assert.equal(q?.severity, 'fail');
  });

  it('reports growth the scenario expects, with its reason, and never fails on it', () => {
    const f = file('s', { small: { ms: latencies('probe/exp/small', 300, 4), bytes: 4000 }, large: { ms: latencies('probe/exp/large', 300, 4), bytes: 13_000 } });
    const r = probeScale('s', f.raw, probe({ bytes_per_req: 'a bigger account fills the page' }));
    assert.deepEqual(r.findings, []);
    assert.equal(r.expected.length, 1);
    assert.equal(r.expected[0]!.severity, 'warn');
    assert.match(formatProbeFinding(r, r.expected[0]!), /expected: a bigger account fills the page/);
  });

  it('fails on expected growth past its bound: steeper than its exponent, or above its ceiling', () => {
    // 10× the latency for 1,000× the data (size^0.33).
    const f = file('s', { small: { ms: latencies('probe/bound/small', 300, 4) }, large: { ms: latencies('probe/bound/large', 300, 40) } });
    const why = 'a bigger account aggregates more rows';
    const within = probeScale('s', f.raw, probe({ latency_ms: { why, maxExponent: 0.5 } }));
    assert.ok(!within.findings.some((x) => x.metric === 'latency_ms'), 'within size^0.5: expected');
    assert.ok(within.expected.some((x) => x.metric === 'latency_ms'));

    const steep = probeScale('s', f.raw, probe({ latency_ms: { why, maxExponent: 0.2 } }));
    const s1 = steep.findings.find((x) => x.metric === 'latency_ms')!;
    assert.equal(s1.severity, 'fail');
    assert.match(formatProbeFinding(steep, s1), /beyond what is expected \(a bigger account aggregates more rows\): grows as size\^0\.3\d, steeper than the size\^0\.20 expected/);

    const capped = probeScale('s', f.raw, probe({ latency_ms: { why, ceiling: 20 } }));
    const c1 = capped.findings.find((x) => x.metric === 'latency_ms')!;
    assert.equal(c1.severity, 'fail');
    assert.match(formatProbeFinding(capped, c1), /reaches [\d.]+ ms, above the ceiling of 20 ms expected/);

    // A reason alone allows up to linear growth: 1,000× the latency for 1,000× the data is within it, 10,000× is not.
    const linear = file('s', { small: { ms: latencies('probe/lin/small', 300, 1) }, large: { ms: latencies('probe/lin/large', 300, 800) } });
    assert.ok(!probeScale('s', linear.raw, probe({ latency_ms: why })).findings.some((x) => x.metric === 'latency_ms'));
    const superLinear = file('s', { small: { ms: latencies('probe/sup/small', 300, 0.1) }, large: { ms: latencies('probe/sup/large', 300, 900) } });
    assert.equal(probeScale('s', superLinear.raw, probe({ latency_ms: why })).findings.find((x) => x.metric === 'latency_ms')?.severity, 'fail');
  });

  it('refuses a growth bound it cannot read', () => {
    const f = file('s', { small: { ms: [1, 2] }, large: { ms: [1, 2] } });
    assert.throws(() => probeScale('s', f.raw, probe({ latency_ms: { why: 'x', maxExponent: -1 } })), /grows\.latency_ms\.maxExponent must be a number >= 0/);
    assert.throws(() => probeScale('s', f.raw, probe({ latency_ms: { why: 'x', ceiling: 0 } })), /grows\.latency_ms\.ceiling must be a positive number/);
    assert.throws(() => probeScale('s', f.raw, probe({ latency_ms: { why: ' ' } })), /grows\.latency_ms needs a reason/);
  });

  it('never fails on bytes that grow because a page fills, and says a latency finding was not like for like', () => {
    const f = file('s', { small: { ms: latencies('probe/fill/small', 300, 4), bytes: 3_562 }, large: { ms: latencies('probe/fill/large', 300, 40), bytes: 17_660 } });
    const r = probeScale('s', f.raw, probe());
    assert.ok(!r.findings.some((x) => x.metric === 'bytes_per_req'), 'bytes are not a finding');
    assert.match(
      formatProbeFinding(
        r,
        r.expected.find((x) => x.metric === 'bytes_per_req')!,
      ),
      /expected: a page holds more, or longer, rows at the larger size/,
    );
    const latency = r.findings.find((x) => x.metric === 'latency_ms')!;
    assert.match(formatProbeFinding(r, latency), /not like for like: the sizes also differ in bytes per request 3,562 → 17,660 B/);
    // Where the probe says the two answer alike, bytes that grow are a finding again.
    const alike = probeScale('s', f.raw, { ...probe(), equalPayloads: true });
    assert.equal(alike.findings.find((x) => x.metric === 'bytes_per_req')?.severity, 'fail');
  });

  it('refuses a probe it cannot read, naming what is wrong and what is accepted', () => {
    const f = file('s', { small: { ms: [1, 2] }, large: { ms: [1, 2] } });
    assert.throws(() => probeScale('s', f.raw, { ...probe(), large: { variant: 'huge', size: 10 } }), /large\.variant 'huge' is not a variant of this run; its variants are small, large/);
    assert.throws(() => probeScale('s', f.raw, { ...probe(), large: { variant: 'large', size: 50 } }), /large\.size \(50\) must be above small\.size \(50\)/);
    assert.throws(() => probeScale('s', f.raw, { ...probe(), small: { variant: 'small', size: 0 } }), /small\.size must be a positive number of items in the project; got 0/);
    assert.throws(() => probeScale('s', f.raw, { ...probe(), dimension: ' ' }), /needs a dimension/);
  });

  it('growthExponent: 0 flat, 1 linear, null without a positive base', () => {
    assert.equal(growthExponent(5, 5, 10), 0);
    assert.equal(growthExponent(5, 50, 10), 1);
    assert.equal(growthExponent(0, 50, 10), null);
  });
});
