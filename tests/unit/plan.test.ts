import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { projectRequested } from 'pressure-harness/report';
import { formatPlan, planOf } from '../../seed/plan.js';
import { PROFILES } from '../../seed/profiles.js';

describe('dataset plans', () => {
  it('plan the design scale without writing: large is 1,000 accounts and about 51 million rows', () => {
    const plan = planOf('large', 'pressure-suite', PROFILES.large, { maxRows: 20_000_000, rowsPerSec: 100_000 });
    assert.equal(plan.accounts, 1000);
    assert.deepEqual(plan.byTier, { small: 900, mid: 90, whale: 10 });
    assert.equal(plan.rows.projects, 11_879);
    assert.ok(plan.totalRows > 50_000_000 && plan.totalRows < 52_000_000, `${plan.totalRows} rows`);
    assert.equal(plan.problems.length, 1);
    assert.match(plan.problems[0]!, /over the backend's budget of 20,000,000 \(SEED_MAX_ROWS_PER_RUN\)\. Recommended fix: about SEED_ACCOUNTS=\d+/);
  });

  it('fits a small profile, and says how long it should take at the given rate', () => {
    const plan = planOf('medium', 'pressure-suite', PROFILES.medium, { maxRows: 20_000_000, rowsPerSec: 100_000 });
    assert.deepEqual(plan.problems, []);
    assert.match(formatPlan(plan), /^dataset plan \(medium\): 100 accounts \(90 small, 9 mid, 1 whale\)/);
    assert.ok(plan.seconds > 1 && plan.seconds < 20);
  });

  it('stops a dataset the disk would not hold, naming the knob and the staging way', () => {
    const plan = planOf('medium', 'pressure-suite', PROFILES.medium, { maxRows: 20_000_000, rowsPerSec: 100_000, bytesPerRow: 10_000_000, dataDir: '.' });
    assert.equal(plan.problems.length, 1);
    assert.match(plan.problems[0]!, /needs about [\d.]+ GB on disk .* Recommended fix: about SEED_ACCOUNTS=\d+ .* DATABASE_URL/);
  });

  it('tells from the command line whether a run is a perf run', () => {
    assert.equal(projectRequested('perf', ['node', 'cli', 'test', '--project=perf']), true);
    assert.equal(projectRequested('perf', ['node', 'cli', 'test', '--project', 'perf']), true);
    assert.equal(projectRequested('perf', ['node', 'cli', 'test', '--project=correctness']), false);
    assert.equal(projectRequested('perf', ['node', 'cli', 'test']), true); // every project runs
  });
});
