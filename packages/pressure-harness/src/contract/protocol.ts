/**
 * The contract a backend and the harness share. Nothing in it is required: each part is a
 * capability the harness detects at the start of a run (lifecycle/capabilities.ts) and
 * uses where present. A backend imports this module to speak it; the harness imports it to read it.
 */

/** Evidence headers on every response. */
export const EVIDENCE_HEADERS = {
  /** Database queries this request ran: a whole number. */
  queryCount: 'x-db-query-count',
  /** At least `db;dur=<ms>` and `total;dur=<ms>` (W3C Server-Timing). */
  serverTiming: 'server-timing',
  /** The request's id (the caller's, if it sent one). */
  requestId: 'x-request-id',
} as const;

/** Every error body: a stable code a test can assert, and a sentence for people. */
export type ErrorBody = { code: string; message: string };

/** Sent with every call to a run endpoint; the backend answers them only to loopback callers that send it. */
export const SERVICE_TOKEN_HEADER = 'x-test-service-token';

/**
 * Run-scoped test endpoints: a backend offering them lets the harness clean a run up by its ID
 * and prove it, reap expired runs, and coordinate shards. All under one prefix, so that a
 * backend can guard (and a production build omit) them together.
 */
export const RUN_ENDPOINTS = {
  prefix: '/internal/test',
  /** POST ?runId=[&scope=] → { deleted, remaining }; scope: a part of the run the backend can remove alone (its rows of one tenant, say) */
  cleanup: '/internal/test/cleanup',
  /** GET → { rows: { table: n }, total } */
  runRows: (runId: string) => `/internal/test/runs/${encodeURIComponent(runId)}`,
  /** POST → { deleted, runs } */
  reap: '/internal/test/reap',
  /** GET → { available, statements } | 404 */
  statements: '/internal/test/db/statements',
  /** GET → the saved dataset this database was restored from | 404 */
  dataset: '/internal/test/dataset',
  claimDataset: (runId: string, name: string) => `/internal/test/runs/${encodeURIComponent(runId)}/datasets/${encodeURIComponent(name)}/claim`,
  publishDataset: (runId: string, name: string) => `/internal/test/runs/${encodeURIComponent(runId)}/datasets/${encodeURIComponent(name)}`,
  shards: (runId: string) => `/internal/test/runs/${encodeURIComponent(runId)}/shards`,
} as const;

/** The column that tags a test row with its run, and the one that says when it may be reaped. */
export const RUN_COLUMN = 'test_run_id';
export const EXPIRY_COLUMN = 'expires_at';
