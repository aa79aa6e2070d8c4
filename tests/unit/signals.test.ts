import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseGauges, summarizeSignals } from 'pressure-harness/load';

describe("the backend's gauges over a scenario", () => {
  const text = (lagMin: string, rss: number) =>
    [
      '# TYPE nodejs_eventloop_lag_min_seconds gauge',
      `nodejs_eventloop_lag_min_seconds ${lagMin}`,
      '# TYPE process_resident_memory_bytes gauge',
      `process_resident_memory_bytes ${rss}`,
      '# TYPE http_requests_total counter',
      'http_requests_total 7',
    ].join('\n');

  it('reads gauges only, and summarizes each by its mean and highest sample', () => {
    const s = summarizeSignals([
      { at: 0, values: parseGauges(text('0.01', 100)) },
      { at: 200, values: parseGauges(text('0.03', 300)) },
    ]);
    assert.deepEqual(Object.keys(s).sort(), ['nodejs_eventloop_lag_min_seconds', 'process_resident_memory_bytes']);
    assert.deepEqual(s.process_resident_memory_bytes, { mean: 200, max: 300, samples: 2 });
  });

  it("leaves out a reading that means no data (an empty event-loop histogram's 2^63 ns), not a lag of 292 years", () => {
    const s = summarizeSignals([
      { at: 0, values: parseGauges(text('0.01', 100)) },
      { at: 200, values: parseGauges(text('9223372036.854776', 100)) },
    ]);
    assert.deepEqual(s.nodejs_eventloop_lag_min_seconds, { mean: 0.01, max: 0.01, samples: 1 });
  });
});
