import { expect, test } from '../../fixtures';

test.describe('background jobs', () => {
  test('should notify and index every created item, once each, through the job queue', async ({ apiFor, createAccount, seedClient }) => {
    const owner = await createAccount({ projects: 1, itemsPerProject: 0, commentDepth: 0, attachmentRate: 0, tagsPerItem: 0 });
    const api = await apiFor(owner);
    const created = await Promise.all(Array.from({ length: 10 }, (_, k) => api.post(`/v1/projects/${owner.projectIds[0]}/items`, { data: { title: `queued ${k}`, body: 'searchable words' } })));
    for (const r of created) expect(r.status()).toBe(201);
    await expect
      .poll(
        async () => {
          const j = await seedClient.accountJobs(owner.id);
          return [j.items, j.notifications.count, j.searchIndex.count];
        },
        { timeout: 20_000, message: 'every item notified and indexed' },
      )
      .toEqual([10, 10, 10]);
    const jobs = await seedClient.accountJobs(owner.id);
    expect(jobs.workers).toBe(true);
    expect(jobs.notifications.p95Ms).not.toBeNull();
  });
});
