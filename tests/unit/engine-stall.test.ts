/** The load engine at a constant rate against a server that stalls: the stall shows in p99 and max (its own file: ten seconds of timers, run beside the others). */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runLoad } from 'pressure-harness/load';
import { percentileMs } from 'pressure-harness/load';
import { type Probe, probe, probeServer, roomy } from '../support/probe-server.js';

describe('load engine: coordinated omission', () => {
  let server: Probe;
  before(async () => {
    server = await probeServer();
  });
  after(() => server.close());

  it('shows a 1 s stall in p99 and max at a constant rate, where the raw service time hides it', async () => {
    server.reset({ stallAt: 150, stallMs: 1000 }); // 3 s into a 10 s run at 50/s
    const r = await runLoad({
      baseUrl: server.url,
      connections: 2,
      shape: { model: 'open', rate: 50, durationMs: 10_000 },
      guards: { ...roomy, maxConcurrency: 2 },
      next: () => probe,
    });
    const m = r.routes['GET /probe']!;
    assert.equal(m.requests, 500);
    assert.equal(m.errors, 0);
    // ~50 requests were due during the stall: their latency counts from when they were due.
    assert.ok(percentileMs(m.latency, 99) >= 500, `corrected p99 ${percentileMs(m.latency, 99)} ms`);
    assert.ok(percentileMs(m.latency, 100) >= 900, `corrected max ${percentileMs(m.latency, 100)} ms`);
    // Only the two requests on the wire waited; the rest were sent late and served fast.
    // (Relative to the corrected view, not a speed: a busy machine slows both alike.)
    assert.ok(percentileMs(m.service, 99) < percentileMs(m.latency, 99) / 2, `raw p99 ${percentileMs(m.service, 99)} ms, corrected ${percentileMs(m.latency, 99)} ms`);
    assert.ok(percentileMs(m.service, 100) >= 900, `raw max ${percentileMs(m.service, 100)} ms`);
    assert.equal(m.evidence.db_queries_per_req?.kind === 'sample' && m.evidence.db_queries_per_req.max, 2);
  });
});
