/**
 * The evidence headers of one response, checked against the contract: what a backend that
 * claims the whole contract must send on every response, errors included. A backend that sends
 * none is not wrong (its metrics are n/a); this is for testing a backend that says it does.
 */
import { EVIDENCE_HEADERS } from './protocol.js';

export function contractProblems(headers: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const h of Object.values(EVIDENCE_HEADERS)) if (!(h in headers)) problems.push(`header ${h} is missing`);
  const count = headers[EVIDENCE_HEADERS.queryCount];
  if (count !== undefined && !/^\d+$/.test(count)) problems.push(`${EVIDENCE_HEADERS.queryCount} must be a whole number, got "${count}"`);
  const timing = headers[EVIDENCE_HEADERS.serverTiming];
  if (timing !== undefined) {
    for (const metric of ['db', 'total']) {
      if (!new RegExp(`(^|,)\\s*${metric};dur=\\d+(\\.\\d+)?`).test(timing)) problems.push(`${EVIDENCE_HEADERS.serverTiming} must have ${metric};dur=<ms>, got "${timing}"`);
    }
  }
  return problems;
}
