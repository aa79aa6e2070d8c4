/**
 * Regressions on purpose: APP_FAULTS switches on the classic performance bugs, one flag each, so
 * that the perf project can prove it catches every one of them (npm run verify:faults). They are
 * test-only: a production app refuses to start with any fault set.
 *
 *   n_plus_one          the dashboard loads each project's counts and recent items one by one
 *   offset_pagination   item listing pages with OFFSET behind its cursors instead of keyset
 *   drop_index          the composite index behind item listing is dropped at start
 *   cache_off           dashboard fragments are recomputed on every request
 *   lock_contention     project updates lock the row, then make a slow call while holding it
 *   slow_worker         queue workers run at a tenth of their concurrency
 */
export const FAULTS = ['n_plus_one', 'offset_pagination', 'drop_index', 'cache_off', 'lock_contention', 'slow_worker'] as const;
export type Fault = (typeof FAULTS)[number];
export type Faults = ReadonlySet<Fault>;

export const NO_FAULTS: Faults = new Set();

/** "n_plus_one, cache_off" → the set; an unknown name is an error naming the accepted ones. */
export function parseFaults(raw: string | undefined): Faults | string {
  const names = (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(FAULTS as readonly string[]).includes(n));
  if (unknown.length) return `unknown fault${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => JSON.stringify(u)).join(', ')}; accepted: ${FAULTS.join(', ')} (comma-separated)`;
  return new Set(names as Fault[]);
}
