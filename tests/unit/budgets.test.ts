import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import path from 'node:path';
import { defineBudgets, evaluate, formatOutcome, type Outcome } from 'pressure-harness/budgets';
import { loadBudgets } from 'pressure-harness/budgets';
import { createHistogram, encode, merge, recordMs, summarize } from 'pressure-harness/load';

describe('defineBudgets', () => {
  it('reports every bad entry at once, saying what is accepted', () => {
    assert.throws(
      () =>
        defineBudgets({
          'dashboard.hydrate': { latency_ms: ['p95 < 120', 'p(0) < 1'], db_queries: ['max <= 4'] } as never,
          Dashboard: { error_rate: [] },
        }),
      (e: Error) => {
        assert.match(e.message, /^budgets: 5 invalid budget entries/);
        assert.match(e.message, /"p95 < 120" is not a threshold; accepted: '<stat> <op> <number>'/);
        assert.match(e.message, /"p\(0\) < 1": p\(N\) needs 0 < N <= 100/);
        assert.match(e.message, /dashboard\.hydrate\.db_queries: unknown metric; registered: bytes_per_req, conflict_rate, db_ms, db_queries_per_req, error_rate, /);
        assert.match(e.message, /Dashboard: a scenario id must be dotted lowercase/);
        assert.match(e.message, /Dashboard\.error_rate: must be a non-empty list/);
        return true;
      },
    );
  });

  it('freezes what it returns', () => {
    const b = defineBudgets({ 'a.b': { error_rate: ['rate < 0.01'] } });
    assert.ok(Object.isFrozen(b) && Object.isFrozen(b['a.b']));
  });

  it('fails on a scenario id that has no budget, naming the ones that exist', async () => {
    const { budgetFor } = await loadBudgets('budgets');
    assert.throws(() => budgetFor('dashboard.hydrat'), /no budget for scenario "dashboard.hydrat"; defined: .*dashboard.hydrate, /);
  });
});

describe('evaluate', () => {
  // An exact stand-in for a histogram: the p-th percentile of 1..100 ms is p ms.
  const measured = { '*': { latency_ms: { percentile: (p: number) => p, unit: 'ms' }, db_queries_per_req: { max: 5 } } };

  it('gives one line per threshold, failing strict ones and warning on the rest', () => {
    const out = evaluate('x.y', { latency_ms: ['p(95) < 120', { expr: 'p(99) < 50', strict: false }], db_queries_per_req: ['max <= 4'] }, measured);
    assert.deepEqual(out.map(formatOutcome), ["ok: x.y latency_ms 'p(95) < 120' p(95)=95ms", "warn: x.y latency_ms 'p(99) < 50' p(99)=99ms", "fail: x.y db_queries_per_req 'max <= 4' max=5"]);
    assert.deepEqual(
      out.map((o) => [o.verdict, o.strict]),
      [
        ['ok', true],
        ['warn', false],
        ['fail', true],
      ],
    );
  });

  it('fails a threshold whose metric was not measured', () => {
    const [o] = evaluate('x.y', { error_rate: ['rate < 0.01'] }, measured);
    assert.deepEqual([o!.verdict, formatOutcome(o!)], ['fail', "fail: x.y error_rate 'rate < 0.01' was not measured"]);
  });
});

describe('histograms', () => {
  it('merge exactly: the percentiles of the parts combined equal those of the whole', () => {
    const whole = createHistogram();
    const parts = [createHistogram(), createHistogram(), createHistogram()];
    for (let i = 0; i < 30_000; i++) {
      const v = ((i * 7919) % 1000) + (i % 97 === 0 ? 5000 : 0); // a slow tail in one value of 97
      recordMs(whole, v / 10);
      recordMs(parts[i % 3]!, v / 10);
    }
    assert.deepEqual(summarize(merge(parts.map(encode))), summarize(whole));
  });
});

