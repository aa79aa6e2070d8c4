import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { SettingsError } from 'pressure-harness/contract';
import { settingsOrReport } from 'pressure-harness/config';
import { classify, logSummary, worst } from 'pressure-harness/report';

describe('how a perf run ended', () => {
  it('classes a failed test by its error and its scenario, and the run by the worst', () => {
    assert.equal(classify('a.b', 'apiRequestContext.fetch: connect ECONNREFUSED 127.0.0.1:3210', false).outcome, 'backend unreachable');
    assert.equal(classify('a.b', 'load engine: the backend stopped answering: no response for 10 s', false).outcome, 'backend unreachable');
    assert.equal(classify('a.b', 'a.b: budget broken (1)', true).outcome, 'budget broken');
    assert.equal(classify('a.b', 'TypeError: x is undefined', false).outcome, 'error in a test');
    assert.equal(worst([classify('a.b', 'x', true), classify('c.d', 'ECONNRESET', false)]), 'backend unreachable');
    assert.equal(worst([]), 'passed');
  });

  it('writes summary.md and results.json saying "bad settings" when a perf run is refused before it starts', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bad-settings-'));
    try {
      const refuse = () => {
        throw new SettingsError('x', ['SEED_PROFILE must be one of "smoke" | "small", got "medum"']);
      };
      assert.throws(() => settingsOrReport(refuse, { argv: ['test', '--project=perf'], env: { PERF_RESULTS_DIR: dir } }), SettingsError);
      const json = JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8')) as { verdict: string; outcome: string; problems: { message: string }[] };
      assert.deepEqual([json.verdict, json.outcome, json.problems[0]!.message], ['failed', 'bad settings', 'SEED_PROFILE must be one of "smoke" | "small", got "medum"']);
      assert.match(readFileSync(path.join(dir, 'summary.md'), 'utf8'), /failed ❌ \(bad settings\)/);
      // A run that did not ask for the perf project writes nothing.
      const other = path.join(dir, 'other');
      assert.throws(() => settingsOrReport(refuse, { argv: ['test', '--project=correctness'], env: { PERF_RESULTS_DIR: other } }), SettingsError);
      assert.throws(() => readFileSync(path.join(other, 'results.json')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a slow request's log line in the summary", () => {
  it('reads the usual JSON log shapes, and shows other text as it is', () => {
    assert.equal(logSummary(['{"msg":"request completed","res":{"statusCode":200},"responseTime":12.34,"reqId":"r-1"}']), 'request completed · 200 · 12.3 ms in the app · reqId r-1');
    assert.equal(logSummary(['{"message":"GET /articles","status":500,"duration_ms":80,"request_id":"abc"}']), 'GET /articles · 500 · 80.0 ms in the app · reqId abc');
    assert.equal(logSummary(['127.0.0.1 - GET /articles 200 12ms']), '127.0.0.1 - GET /articles 200 12ms');
    assert.equal(logSummary(undefined), '–');
  });
});
