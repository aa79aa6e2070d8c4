/**
 * dashboard.hydrate: the profile's tenants (small ones and the whales alike) open their
 * dashboards at once. The scenario id is the test title, the step name, the histogram name and
 * the budget key.
 */
import { budgetFor } from '../../budgets/index.js';
import { evaluate } from '../../budgets/define.js';
import { expect, test } from '../../fixtures';
import { runLoad } from '../../load/engine.js';
import { metricValues, scenarioMetrics, scenarioResult } from '../../load/report.js';

const ID = 'dashboard.hydrate';

test(ID, async ({ dataset }, testInfo) => {
  testInfo.annotations.push({ type: 'dataset', description: `${dataset.name} (${dataset.source}, ${dataset.accounts.length} accounts)` });
  const auth = dataset.accounts.map((a) => ({ authorization: `Bearer ${a.token}` }));
  let next = 0;
  const request = () => ({ route: 'GET /v1/dashboard', path: '/v1/dashboard', headers: auth[next++ % auth.length]! });

  const shape = { model: 'closed' as const, concurrency: 8, durationMs: 60_000 };
  const guards = { maxRps: 2000, maxConcurrency: 8, maxRequests: 400, maxRuntimeMs: 90_000 };
  const baseUrl = testInfo.project.use.baseURL!;
  // Warm connections and plan caches: not measured.
  await runLoad({ baseUrl, connections: 8, shape, guards: { ...guards, maxRequests: auth.length * 2 }, next: request });

  const run = await test.step(ID, () => runLoad({ baseUrl, connections: 8, shape, guards, next: request }));
  const result = scenarioResult(ID, run);
  const outcomes = evaluate(ID, budgetFor(ID), metricValues(scenarioMetrics(run)));
  await testInfo.attach(`${ID}.json`, { body: JSON.stringify({ ...result, budget: outcomes.map((o) => o.line) }, null, 2), contentType: 'application/json' });
  console.log(outcomes.map((o) => o.line).join('\n'));

  expect(run.stoppedBy, 'the run ends at its request count, not at a time bound').toBe('guard: maxRequests 400');
  expect(outcomes.filter((o) => !o.ok && o.strict).map((o) => o.line)).toEqual([]);
});