describe('variants, scaling and baseline rules', () => {
  const ms = (v: number) => ({ percentile: () => v, max: v, unit: 'ms' });
  const measured = {
    '*': { latency_ms: ms(10), db_queries_per_req: { max: 4 } },
    page_1: { latency_ms: ms(2) },
    page_500: { latency_ms: ms(30) },
    whale: { db_queries_per_req: { max: 4 } },
    ordinary: { db_queries_per_req: { max: 4 } },
  };

  it('judges a variant by its own values, and names the variants when one is missing', () => {
    const out = evaluate('x.y', { 'latency_ms@page_500': ['p(95) < 20'], 'latency_ms@page_9': ['p(95) < 20'] }, measured);
    assert.deepEqual(out.map(formatOutcome), [
      "fail: x.y latency_ms@page_500 'p(95) < 20' p(95)=30ms",
      "fail: x.y latency_ms@page_9 'p(95) < 20' was not measured; measured variants: *, page_1, page_500, whale, ordinary",
    ]);
  });

  it('bounds growth between two variants, with a floor against sub-millisecond ratios', () => {
    const out = evaluate(
      'x.y',
      { scaling: ['latency_ms p(95) page_500 / page_1 <= 2 floor 5', 'db_queries_per_req max whale / ordinary <= 1', 'latency_ms p(95) page_1 / page_1 <= 2 floor 5'] },
      measured,
    );
    assert.deepEqual(out.map(formatOutcome), [
      "fail: x.y scaling 'latency_ms p(95) page_500 / page_1 <= 2 floor 5' ratio=6 (page_500 30ms, page_1 2ms)",
      "ok: x.y scaling 'db_queries_per_req max whale / ordinary <= 1' ratio=1 (whale 4, ordinary 4)",
      "ok: x.y scaling 'latency_ms p(95) page_1 / page_1 <= 2 floor 5' ratio=1 (page_1 2ms, page_1 2ms)",
    ]);
    assert.deepEqual(
      out.map((o) => o.noisy),
      [true, false, true],
    );
  });

  it('compares with the baseline within its percentage or its absolute slack, whichever is larger', () => {
    const budget = { baseline: ['latency_ms p(95) <= +20%', 'latency_ms@page_1 p(95) <= +10% or +3', 'latency_ms@page_500 p(95) <= +10%'] };
    const base = { tag: 'v1', values: { latency_ms: { 'p(95)': 8 }, 'latency_ms@page_1': { 'p(95)': 1 } } };
    assert.deepEqual(evaluate('x.y', budget, measured, base).map(formatOutcome), [
      "fail: x.y baseline 'latency_ms p(95) <= +20%' p(95)=10ms vs 8ms in v1 (+25.0%), limit 9.6ms",
      "ok: x.y baseline 'latency_ms@page_1 p(95) <= +10% or +3' p(95)=2ms vs 1ms in v1 (+100.0%), limit 4ms",
      "warn: x.y baseline 'latency_ms@page_500 p(95) <= +10%' baseline v1 has no latency_ms@page_500 p(95) (new scenario or variant?)",
    ]);
    assert.deepEqual(
      evaluate('x.y', budget, measured).map((o: Outcome) => formatOutcome(o).split(' no ')[0]),
      ["skip: x.y baseline 'latency_ms p(95) <= +20%'", "skip: x.y baseline 'latency_ms@page_1 p(95) <= +10% or +3'", "skip: x.y baseline 'latency_ms@page_500 p(95) <= +10%'"],
    );
  });

  it('fails a baseline rule whose variant no run measures (a typo), instead of warning forever', () => {
    const [o] = evaluate('x.y', { baseline: ['latency_ms@page_l p(95) <= +10%'] }, measured, { tag: 'v1', values: {} });
    assert.equal(o!.verdict, 'fail');
    assert.match(formatOutcome(o!), /names variant "page_l", which this scenario does not measure; measured variants: \*, page_1, page_500/);
  });

  it('rejects malformed scaling and baseline rules, saying what is accepted', () => {
    assert.throws(
      () => defineBudgets({ 'a.b': { scaling: ['latency_ms p(95) page_500 <= 2'], baseline: ['latency_ms p(95) < 20%', 'latncy p(95) <= +5%'], 'latency_ms@': ['max < 1'] } }),
      (e: Error) => {
        assert.match(e.message, /4 invalid budget entries/);
        assert.match(e.message, /a\.b\.scaling: "latency_ms p\(95\) page_500 <= 2" is not a scaling rule; accepted: '<metric> <stat> <variant> \/ <variant>/);
        assert.match(e.message, /a\.b\.baseline: "latency_ms p\(95\) < 20%" is not a baseline rule; accepted: '<metric>\[@<variant>\] <stat> <= \+<pct>%/);
        assert.match(e.message, /a\.b\.baseline: "latncy p\(95\) <= \+5%": unknown metric latncy/);
        assert.match(e.message, /a\.b\.latency_ms@: unknown metric/);
        return true;
      },
    );
  });

  it('every budget of the suite parses, and every scenario id has a perf test of that title', async () => {
    const { all: ALL_BUDGETS } = await loadBudgets(path.resolve('budgets'));
    const { readdirSync, readFileSync } = await import('node:fs');
    const titles = readdirSync('tests/perf')
      .filter((f) => f.endsWith('.spec.ts'))
      .map((f) => /const ID = '([^']+)'/.exec(readFileSync(`tests/perf/${f}`, 'utf8'))?.[1]);
    assert.deepEqual(Object.keys(ALL_BUDGETS).sort(), titles.sort());
  });
});
