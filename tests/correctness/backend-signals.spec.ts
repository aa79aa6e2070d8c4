/**
 * Backend signals: the app's Prometheus metrics, sampled by the load engine while it runs.
 */
import { expect, test } from '../../fixtures';
import { runLoad } from 'pressure-harness/load';
import { parsePrometheus, sampleSignals } from 'pressure-harness/load';

test.describe('backend signals', () => {
  test('should expose request durations by route template and the pool at /metrics', async ({ api, apiFor }) => {
    await api.get('/v1/me');
    const res = await (await apiFor(null)).get('/metrics');
    test.skip(res.status() === 404, 'this backend has no /metrics (optional in the contract)');
    const text = await res.text();
    expect(text).toMatch(/http_request_duration_seconds_bucket\{[^}]*route="\/v1\/me"[^}]*\}/);
    expect(text).toMatch(/db_queries_per_request_bucket\{[^}]*route="\/v1\/me"/);
    expect(parsePrometheus(text, ['db_pool_total_connections']).db_pool_total_connections).toBeGreaterThan(0);
  });

  test('should keep the signals as time series while a run goes', async ({ account }, testInfo) => {
    const baseUrl = testInfo.project.use.baseURL!;
    const signals = sampleSignals(baseUrl, { everyMs: 400 });
    const run = await runLoad({
      baseUrl,
      connections: 4,
      shape: { model: 'closed', concurrency: 4, durationMs: 2500 },
      guards: { maxRps: 500, maxConcurrency: 4, maxRequests: 100_000, maxRuntimeMs: 10_000 },
      next: () => ({ route: 'GET /v1/me', path: '/v1/me', headers: { authorization: `Bearer ${account.token}` } }),
    });
    const series = await signals.stop();
    test.skip(series.length === 0, 'this backend has no /metrics (optional in the contract)');
    expect(run.routes['GET /v1/me']!.errors).toBe(0);
    // One sample at the start and one at the end at least, however busy the machine; counters never go back.
    expect(series.length).toBeGreaterThanOrEqual(2);
    const counts = series.map((s) => s.values.http_request_duration_seconds_count ?? 0);
    expect(counts.every((c, k) => k === 0 || c >= counts[k - 1]!)).toBe(true);
    // The load is visible from inside: every request of the run is counted after the first sample
    // (a response is counted just after it is sent, so the count may lag the client a moment;
    // other tests' requests only add).
    const countNow = async () => parsePrometheus(await (await fetch(`${baseUrl}/metrics`)).text(), ['http_request_duration_seconds_count']).http_request_duration_seconds_count ?? 0;
    await expect.poll(async () => (await countNow()) - counts[0]!, { timeout: 10_000 }).toBeGreaterThanOrEqual(run.requests);
    expect(series.every((s) => (s.values.process_resident_memory_bytes ?? 0) > 0)).toBe(true);
    expect(series.some((s) => (s.values.db_pool_total_connections ?? 0) > 0)).toBe(true);
  });
});
