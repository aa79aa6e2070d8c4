/**
 * dashboard.hydrate: many users open their dashboard at once, on an account big enough that an
 * N+1 or a missing bound would show. The scenario id is the test title, the step name, the
 * histogram name and the budget key.
 */
import { budgetFor } from '../../budgets/index.js';
import { evaluate } from '../../budgets/define.js';
import { expect, test } from '../../fixtures';
import { runClosed } from '../../load/closed.js';
import { metricValues, scenarioResult } from '../../load/report.js';

const ID = 'dashboard.hydrate';

test(ID, async ({ createAccount, apiFor }, testInfo) => {
  const owner = await test.step('seed a mid-sized account', () =>
    createAccount({ projects: 25, itemsPerProject: 20, commentDepth: 2, attachmentRate: 0.05, tagsPerItem: 2 }),
  );
  const api = await apiFor(owner);
  await api.get('/v1/dashboard'); // warm the connection and the plan cache; not measured

  const metrics = await test.step(ID, () =>
    runClosed({
      concurrency: 8,
      requests: 400,
      maxDurationMs: 60_000,
      send: async () => {
        const res = await api.get('/v1/dashboard');
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
