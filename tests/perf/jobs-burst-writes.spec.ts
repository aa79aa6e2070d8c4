/**
 * jobs.burst_writes: a burst of item creations, each enqueueing a notification and a search
 * index update on the app's job queue (pg-boss). The queue must absorb the burst and drain:
 * every job done within the SLA of its write, the queue empty again at the SLA's end. Queue
 * depth is sampled from /metrics throughout; time to completion comes from what the jobs wrote.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, test } from '../../fixtures';
import { runBurst } from 'pressure-harness/load';
import { timelineOf } from 'pressure-harness/load';
import { sampleSignals } from 'pressure-harness/load';

const ID = 'jobs.burst_writes';
const RATE = 60; // writes per second
const SECONDS = 5;
const SLA_MS = 10_000;

test(ID, async ({ perf, createAccount, seedClient }) => {
  await perf.scenario(ID, async (attempt) => {
    const account = await createAccount({ projects: 1, itemsPerProject: 0, commentDepth: 0, attachmentRate: 0, tagsPerItem: 0 });
    const headers = { authorization: `Bearer ${account.token}`, 'content-type': 'application/json' };
    const signals = sampleSignals(perf.baseUrl, { everyMs: 500, path: perf.metricsPath, names: ['queue_depth', 'jobs_completed_total', 'jobs_failed_attempts_total', 'db_pool_waiting_clients'] });
    let n = 0;
    const run = await test.step(`${ID} burst`, () =>
      runBurst({
        baseUrl: perf.baseUrl,
        rate: RATE,
        seconds: SECONDS,
        next: () => ({
          route: 'POST /v1/projects/:id/items',
          method: 'POST',
          path: `/v1/projects/${account.projectIds[0]}/items`,
          headers,
          body: JSON.stringify({ title: `burst ${attempt}.${n++}`, body: 'an item whose creation notifies and is indexed' }),
        }),
      }));
    const created = run.routes['POST /v1/projects/:id/items']?.statuses[201] ?? 0;
    const expected = created * 2;
    const deadline = performance.now() + SLA_MS;
    let jobs = await seedClient.accountJobs(account.id);
    await test.step(`${ID} drain (SLA ${SLA_MS / 1000} s)`, async () => {
      while (performance.now() < deadline && jobs.notifications.count + jobs.searchIndex.count < expected) {
        await sleep(250);
        jobs = await seedClient.accountJobs(account.id);
      }
    });
    expect(jobs.workers, 'the backend runs job workers').toBe(true);
    const samples = await signals.stop();
    const done = jobs.notifications.count + jobs.searchIndex.count;
    const depthNow = Object.values(jobs.queueDepth).reduce((a, b) => a + b, 0);
    const p95 = Math.max(jobs.notifications.p95Ms ?? 0, jobs.searchIndex.p95Ms ?? 0);
    const maxQueueDepth = Math.max(0, ...samples.map((s) => s.values.queue_depth ?? 0));
    return {
      // This scenario's own section of the run's summary: the queue's backlog.
      sections: [
        {
          title: 'Queue backlog',
          markdown:
            `${created} writes enqueued ${expected} jobs; ${done} done within the ${SLA_MS / 1000} s SLA; queue depth peaked at ${maxQueueDepth} and was ${depthNow} at the SLA's end; ` +
            `completion p95: notifications ${jobs.notifications.p95Ms ?? 'n/a'} ms (${jobs.notifications.retried} retried), search index ${jobs.searchIndex.p95Ms ?? 'n/a'} ms.`,
        },
      ],
      routes: run.routes,
      wallMs: run.wallMs,
      singles: { jobs_incomplete: expected - done, queue_depth_final: depthNow, ...(done > 0 && { job_completion_ms: p95 }) },
      timeline: timelineOf(run),
      details: {
        writes: created,
        jobsExpected: expected,
        jobsDone: done,
        completion: { notifications: jobs.notifications, searchIndex: jobs.searchIndex },
        queueDepth: samples.map((s) => ({ t: s.t, depth: s.values.queue_depth ?? 0, waitingClients: s.values.db_pool_waiting_clients ?? 0 })),
        maxQueueDepth,
        slaMs: SLA_MS,
      },
    };
  });
});
