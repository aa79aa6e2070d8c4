import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gaugesByLevel, parseGauges, risingWithLoad, summarizeSignals } from 'pressure-harness/load';

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

  it('reads gauges only, and summarizes each by its mean, highest and lowest sample', () => {
    const s = summarizeSignals([
      { t: 0, values: parseGauges(text('0.01', 100)) },
      { t: 200, values: parseGauges(text('0.03', 300)) },
    ]);
    assert.deepEqual(Object.keys(s).sort(), ['nodejs_eventloop_lag_min_seconds', 'process_resident_memory_bytes']);
    assert.deepEqual(s.process_resident_memory_bytes, { mean: 200, max: 300, min: 100, samples: 2 });
  });

  it("leaves out a reading that means no data (an empty event-loop histogram's 2^63 ns), not a lag of 292 years", () => {
    const s = summarizeSignals([
      { t: 0, values: parseGauges(text('0.01', 100)) },
      { t: 200, values: parseGauges(text('9223372036.854776', 100)) },
    ]);
    assert.deepEqual(s.nodejs_eventloop_lag_min_seconds, { mean: 0.01, max: 0.01, min: 0.01, samples: 1 });
  });

  it('says what rose with the load, level by level: the waiting clients, not the memory or a flat gauge', () => {
    // A ramp of 1 s steps at 4, 16 and 64 users; samples every 200 ms.
    const timeline = [4, 16, 64].map((level, k) => ({ t: k, level }));
    const at = (level: number) => ({ db_pool_waiting_clients: level > 10 ? level - 10 : 0, http_requests_in_flight: level, process_resident_memory_bytes: 1e8 * level, db_pool_total_connections: 10 });
    const samples = [4, 16, 64].flatMap((level, k) => [0, 200, 400, 600, 800].map((ms) => ({ t: k * 1000 + ms, values: at(level) })));
    const byLevel = gaugesByLevel(samples, timeline);
    assert.deepEqual(
      byLevel.map((l) => [l.level, l.values.db_pool_waiting_clients]),
      [
        [4, 0],
        [16, 6],
        [64, 54],
      ],
    );
    const rising = risingWithLoad(byLevel);
    assert.deepEqual(
      rising.map((r) => [r.gauge, r.from, r.to]),
      [
        ['db_pool_waiting_clients', 0, 54],
        ['http_requests_in_flight', 4, 64],
      ],
    );
    assert.deepEqual(risingWithLoad(byLevel.slice(0, 1)), []);
  });
});
