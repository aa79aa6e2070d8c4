/**
 * Background work on a real PostgreSQL job queue (pg-boss), in the app's own database and pool:
 * creating an item enqueues a notification and a search-index update, and the app's workers
 * complete them. Jobs retry (the provider fails now and then), expire and are archived as in
 * production; only the provider is the test profile's (it records, never sends).
 *
 * Concurrency per queue is APP_WORKER_CONCURRENCY: pg-boss workers, each fetching a batch and
 * working it in parallel (workers × batch = concurrency). APP_FAULTS=slow_worker runs a tenth.
 *
 * /metrics: queue_depth{queue} (jobs waiting: created or retry), jobs_completed_total,
 * jobs_failed_attempts_total, job_completion_seconds (enqueue to done).
 */
import fp from 'fastify-plugin';
import PgBoss from 'pg-boss';
import client from 'prom-client';
import type { Faults } from '../../faults.js';
import { type NotificationProvider, recordingProvider } from '../../jobs/provider.js';
import { indexItem, type ItemJob, recordNotification } from '../../sql/jobs.js';

export const QUEUES = ['notify', 'search-index'] as const;
type Queue = (typeof QUEUES)[number];

export type JobsOptions = { concurrency: number; pollMs: number; notifyLatencyMs: number; notifyFailureRate: number };

export type Jobs = {
  /** Enqueues the item's follow-up work (one round trip); a no-op where jobs are off. */
  itemCreated(job: ItemJob): Promise<void>;
  depth(): Promise<Record<Queue, number>>;
  readonly enabled: boolean;
};

declare module 'fastify' {
  interface FastifyInstance {
    jobs: Jobs;
  }
}

/** workers × batch ≥ concurrency, with batches of at most 10. */
export function workerPlan(concurrency: number): { workers: number; batchSize: number } {
  if (concurrency <= 0) return { workers: 0, batchSize: 0 };
  const workers = Math.ceil(concurrency / 10);
  return { workers, batchSize: Math.ceil(concurrency / workers) };
}

