import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { bcryptHash, hashOnce, runPassword } from 'pressure-harness/seed';

describe('seeded users that sign in', () => {
  it('get a password derived from the run alone: the same for one run, another for the next', () => {
    assert.equal(runPassword('r1'), runPassword('r1'));
    assert.notEqual(runPassword('r1'), runPassword('r2'));
    assert.match(runPassword('r1'), /^pw-[A-Za-z0-9_-]{24}$/);
  });

  it('hash it once per run, whatever the number of rows, in a format the backend verifies', () => {
    let calls = 0;
    const hash = hashOnce((p) => (calls++, bcryptHash(p, 4)));
    const hashes = Array.from({ length: 1000 }, () => hash(runPassword('r1')));
    assert.equal(calls, 1);
    assert.equal(new Set(hashes).size, 1);
    assert.match(hashes[0]!, /^\$2b\$04\$/);
    assert.ok(bcrypt.compareSync(runPassword('r1'), hashes[0]!));
    assert.ok(!bcrypt.compareSync(runPassword('r2'), hashes[0]!));
    hash(runPassword('r2'));
    assert.equal(calls, 2);
  });
});
