import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defineBudgets, evaluate } from '../../budgets/define.js';
import { budgetFor } from '../../budgets/index.js';
import { createHistogram, encode, merge, recordMs, summarize } from '../../load/histogram.js';

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
        assert.match(e.message, /dashboard\.hydrate\.db_queries: unknown metric; accepted: latency_ms, db_queries_per_req, bytes_per_req, error_rate, /);
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

  it('fails on a scenario id that has no budget, naming the ones that exist', () => {
    assert.throws(() => budgetFor('dashboard.hydrat'), /no budget for scenario "dashboard.hydrat"; defined: dashboard.hydrate/);
  });
});

describe('evaluate', () => {
  // An exact stand-in for a histogram: the p-th percentile of 1..100 ms is p ms.
  const measured = { '*': { latency_ms: { percentile: (p: number) => p, unit: 'ms' }, db_queries_per_req: { max: 5 } } };

  it('gives one line per threshold, failing strict ones and warning on the rest', () => {
    const out = evaluate('x.y', { latency_ms: ['p(95) < 120', { expr: 'p(99) < 50', strict: false }], db_queries_per_req: ['max <= 4'] }, measured);
    assert.deepEqual(out.map((o) => o.line), [
      "ok: x.y latency_ms 'p(95) < 120' p(95)=95ms",
      "warn: x.y latency_ms 'p(99) < 50' p(99)=99ms",
      "fail: x.y db_queries_per_req 'max <= 4' max=5",
    ]);
    assert.deepEqual(out.map((o) => [o.ok, o.strict]), [[true, true], [false, false], [false, true]]);
  });

  it('fails a threshold whose metric was not measured', () => {
    const [o] = evaluate('x.y', { error_rate: ['rate < 0.01'] }, measured);
    assert.deepEqual([o!.ok, o!.line], [false, "fail: x.y error_rate 'rate < 0.01' was not measured"]);
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
