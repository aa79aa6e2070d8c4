/**
 * Conditional writes (RFC 9110 §13.1): the validators a client sends with a PATCH or a DELETE,
 * parsed once for every resource that has a version (projects, items).
 *
 *   If-Match: "3"        the write applies only to version 3; another current version is a
 *                        409 VERSION_CONFLICT carrying the current ETag (this API's contract)
 *   If-Match: *          any current version: the write applies when the resource exists
 *   If-None-Match: *     only when the resource does not exist: on an existing one, 412
 *   If-None-Match: "3"   not when the current version is 3: then 412
 * Weak tags never match under strong comparison (If-Match), so they are refused with 400; a
 * header that is not a list of tags is refused with 400 naming it.
 */
import { AppError, notFound } from '../errors.js';

/** What the write requires of the current version. */
export type Preconditions = { ifMatch: number | '*' | null; ifNoneMatch: number[] | '*' | null };

function tags(header: string, name: string, what: string): number[] | '*' {
  if (header.trim() === '*') return '*';
  return header.split(',').map((raw) => {
    const t = raw.trim();
    if (/^W\//.test(t)) {
      if (name === 'If-Match') throw new AppError('VALIDATION_FAILED', `If-Match must be a strong entity tag such as "3"; a weak one (${JSON.stringify(header)}) never matches`);
      return Number(/^W\/"(\d{1,9})"$/.exec(t)?.[1] ?? NaN);
    }
    const m = /^"?(\d{1,9})"?$/.exec(t);
    if (!m) throw new AppError('VALIDATION_FAILED', `${name} must be ${what} versions such as "3", a list of them, or *, got ${JSON.stringify(header)}`);
    return Number(m[1]);
  });
}

export function preconditions(headers: Record<string, unknown>, what: string): Preconditions {
  const im = headers['if-match'];
  const inm = headers['if-none-match'];
  const ifMatch = typeof im === 'string' ? tags(im, 'If-Match', `a ${what}'s`) : null;
  if (Array.isArray(ifMatch) && ifMatch.length > 1) throw new AppError('VALIDATION_FAILED', `If-Match must name one ${what} version or *, got ${JSON.stringify(im)}`);
  return { ifMatch: Array.isArray(ifMatch) ? ifMatch[0]! : ifMatch, ifNoneMatch: typeof inm === 'string' ? tags(inm, 'If-None-Match', `a ${what}'s`) : null };
}

/** The version If-Match requires, for the write's own WHERE; null for none or *. */
export const requiredVersion = (p: Preconditions): number | null => (typeof p.ifMatch === 'number' ? p.ifMatch : null);

/**
 * If-None-Match, and If-Match: *, ask about the resource as it is now: 404 when it is not, 412
 * when If-None-Match names its version. Nothing is read when neither was sent.
 */
export async function checkCurrent(p: Preconditions, what: string, id: string, current: () => Promise<{ version: number } | undefined>): Promise<void> {
  if (p.ifNoneMatch === null && p.ifMatch !== '*') return;
  const row = await current();
  if (!row) throw notFound(what, id);
  checkNoneMatch(p, row.version, what, id);
}

/** If-None-Match against the resource's current version: 412 when it matches. */
export function checkNoneMatch(p: Preconditions, current: number, what: string, id: string): void {
  if (p.ifNoneMatch === null) return;
  if (p.ifNoneMatch === '*' || p.ifNoneMatch.includes(current)) {
    throw new AppError(
      'PRECONDITION_FAILED',
      `${what} ${id} exists at version ${current}, and If-None-Match ${p.ifNoneMatch === '*' ? '* lets the request through only when it does not' : `names that version`}`,
      { currentVersion: current },
      { etag: `"${current}"` },
    );
  }
}

/** The 409 for a write whose If-Match named a version that is no longer current. */
export const versionConflict = (what: string, id: string, current: number, expected: number) =>
  new AppError('VERSION_CONFLICT', `${what} ${id} is at version ${current}, not ${expected}: reload it and retry`, { currentVersion: current }, { etag: `"${current}"` });

/**
 * A conditional DELETE of a versioned resource: its preconditions checked, then `remove` with the
 * version If-Match requires; 404 when it is gone, 409 when its version moved on.
 */
export async function conditionalDelete(
  headers: Record<string, unknown>,
  what: string,
  id: string,
  current: () => Promise<{ version: number } | undefined>,
  remove: (version: number | null) => Promise<true | { conflict: number } | undefined>,
): Promise<void> {
  const p = preconditions(headers, what);
  await checkCurrent(p, what, id, current);
  const done = await remove(requiredVersion(p));
  if (!done) throw notFound(what, id);
  if (done !== true) throw versionConflict(what, id, done.conflict, requiredVersion(p)!);
}
