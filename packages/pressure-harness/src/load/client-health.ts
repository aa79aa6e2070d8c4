/**
 * The load generator's own health while a scenario measures: a client whose event loop is busy
 * (generating bodies, parsing responses, a GC pause) sends late and reads responses late, and
 * every latency it records then includes its own delay. Node's event-loop delay histogram
 * (perf_hooks.monitorEventLoopDelay) says how late the loop ran; past CLIENT_SATURATED_MS at
 * p99 the run is flagged, so that a slow client is never taken for a slow backend.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

export type ClientHealth = { loopDelayP99Ms: number; loopDelayMaxMs: number; saturated: boolean };

/** p99 event-loop lag past which the client, not the backend, may be what the latencies show. */
export const CLIENT_SATURATED_MS = 50;
const RESOLUTION_MS = 10;

/** Starts watching the event loop; `stop` returns what it saw. */
export function watchClient(): { stop(): ClientHealth } {
  const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  h.enable();
  return {
    stop() {
      h.disable();
      // The histogram holds each tick's interval: the lag is what passes the timer's own period.
      const lag = (ns: number) => (h.count ? +Math.max(0, ns / 1e6 - RESOLUTION_MS).toFixed(1) : 0);
      const p99 = lag(h.percentile(99));
      return { loopDelayP99Ms: p99, loopDelayMaxMs: lag(h.max), saturated: p99 > CLIENT_SATURATED_MS };
    },
  };
}

/** The worse of two (attempts, shards): saturated if either was. */
export function worseClient(a: ClientHealth | undefined, b: ClientHealth | undefined): ClientHealth | undefined {
  if (!a || !b) return a ?? b;
  return { loopDelayP99Ms: Math.max(a.loopDelayP99Ms, b.loopDelayP99Ms), loopDelayMaxMs: Math.max(a.loopDelayMaxMs, b.loopDelayMaxMs), saturated: a.saturated || b.saturated };
}

export function describeClient(c: ClientHealth): string {
  return (
    `the load generator was saturated: its event loop lagged ${c.loopDelayP99Ms} ms at p99 (max ${c.loopDelayMaxMs} ms, over ${CLIENT_SATURATED_MS} ms) while measuring, ` +
    "so these latencies include the client's own delay. Lower the rate or the connections, or run the load from a machine of its own"
  );
}
