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
 *
 * Six more, each a change a reviewer could approve, and of a kind no budget of app/'s was written
 * for: what the perf project must find by comparison (npm run perf:compare, verify:faults auto).
 *
 *   full_rows             item listings return each item's body too ("clients asked for it")
 *   exact_totals          item listings carry the exact total, count(*) OVER () ("page 3 of 120")
 *   serializable_updates  project updates run SERIALIZABLE ("to be safe"), with no retry
 *   token_kdf             API tokens are hashed with scrypt (Node's defaults), on the request path
 *   inline_notify         the notification is sent in the request ("so the caller knows it went out")
 *   sliding_expiry        every authenticated request pushes its token's expiry forward: a write per read
 *
 * Six more, each a change a reviewer could approve, of kinds unlike the twelve and unlike each
 * other; the first two show only near saturation (one user at a time never waits for them):
 *
 *   small_pool            the database pool holds 2 connections ("to spare the database's")
 *   serial_writes         item inserts take one global advisory lock in their transaction ("so positions stay gap-free")
 *   tenant_connection     item listings open a connection of their own with the tenant set on it, instead of
 *                         borrowing one from the pool ("so one tenant's session settings never leak into another's")
 *   unbounded_memo        every answer is kept by request ID for a debug endpoint, never evicted
 *   audit_trigger         a trigger copies every item insert and update into audit_log, in the writer's transaction
 *   broad_invalidation    a write drops every account's cached dashboard, not only the writer's ("simpler")
 */
export const FAULTS = [
  'n_plus_one',
  'offset_pagination',
  'drop_index',
  'cache_off',
  'lock_contention',
  'slow_worker',
  'full_rows',
  'exact_totals',
  'serializable_updates',
  'token_kdf',
  'inline_notify',
  'sliding_expiry',
  'small_pool',
  'serial_writes',
  'tenant_connection',
  'unbounded_memo',
  'audit_trigger',
  'broad_invalidation',
] as const;
export type Fault = (typeof FAULTS)[number];
export type Faults = ReadonlySet<Fault>;

export const NO_FAULTS: Faults = new Set();

/** "n_plus_one, cache_off" → the set; an unknown name is an error naming the accepted ones. */
export function parseFaults(raw: string | undefined): Faults | string {
  const names = (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !(FAULTS as readonly string[]).includes(n));
  if (unknown.length) return `unknown fault${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => JSON.stringify(u)).join(', ')}; accepted: ${FAULTS.join(', ')} (comma-separated)`;
  return new Set(names as Fault[]);
}
