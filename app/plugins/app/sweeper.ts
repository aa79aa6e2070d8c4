/**
 * The sweeper: removes expired test data in the background, so a crashed run's rows go away even
 * if no later run ever calls the reaper. It must never starve real traffic, so every tick:
 *   - first looks for sessions waiting on locks, and backs off if there are any;
 *   - drops at most one expired run (its partitions) with a short lock_timeout, once;
 *   - deletes accounts that expired before their run, in chunks, up to a rows-per-second budget;
 * and backs off (doubling its interval, up to a ceiling) on a lock timeout, on lock waits, or
 * when a chunk took longer than the slow threshold. A quiet tick halves the interval back.
 */
import { performance } from 'node:perf_hooks';
import fp from 'fastify-plugin';
import type pg from 'pg';
import { asTheOnlyReaper, cleanupRun, deleteChunked, expiredAccounts, expiredRuns } from '../../sql/testdata.js';
import { isLockTimeout } from '../../sql/partitions.js';

export type SweeperOptions = { intervalMs: number; chunkRows: number; maxRowsPerSecond: number; slowMs: number; maxBackoffMs: number };

export type SweeperState = {
  enabled: boolean;
  intervalMs: number;
  ticks: number;
  runsDropped: number;
  rowsDeleted: number;
  backoffs: number;
  lastBackoff: { at: string; reason: string } | null;
  lastTickAt: string | null;
};

declare module 'fastify' {
  interface FastifyInstance {
    sweeper: Sweeper;
  }
}

export class Sweeper {
  readonly state: SweeperState;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly o: SweeperOptions,
    private readonly log: (msg: string, extra?: object) => void,
  ) {
    this.state = { enabled: o.intervalMs > 0, intervalMs: o.intervalMs, ticks: 0, runsDropped: 0, rowsDeleted: 0, backoffs: 0, lastBackoff: null, lastTickAt: null };
  }

  start(): void {
    if (this.state.enabled) this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick()
        .catch((e: Error) => this.backoff(`error: ${e.message}`))
        .finally(() => this.schedule());
    }, this.state.intervalMs);
    this.timer.unref();
  }

  private backoff(reason: string): void {
    this.state.backoffs += 1;
    this.state.lastBackoff = { at: new Date().toISOString(), reason };
    this.state.intervalMs = Math.min(this.o.maxBackoffMs, this.state.intervalMs * 2);
    this.log('sweeper backs off', { reason, intervalMs: this.state.intervalMs });
  }

  /** One pass, unless another reaper is at work (then this tick has nothing to do). */
  async tick(): Promise<void> {
    await asTheOnlyReaper(this.pool, () => this.sweep());
  }

  /** Returns early, backing off, at the first sign of pressure. */
  private async sweep(): Promise<void> {
    this.state.ticks += 1;
    this.state.lastTickAt = new Date().toISOString();
    const waiting = await this.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`);
    if (waiting.rows[0]!.n > 0) return this.backoff(`${waiting.rows[0]!.n} session(s) waiting on locks`);

    const [run] = await expiredRuns(this.pool);
    if (run) {
      const started = performance.now();
      try {
        await cleanupRun(this.pool, run, undefined, { lockTimeoutMs: Math.min(200, this.o.slowMs), attempts: 1 });
      } catch (e) {
        if (isLockTimeout(e)) return this.backoff(`lock timeout dropping run ${run}`);
        throw e;
      }
      this.state.runsDropped += 1;
      this.log('sweeper dropped an expired run', { runId: run, ms: Math.round(performance.now() - started) });
      if (performance.now() - started > this.o.slowMs) return this.backoff(`dropping run ${run} took ${Math.round(performance.now() - started)} ms`);
    }

    // Accounts that expired before their run: deleted account by account, in chunks, within
    // this tick's share of the rate budget.
    let budget = Math.max(this.o.chunkRows, Math.round((this.o.maxRowsPerSecond * this.state.intervalMs) / 1000));
    for (const { runId, accountId } of await expiredAccounts(this.pool, 100)) {
      while (budget > 0) {
        const started = performance.now();
        const client = await this.pool.connect();
        let n = 0;
        try {
          await client.query('BEGIN');
          await client.query(`SET LOCAL lock_timeout = '${Math.min(200, this.o.slowMs)}ms'`);
          const deleted = await deleteChunked(client, { runId, accountId }, Math.min(this.o.chunkRows, budget), true);
          await client.query('COMMIT');
          n = Object.values(deleted).reduce((x, y) => x + y, 0);
        } catch (e) {
          await client.query('ROLLBACK').catch(() => {});
          if ((e as { code?: string }).code === '55P03') return this.backoff('lock timeout deleting an expired account');
          throw e;
        } finally {
          client.release();
        }
        this.state.rowsDeleted += n;
        budget -= Math.max(n, this.o.chunkRows);
        const ms = performance.now() - started;
        if (ms > this.o.slowMs) return this.backoff(`a chunk of expired rows took ${Math.round(ms)} ms`);
        if (n === 0) break;
      }
      if (budget <= 0) break;
    }
    // A quiet tick: come back towards the configured pace.
    this.state.intervalMs = Math.max(this.o.intervalMs, Math.round(this.state.intervalMs / 2));
  }
}

export default fp<{ sweeper: SweeperOptions }>(
  async (fastify, opts) => {
    const sweeper = new Sweeper(fastify.db, opts.sweeper, (msg, extra) => fastify.log.info(extra ?? {}, msg));
    fastify.decorate('sweeper', sweeper);
    fastify.addHook('onReady', async () => sweeper.start());
    fastify.addHook('onClose', async () => sweeper.stop());
  },
  { name: 'sweeper', dependencies: ['db'] },
);
