import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eDivisive } from 'pressure-harness/history';
import { normals } from '../support/random.js';

/**
 * A nightly p95 series on the log scale, as the history store hands it over: 60 nights, each
 * night's value off by a log-normal error of 4% (a CI runner's night-to-night spread).
 */
const NOISE = 0.04;
function nights(seed: string, level: (night: number) => number): number[] {
  const z = normals(seed);
  return Array.from({ length: 60 }, (_, k) => Math.log(level(k + 1) * 40) + NOISE * z());
}

describe('change points (E-divisive means)', () => {
  it('finds a 15% step planted at night 40, at night 40 ± 1, in every one of 20 series', () => {
    for (let s = 0; s < 20; s++) {
      const series = nights(`step-${s}`, (night) => (night >= 40 ? 1.15 : 1));
      const found = eDivisive(series, { seed: `step-${s}` });
      assert.ok(found.length >= 1, `series ${s}: no change point`);
      const step = found.find((c) => Math.abs(c.index + 1 - 40) <= 1);
      assert.ok(step, `series ${s}: change points at nights ${found.map((c) => c.index + 1).join(', ')}, none at 40 ± 1`);
      // The size reads back: +15% on the log scale is 0.14.
      assert.ok(Math.abs(step.after.mean - step.before.mean - Math.log(1.15)) < 0.05, `series ${s}: step of ${Math.exp(step.after.mean - step.before.mean)}`);
      assert.ok(step.pValue <= 0.005);
    }
  });

  it('finds a 3%-a-night creep, every change in the direction of the creep', () => {
    for (let s = 0; s < 10; s++) {
      const found = eDivisive(
        nights(`creep-${s}`, (night) => 1.03 ** night),
        { seed: `creep-${s}` },
      );
      assert.ok(found.length >= 1, `series ${s}: the creep went unseen`);
      for (const c of found) assert.ok(c.after.mean > c.before.mean, `series ${s}: a change downwards at night ${c.index + 1}`);
    }
  });

  it('raises no change point on 60 flat noisy nights, and about 1 in 200 across many flat series', () => {
    assert.deepEqual(
      eDivisive(
        nights('flat', () => 1),
        { seed: 'flat' },
      ),
      [],
    );
    // The level is a permutation test's: under exchangeable noise, P(false change) = 1/200 per series.
    let alarms = 0;
    for (let s = 0; s < 200; s++)
      if (
        eDivisive(
          nights(`flat-${s}`, () => 1),
          { seed: `flat-${s}` },
        ).length
      )
        alarms++;
    assert.ok(alarms <= 4, `${alarms} of 200 flat series showed a change`);
  });

  it('sees a change in spread as well as in level', () => {
    const z = normals('spread');
    const series = Array.from({ length: 60 }, (_, k) => (k < 30 ? 0.01 : 0.2) * z());
    const found = eDivisive(series, { seed: 'spread' });
    assert.ok(
      found.some((c) => Math.abs(c.index - 30) <= 3),
      `change points at ${found.map((c) => c.index).join(', ')}`,
    );
  });

  it('gives the same answer each time for the same seed, and none on too short a series', () => {
    const series = nights('again', (night) => (night >= 30 ? 1.3 : 1));
    assert.deepEqual(eDivisive(series, { seed: 'x' }), eDivisive(series, { seed: 'x' }));
    assert.deepEqual(eDivisive([1, 2, 3, 50, 51, 52], { seed: 'x' }), []);
  });

  it('refuses what it cannot judge, naming it', () => {
    assert.throws(() => eDivisive([1, Number.NaN, 3]), /finite numbers/);
    assert.throws(() => eDivisive([1, 2, 3], { alpha: 2 }), /alpha must be in \(0, 2\)/);
    assert.throws(() => eDivisive([1, 2, 3], { significance: 0 }), /significance must be in/);
  });
});
