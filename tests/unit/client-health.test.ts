import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CLIENT_SATURATED_MS, watchClient, worseClient } from 'pressure-harness/load';
import { buildSummary } from 'pressure-harness/report';
import { scenarioFile } from 'pressure-harness/report';
import { oneAttempt } from '../support/results.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the load generator watching itself', () => {
  it('flags a client whose event loop was blocked while measuring, with how long', async () => {
    const watch = watchClient();
    await tick(30);
    const until = Date.now() + 4 * CLIENT_SATURATED_MS; // the client busy elsewhere: nothing it sends or reads runs
    while (Date.now() < until);
    await tick(30);
    const c = watch.stop();
    assert.equal(c.saturated, true);
    assert.ok(c.loopDelayMaxMs >= 3 * CLIENT_SATURATED_MS, `max lag ${c.loopDelayMaxMs} ms`);
  });

  it('keeps the worse of two attempts or shards', () => {
    const calm = { loopDelayP99Ms: 2, loopDelayMaxMs: 8, saturated: false };
    const busy = { loopDelayP99Ms: 120, loopDelayMaxMs: 300, saturated: true };
    assert.deepEqual(worseClient(calm, busy), busy);
    assert.deepEqual(worseClient(undefined, calm), calm);
  });

  it('says so in summary.md and results.json, naming the scenario and what to change', () => {
    const raw = { routes: {}, expected: [], singles: {}, wallMs: 1000 };
    const file = (id: string, saturated: boolean) =>
      scenarioFile({
        id,
        ...oneAttempt('r-client'),
        raw,
        outcomes: [],
        broken: [],
        client: { loopDelayP99Ms: saturated ? 140 : 3, loopDelayMaxMs: saturated ? 400 : 9, saturated },
      });
    const s = buildSummary([file('busy.one', true), file('calm.one', false)], [], { runId: 'r-client', release: null, commit: null, baseline: null, shards: 1, source: 'test' });
    assert.match(s.markdown, /### The load generator\n\n- ⚠️ \*\*busy\.one\*\*: the load generator was saturated: its event loop lagged 140 ms at p99 .*Lower the rate or the connections/);
    assert.doesNotMatch(s.markdown, /calm\.one\*\*: the load generator/);
    const scenarios = s.json.scenarios as { id: string; client: { saturated: boolean } | null }[];
    assert.equal(scenarios.find((x) => x.id === 'busy.one')!.client!.saturated, true);
  });
});
