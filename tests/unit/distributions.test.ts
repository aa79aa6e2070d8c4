import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadSettings } from '../../config/settings.js';
import { SettingsError } from 'pressure-harness/contract';
import { planDataset, WHALE_ROWS } from '../../seed/dataset.js';
import { assignTiers, drawLogNormal, normalQuantile, parseTiers, type Tier } from 'pressure-harness/seed';
import { PROFILES, resolveKnobs, WHALE_TIERS } from '../../seed/profiles.js';
import { stream } from 'pressure-harness/seed';

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

describe('distributions', () => {
  it('inverts the normal CDF accurately', () => {
    assert.ok(Math.abs(normalQuantile(0.5)) < 1e-9);
    assert.ok(Math.abs(normalQuantile(0.95) - 1.6448536) < 1e-6);
    assert.ok(Math.abs(normalQuantile(0.001) + 3.0902323) < 1e-6);
  });

  it('draws a log-normal with the median and p95 it was given', () => {
    const s = stream('x', 'lognormal');
    const xs = Array.from({ length: 20_000 }, () => drawLogNormal({ p50: 50, p95: 5000, max: 1_000_000 }, s));
    assert.ok(Math.abs(quantile(xs, 0.5) / 50 - 1) < 0.08, `p50 ${quantile(xs, 0.5)}`);
    assert.ok(Math.abs(quantile(xs, 0.95) / 5000 - 1) < 0.15, `p95 ${quantile(xs, 0.95)}`);
  });

  it('gives every tier its exact quota and at least one account from 10 accounts on', () => {
    const count = (n: number) => {
      const t = assignTiers(WHALE_TIERS, n, stream('x', 'tiers'));
      return ['small', 'mid', 'whale'].map((l) => t.filter((x) => x.label === l).length);
    };
    assert.deepEqual(count(100), [90, 9, 1]);
    assert.deepEqual(count(1000), [900, 90, 10]);
    assert.deepEqual(count(10), [8, 1, 1]);
    assert.deepEqual(count(3), [3, 0, 0]);
  });

  it('parses tier overrides and says what is wrong with bad ones', () => {
    assert.deepEqual(
      (parseTiers('90:1-5,10:6-50') as Tier[]).map((t) => [t.share, t.min, t.max]),
      [
        [0.9, 1, 5],
        [0.1, 6, 50],
      ],
    );
    assert.equal(parseTiers('90:1-5,9:6-50'), 'shares add up to 99%, not 100%');
    assert.equal(parseTiers('90:5-1,10:1-2'), '"90:5-1" needs 0 <= min <= max');
    assert.equal(parseTiers('ninety'), '"ninety" is not percent:min-max');
  });
});

describe('the medium profile', () => {
  const plan = planDataset('pressure-suite', PROFILES.medium);
  const projects = plan.map((p) => p.itemCounts.length);
  const items = plan.flatMap((p) => p.itemCounts);

  it('has the whale shape: 90 small tenants, 9 mid-sized, 1 whale', () => {
    assert.equal(plan.length, 100);
    assert.deepEqual(
      ['small', 'mid', 'whale'].map((l) => plan.filter((p) => p.tier === l).length),
      [90, 9, 1],
    );
    assert.ok(quantile(projects, 0.5) >= 1 && quantile(projects, 0.5) <= 5, `median projects ${quantile(projects, 0.5)}`);
    assert.ok(quantile(projects, 0.95) >= 6 && quantile(projects, 0.95) <= 50, `p95 projects ${quantile(projects, 0.95)}`);
    assert.ok(Math.max(...projects) >= 200 && Math.max(...projects) <= 1000, `whale projects ${Math.max(...projects)}`);
  });

  it('has items per project with its median and long tail (p50 20, p95 400) within tolerance', () => {
    assert.ok(items.length > 1000, `${items.length} projects`);
    assert.ok(Math.abs(quantile(items, 0.5) / 20 - 1) < 0.25, `p50 ${quantile(items, 0.5)}`);
    assert.ok(Math.abs(quantile(items, 0.95) / 400 - 1) < 0.35, `p95 ${quantile(items, 0.95)}`);
    assert.ok(Math.max(...items) <= 2000);
  });

  it('sends the whale and any account too big for one request the server-side way', () => {
    for (const p of plan) assert.equal(p.whale, p.tier === 'whale' || p.estimatedRows > WHALE_ROWS, p.path);
  });
});

describe('knob overrides', () => {
  it('applies SEED_* over the profile', () => {
    const s = loadSettings({ SEED_PROFILE: 'small', SEED_ACCOUNTS: '40', SEED_PROJECT_TIERS: '95:1-2,5:20-30', SEED_ITEMS_P95: '150', SEED_COMMENT_DEPTH: '20' });
    assert.equal(s.dataset.accounts, 40);
    assert.deepEqual(
      s.dataset.projectsPerAccount.map((t) => [t.share, t.min, t.max]),
      [
        [0.95, 1, 2],
        [0.05, 20, 30],
      ],
    );
    assert.deepEqual(s.dataset.itemsPerProject, { ...PROFILES.small.itemsPerProject, p95: 150 });
    assert.equal(s.dataset.commentDepth, 20);
    assert.equal(s.dataset.attachmentRate, PROFILES.small.attachmentRate);
  });

  it('rejects bad knobs, naming each and what it accepts', () => {
    assert.throws(
      () => loadSettings({ SEED_PROJECT_TIERS: '90:1-5', SEED_ATTACHMENT_RATE: '5%', SEED_COMMENT_DEPTH: '-1' }),
      (e: SettingsError) => {
        assert.deepEqual(e.problems.sort(), [
          'SEED_ATTACHMENT_RATE must be a number from 0 to 1, such as 0.05, got "5%"',
          'SEED_COMMENT_DEPTH must be a whole number from 0 to 50, got "-1"',
          'SEED_PROJECT_TIERS must be tiers as percent:min-max, comma-separated, adding up to 100%, such as 90:1-5,9:6-50,1:200-1000, got "90:1-5"',
        ]);
        return true;
      },
    );
    assert.throws(() => loadSettings({ SEED_ITEMS_P50: '500', SEED_ITEMS_P95: '100' }), /SEED_ITEMS_P50, SEED_ITEMS_P95 and SEED_ITEMS_MAX: items per project must satisfy 0 < p50 <= p95 <= max/);
    assert.throws(() => resolveKnobs('small', { itemsPerProject: { max: 10 } }), /p50=10 p95=100 max=10/);
  });
});
