import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { databaseError, describeValidation } from '../../app/plugins/app/error-handler.js';
import { findBadText, MAX_DEPTH } from '../../app/plugins/app/text-guard.js';
import { isLoopback, refusalLedger, tokenMatches } from '../../app/plugins/app/internal-guard.js';
import { decodeCursor, encodeCursor } from '../../app/routes/v1/items.js';
import { parseTraceparent } from '../../app/trace.js';
import { isoTimestamp } from '../../app/db/pool.js';
import { contractProblems } from 'pressure-harness/contract';

describe('contract header checks', () => {
  const good = { 'x-db-query-count': '3', 'server-timing': 'db;dur=1.20, total;dur=4.5', 'x-request-id': 'abc' };
  it('accepts a complete set', () => assert.deepEqual(contractProblems(good), []));
  it('names each missing or malformed header', () => {
    assert.deepEqual(contractProblems({ 'server-timing': 'app;dur=3', 'x-db-query-count': 'many' }), [
      'header x-request-id is missing',
      'x-db-query-count must be a whole number, got "many"',
      'server-timing must have db;dur=<ms>, got "app;dur=3"',
      'server-timing must have total;dur=<ms>, got "app;dur=3"',
    ]);
  });
});

describe('validation messages', () => {
  it('names unknown and missing fields with their path', () => {
    assert.deepEqual(describeValidation('body', { instancePath: '', keyword: 'additionalProperties', params: { additionalProperty: 'colour' } }), {
      field: 'body.colour',
      message: 'body.colour is not an accepted field',
    });
    assert.equal(describeValidation('body', { instancePath: '/projects/0/items/3', keyword: 'required', params: { missingProperty: 'title' } }).message, 'body.projects[0].items[3].title is required');
  });
});

describe('keyset cursors', () => {
  it('round-trip microsecond timestamps exactly', () => {
    const c = { createdAt: '2024-09-03T14:05:11.482913Z', id: '42' };
    assert.deepEqual(decodeCursor(encodeCursor(c)), c);
  });
  it('reject anything this API did not issue', () => {
    const forged = ['["1","1"]', '["March 7","1"]', '["0000-01-01T00:00:00Z","1"]', '["2024-02-30T00:00:00Z","1"]', '["2024-01-01T00:00:00+23:59","1"]'];
    for (const raw of [
      '',
      'x',
      Buffer.from('{"a":1}').toString('base64url'),
      Buffer.from('["2024-01-01T00:00:00Z","0"]').toString('base64url'),
      ...forged.map((f) => Buffer.from(f).toString('base64url')),
    ]) {
      assert.throws(() => decodeCursor(raw), { code: 'INVALID_CURSOR' });
    }
  });
  it('come from PostgreSQL text without losing digits', () => {
    assert.equal(isoTimestamp('2024-09-03 14:05:11.482913+00'), '2024-09-03T14:05:11.482913Z');
    assert.equal(isoTimestamp('2024-09-03 14:05:11+00'), '2024-09-03T14:05:11Z');
  });
});

describe('trace context', () => {
  it('parses a valid traceparent and refuses malformed or all-zero ones', () => {
    assert.deepEqual(parseTraceparent(`00-${'ab'.repeat(16)}-${'cd'.repeat(8)}-01`), { traceId: 'ab'.repeat(16), parentId: 'cd'.repeat(8) });
    assert.equal(parseTraceparent(`00-${'0'.repeat(32)}-${'cd'.repeat(8)}-01`), null);
    assert.equal(parseTraceparent('garbage'), null);
    assert.equal(parseTraceparent(undefined), null);
  });
});

describe('internal guard', () => {
  it('knows loopback from everything else', () => {
    for (const a of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) assert.equal(isLoopback(a), true, a);
    for (const a of ['10.0.0.1', '203.0.113.7', '::ffff:10.0.0.1', '1270.0.0.1', undefined]) assert.equal(isLoopback(a), false, String(a));
  });
  it('compares tokens of any length without throwing', () => {
    assert.equal(tokenMatches('local-dev-test-service-token', 'local-dev-test-service-token'), true);
    assert.equal(tokenMatches('short', 'local-dev-test-service-token'), false);
    assert.equal(tokenMatches(undefined, 'local-dev-test-service-token'), false);
    assert.equal(tokenMatches(['a'], 'local-dev-test-service-token'), false);
  });
});

describe('text PostgreSQL cannot hold, refused before a handler', () => {
  it('names a NUL, a lone surrogate and a key holding one, by path, first in document order', () => {
    assert.deepEqual(findBadText({ items: [{ title: 'ok' }, { title: 'a\u0000' }] }, 'body'), {
      field: 'body.items[1].title',
      problem: 'body.items[1].title must not contain NUL (\\u0000) characters',
    });
    assert.match(findBadText({ externalId: 'k\ud800' }, 'body')!.problem, /body\.externalId must be well-formed Unicode: a lone surrogate \(\\ud800\) at index 1/);
    assert.equal(findBadText({ externalId: 'k\udbff' }, 'body')!.field, 'body.externalId');
    assert.equal(findBadText({ 'a\u0000': 1 }, 'body')!.field, 'body."a\\u0000"');
    assert.equal(findBadText({ emoji: 'ok \ud83d\ude00', text: 'plain' }, 'body'), undefined, 'a surrogate pair is a character');
  });

  it('walks a body of 8,000 brackets without recursion and refuses it for its depth', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 8_000; i++) deep = [deep];
    const bad = findBadText({ payload: deep }, 'body')!;
    assert.match(bad.problem, new RegExp(`nests deeper than ${MAX_DEPTH} levels`));
    let ok: unknown = 'x';
    for (let i = 0; i < MAX_DEPTH - 1; i++) ok = [ok];
    assert.equal(findBadText(ok, 'body'), undefined);
  });
});

describe("PostgreSQL's foreign-key violations as answers", () => {
  it('answers 404 for a row referred to that was deleted meanwhile, 409 for a row still referred to', () => {
    assert.deepEqual(databaseError({ code: '23503', detail: 'Key (project_id)=(42) is not present in table "projects".' }), {
      status: 404,
      code: 'NOT_FOUND',
      message: 'a row this request refers to was deleted meanwhile (project_id 42)',
    });
    assert.equal(databaseError({ code: '23503', detail: 'Key (id)=(1) is still referenced from table "items".' })?.status, 409);
  });
});

describe('refused calls to the test endpoints', () => {
  it('are written once a window per caller and reason, the next row counting the calls in between', () => {
    let t = 0;
    const ledger = refusalLedger(60_000, () => t);
    assert.deepEqual(ledger('203.0.113.9', 'not loopback'), { write: true, suppressed: 0 });
    for (let i = 0; i < 499; i++) assert.equal(ledger('203.0.113.9', 'not loopback').write, false);
    assert.deepEqual(ledger('198.51.100.1', 'not loopback'), { write: true, suppressed: 0 }, 'another caller has its own window');
    t = 60_000;
    assert.deepEqual(ledger('203.0.113.9', 'not loopback'), { write: true, suppressed: 499 });
  });
});
