import { expect, test } from '../../fixtures';

test.describe('run coordination (shards and workers of one run)', () => {
  test('should let the first claimant seed a dataset, make the others wait, then hand them what it published', async ({ seedClient, testService, run }, testInfo) => {
    const runId = `${run.runId}-coord-${testInfo.workerIndex}`;
    try {
      expect(await seedClient.claimDataset(runId, 'smoke-abc', 'host-a:1:w0')).toEqual({ role: 'seed' });
      expect(await seedClient.claimDataset(runId, 'smoke-abc', 'host-a:1:w0'), 'the seeder asking again is still the seeder').toEqual({ role: 'seed' });
      expect(await seedClient.claimDataset(runId, 'smoke-abc', 'host-b:2:w0')).toMatchObject({ role: 'wait', claimedBy: 'host-a:1:w0' });

      const stolen = await testService.put(`/internal/test/runs/${runId}/datasets/smoke-abc`, { data: { by: 'host-b:2:w0', manifest: [], rows: {} } });
      await expect(stolen).toBeApiError(409, 'CLAIM_LOST');

      const accounts = [{ id: '1', email: 'a@example.test', token: 't', tier: 'small', index: 0 }];
      await seedClient.publishDataset(runId, 'smoke-abc', 'host-a:1:w0', accounts, { accounts: 1 });
      expect(await seedClient.claimDataset(runId, 'smoke-abc', 'host-b:2:w0')).toEqual({ role: 'ready', manifest: accounts, rows: { accounts: 1 } });
    } finally {
      await seedClient.cleanup(runId);
    }
    expect(await seedClient.claimDataset(runId, 'smoke-abc', 'host-b:2:w0'), 'cleaning up the run forgets its claims').toEqual({ role: 'seed' });
    await seedClient.cleanup(runId);
  });

  test('should name the last shard to finish, whatever the order', async ({ seedClient, testService, run }, testInfo) => {
    const runId = `${run.runId}-shards-${testInfo.workerIndex}`;
    try {
      await seedClient.shardEvent(runId, 2, 3, 'start');
      await seedClient.shardEvent(runId, 1, 3, 'start');
      expect(await seedClient.shardEvent(runId, 2, 3, 'finish')).toEqual({ finished: 1, total: 3, last: false });
      await seedClient.shardEvent(runId, 3, 3, 'start');
      expect(await seedClient.shardEvent(runId, 3, 3, 'finish')).toEqual({ finished: 2, total: 3, last: false });
      expect(await seedClient.shardEvent(runId, 1, 3, 'finish')).toEqual({ finished: 3, total: 3, last: true });
      const bad = await testService.post(`/internal/test/runs/${runId}/shards`, { data: { shard: 4, total: 3, event: 'start' } });
      await expect(bad).toBeApiError(400, 'VALIDATION_FAILED');
      expect((await bad.json()).message).toContain('body.shard must be at most body.total (3), got 4');
    } finally {
      await seedClient.cleanup(runId);
    }
  });
});
