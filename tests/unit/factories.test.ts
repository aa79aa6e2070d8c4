import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { buildAccount, TINY_ACCOUNT, type AccountShape } from '../../seed/factories.js';

const shape: AccountShape = { ...TINY_ACCOUNT, projects: 3, itemsPerProject: 8, commentDepth: 2, attachmentRate: 0.25, tagsPerItem: 3 };
const make = (seed: string, path = 'accounts/0', s = shape) => buildAccount({ seed, runId: 'run-1', ttlSeconds: 600, path, shape: s });
const hash = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('hex');

describe('account factory', () => {
  it('gives the same body for the same seed, byte for byte, and another for another seed', () => {
    assert.equal(hash(make('alpha')), hash(make('alpha')));
    assert.notEqual(hash(make('alpha')), hash(make('beta')));
  });

  it('derives each account from its own path: adding one changes no other', () => {
    const before = [make('alpha', 'accounts/0'), make('alpha', 'accounts/1')];
    const after = [make('alpha', 'accounts/0'), make('alpha', 'accounts/1'), make('alpha', 'accounts/2')];
    assert.deepEqual(after.slice(0, 2), before);
    // More projects in one account leave its existing projects as they were.
    const bigger = make('alpha', 'accounts/0', { ...shape, projects: 5 });
    assert.deepEqual(bigger.projects!.slice(0, 3), make('alpha', 'accounts/0').projects);
  });

  it('keeps the state machine: timestamps in order, fields present per state', () => {
    for (const p of make('gamma').projects!) {
      for (const it of p.items!) {
        const created = Date.parse(it.createdAt!);
        assert.ok(created >= Date.parse(p.createdAt!), 'item after its project');
        if (it.state === 'draft') assert.equal(it.publishedAt, undefined);
        if (it.state !== 'draft') assert.ok(Date.parse(it.publishedAt!) > created);
        if (it.state === 'archived') assert.ok(Date.parse(it.archivedAt!) > Date.parse(it.publishedAt!));
        it.comments?.forEach((c, i) => {
          if (c.replyTo !== undefined) assert.ok(c.replyTo < i, 'replies point backwards');
        });
      }
    }
  });

  it('writes realistic text, not filler', () => {
    const items = make('delta').projects!.flatMap((p) => p.items!);
    const bodies = items.map((i) => i.body!.length);
    assert.ok(Math.min(...bodies) > 50, `shortest body ${Math.min(...bodies)} chars`);
    assert.ok(Math.max(...bodies) > 500, `longest body ${Math.max(...bodies)} chars`);
    assert.ok(new Set(items.map((i) => i.title)).size > items.length * 0.9, 'titles vary');
  });

  it('uses run-unique, valid emails', () => {
    const body = make('alpha', 'w3/accounts/7');
    assert.equal(body.account.email, 'w3-accounts-7@run-1.test.invalid');
  });
});
