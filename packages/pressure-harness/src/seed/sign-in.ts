/**
 * Seeded users that sign in like anyone else, so that a whale is an actor and not only rows.
 *
 * The password of every seeded user of a run is derived from the run ID (runPassword): a test
 * knows it without it being stored anywhere, and it changes with every run. The domain stores it
 * hashed the way the backend verifies it: `hashOnce(bcryptHash)` (or the backend's own function)
 * hashes it once per run, so a million users cost one hash. The entity's `signIn` says which
 * request signs in and where the token is in the answer; `signIn()` sends it.
 */
import { createHash } from 'node:crypto';
import type { APIRequestContext } from '@playwright/test';
import bcrypt from 'bcryptjs';

/** The password every user seeded under `runId` signs in with; never written, derived again by whoever needs it. */
export function runPassword(runId: string): string {
  return `pw-${createHash('sha256').update(`pressure-harness/password/${runId}`).digest('base64url').slice(0, 24)}`;
}

/** `hash`, run once per distinct password: every seeded row of a run shares one result. */
export function hashOnce(hash: (plain: string) => string): (plain: string) => string {
  const done = new Map<string, string>();
  return (plain) => {
    let h = done.get(plain);
    if (h === undefined) done.set(plain, (h = hash(plain)));
    return h;
  };
}

/** bcrypt ($2b$, cost 10 unless said), the format most backends verify, by bcryptjs. */
export const bcryptHash = (plain: string, cost = 10): string => bcrypt.hashSync(plain, cost);

/**
 * How a seeded user signs in: the request (method, path relative to the base URL, JSON body from
 * the row's values and the password) and where its answer carries the token (body or headers,
 * such as a session cookie).
 */
export type SignIn = {
  method?: 'POST' | 'PUT';
  path: string;
  body: (o: { values: Readonly<Record<string, unknown>>; password: string }) => unknown;
  token: (answer: { body: unknown; headers: Record<string, string> }) => string | undefined;
};

/** Signs a seeded row in through `request` (apiFor(null): it keeps the base URL's path prefix); the token, or an error that says what the backend answered. */
export async function signIn(request: APIRequestContext, spec: SignIn, row: { values: Readonly<Record<string, unknown>> }, password: string): Promise<string> {
  const res = await request.fetch(spec.path, { method: spec.method ?? 'POST', data: spec.body({ values: row.values, password }) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: the token function sees the text
  }
  const token = res.ok() ? spec.token({ body, headers: res.headers() }) : undefined;
  if (!token) throw new Error(`signing in with ${spec.method ?? 'POST'} ${spec.path} answered ${res.status()}${res.ok() ? ' without a token where the domain says it is' : ''}: ${text.slice(0, 300)}`);
  return token;
}
