/**
 * dashboard.hydrate: the profile's tenants (small ones and the whales alike) open their
 * dashboards at once. The scenario id is the test title, the step name, the histogram name and
 * the budget key.
 */
import { budgetFor } from '../../budgets/index.js';
import { evaluate } from '../../budgets/define.js';
import { expect, test } from '../../fixtures';
import { runClosed } from '../../load/closed.js';
import { metricValues, scenarioResult } from '../../load/report.js';

const ID = 'dashboard.hydrate';

test(ID, async ({ dataset, apiFor }, testInfo) => {
  testInfo.annotations.push({ type: 'dataset', description: `${dataset.name} (${dataset.source}, ${dataset.accounts.length} accounts)` });
  const apis = await Promise.all(dataset.accounts.map((a) => apiFor({ ...a, name: '', projectIds: [] })));
  for (const api of apis) await api.get('/v1/dashboard'); // warm connections and plan caches; not measured
  let next = 0;

  const metrics = await test.step(ID, () =>
    runClosed({
      concurrency: 8,
      requests: 400,
      maxDurationMs: 60_000,
      send: async () => {
        const res = await apis[next++ % apis.length]!.get('/v1/dashboard');
        const body = await res.body();
        const q = res.headers()['x-db-query-count'];
        return { status: res.status(), bytes: body.length, dbQueries: q === undefined ? null : Number(q), dbMs: null };
      },
    }),
  );

  const result = scenarioResult(ID, metrics);
  const outcomes = evaluate(ID, budgetFor(ID), metricValues(metrics));
  await testInfo.attach(`${ID}.json`, { body: JSON.stringify({ ...result, budget: outcomes.map((o) => o.line) }, null, 2), contentType: 'application/json' });
  console.log(outcomes.map((o) => o.line).join('\n'));

  expect(metrics.requests, 'the run must not stop early on its time bound').toBe(400);
  expect(outcomes.filter((o) => !o.ok && o.strict).map((o) => o.line)).toEqual([]);
});
