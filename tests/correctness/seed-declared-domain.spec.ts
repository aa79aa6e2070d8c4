import { seedEndpoints } from 'pressure-harness/seed';
import { planDomain } from 'pressure-harness/seed';
import { expect, test } from '../../fixtures';
import { appDomainOf, toSeedAccount } from '../../seed/domain.js';
import { PROFILES } from '../../seed/profiles.js';

test.describe('a declared domain through the seed endpoint', () => {
  test('should write exactly the declared plan, tagged with the run, and remove it all by run', async ({ seedClient, run }) => {
    const runId = `${run.runId}-decl`;
    const domain = appDomainOf({ ...PROFILES.smoke, accounts: 3, attachmentRate: 0.25 });
    const plan = planDomain(domain, run.seed);
    try {
      const r = await seedEndpoints({ domain, seed: run.seed, runId, send: (tree) => seedClient.seedAccount(toSeedAccount(tree, { runId, ttlSeconds: 600 })) });
      expect(r.results).toHaveLength(3);
      const { rows } = await seedClient.runRows(runId);
      expect({ accounts: rows.accounts, projects: rows.projects, items: rows.items, comments: rows.comments ?? 0, attachments: rows.attachments ?? 0 }).toEqual({
        accounts: plan.rows.account,
        projects: plan.rows.project,
        items: plan.rows.item ?? 0,
        comments: plan.rows.comment ?? 0,
        attachments: plan.rows.attachment ?? 0,
      });
    } finally {
      await seedClient.cleanup(runId);
    }
    expect((await seedClient.runRows(runId)).total).toBe(0);
  });
});