/** The rejection of pg-boss's own, unawaited completion or failure of a job (see onUnhandled below). */
export const unsettledJob = (reason: unknown) => reason instanceof Error && /at async Manager\.(complete|fail) \(.*pg-boss[\\/]src[\\/]manager\.js/.test(reason.stack ?? '');

/** A run's partitions are gone (it was cleaned up): its jobs have nothing left to do. */
const runGone = (e: unknown) => (e as { code?: string }).code === '23514' && /no partition/.test((e as Error).message);

export default fp<{ jobs?: JobsOptions; faults: Faults; provider?: NotificationProvider }>(
  async (fastify, opts) => {
    if (!opts.jobs) {
      const off: Jobs = { enabled: false, itemCreated: async () => {}, depth: async () => ({ notify: 0, 'search-index': 0 }) };
      fastify.decorate('jobs', off);
      return;
    }
    const o = opts.jobs;
    const pool = fastify.db;
    const boss = new PgBoss({
      db: { executeSql: (text, values) => pool.query(text, values) },
      schedule: false,
      // Completed jobs leave the hot table soon and the archive within the hour: a test database
      // holds little history.
      archiveCompletedAfterSeconds: 60,
      deleteAfterSeconds: 3600,
      maintenanceIntervalSeconds: 60,
    });
    boss.on('error', (e: Error) => fastify.log.error({ err: e }, 'job queue error'));
    // pg-boss 10 does not await the completion (or failure) of a job its worker just ran
    // (manager.js, onFetch: `this.complete(…)` with no await nor catch): if the database dies
    // at that moment, the rejection is unhandled and Node ends the whole app. Found by killing
    // PostgreSQL under write load (tests/harness/database-restart.spec.ts). pg-boss 11+ awaits
    // it, but needs Node 22. Until then that one rejection is logged: the job stays active and
    // pg-boss retries it after expireInSeconds (at least once, as before). Any other unhandled
    // rejection is thrown again, ending the process as Node would.
    const onUnhandled = (reason: unknown) => {
      if (!unsettledJob(reason)) throw reason;
      fastify.log.warn({ err: reason }, 'a job ran but its completion was not recorded (the database went away); pg-boss retries it after it expires');
    };
    process.on('unhandledRejection', onUnhandled);
    fastify.addHook('onClose', async () => void process.off('unhandledRejection', onUnhandled));
    await boss.start();
    for (const name of QUEUES) await boss.createQueue(name, { name, retryLimit: 5, retryDelay: 1, retryBackoff: false, expireInSeconds: 60 });

    const completed = new client.Counter({ name: 'jobs_completed_total', help: 'Jobs completed, by queue', labelNames: ['queue'], registers: [fastify.metrics] });
    const failed = new client.Counter({ name: 'jobs_failed_attempts_total', help: 'Job attempts that failed (and will retry, up to the limit)', labelNames: ['queue'], registers: [fastify.metrics] });
    const completion = new client.Histogram({
      name: 'job_completion_seconds',
      help: 'From the enqueueing write to the job done, by queue',
      labelNames: ['queue'],
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 60, 120],
      registers: [fastify.metrics],
    });
    const depth = async () => {
      const sizes = await Promise.all(QUEUES.map((q) => boss.getQueueSize(q)));
      return Object.fromEntries(QUEUES.map((q, k) => [q, sizes[k]!])) as Record<Queue, number>;
    };
    new client.Gauge({
      name: 'queue_depth',
      help: 'Jobs waiting to be worked (created or waiting to retry), by queue',
      labelNames: ['queue'],
      registers: [fastify.metrics],
      async collect() {
        const d = await depth().catch(() => null);
        if (d) for (const q of QUEUES) this.set({ queue: q }, d[q]);
      },
    });

    const provider = opts.provider ?? recordingProvider({ latencyMs: o.notifyLatencyMs, failureRate: o.notifyFailureRate });
    const handlers: Record<Queue, (job: PgBoss.JobWithMetadata<ItemJob>) => Promise<void>> = {
      notify: async (job) => {
        await provider.send({ channel: 'email', to: `account-${job.data.accountId}`, subject: 'New item', itemId: job.data.itemId });
        await recordNotification(pool, job.data, job.retryCount + 1);
      },
      'search-index': async (job) => indexItem(pool, job.data),
    };

    const concurrency = opts.faults.has('slow_worker') ? Math.max(1, Math.floor(o.concurrency / 10)) : o.concurrency;
    const plan = workerPlan(concurrency);
    for (const queue of QUEUES) {
      for (let w = 0; w < plan.workers; w++) {
        await boss.work<ItemJob>(queue, { batchSize: plan.batchSize, pollingIntervalSeconds: o.pollMs / 1000, includeMetadata: true }, async (jobs) => {
          // Each job succeeds or fails alone: a failed one is failed (and retried) here, and
          // pg-boss completes the rest when this returns.
          await Promise.all(
            jobs.map(async (job) => {
              try {
                await handlers[queue](job);
              } catch (e) {
                if (runGone(e)) return;
                failed.inc({ queue });
                await boss.fail(queue, job.id, { message: (e as Error).message }).catch(() => {});
                return;
              }
              completed.inc({ queue });
              completion.observe({ queue }, Math.max(0, Date.now() - Date.parse(job.data.enqueuedAt)) / 1000);
            }),
          );
        });
      }
    }
    fastify.log.info({ concurrency, ...plan }, 'job workers started');

    fastify.decorate('jobs', {
      enabled: true,
      depth,
      async itemCreated(job) {
        if (opts.faults.has('inline_notify')) {
          // APP_FAULTS=inline_notify: the notification sent in the request, "so that the caller
          // knows it went out": its latency is the request's, and its transient failures too.
          await handlers.notify({ data: job, retryCount: 0 } as PgBoss.JobWithMetadata<ItemJob>);
          await boss.insert([{ name: 'search-index', data: job, retryLimit: 5, retryDelay: 1, expireInSeconds: 60 }]);
          return;
        }
        await boss.insert(QUEUES.map((name) => ({ name, data: job, retryLimit: 5, retryDelay: 1, expireInSeconds: 60 })));
      },
    } satisfies Jobs);
    fastify.addHook('onClose', async () => {
      await boss.stop({ graceful: true, wait: true, timeout: 5000, close: false });
    });
  },
  { name: 'jobs', dependencies: ['db', 'metrics'] },
);
