import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareRuns } from 'pressure-harness/compare';
import { captureEnvironment, describeEnvironment, durabilityOff, type Environment, environmentDifferences } from 'pressure-harness/pg';
import { buildSummary } from 'pressure-harness/report';

const env = (settings: Record<string, string>, o: Partial<Environment> = {}): Environment => ({
  node: 'v20.19.0',
  cpus: 2,
  memoryGb: 24,
  platform: 'linux-x64',
  postgres: { version: '18.1', settings: { fsync: 'on', synchronous_commit: 'on', full_page_writes: 'on', shared_buffers: '512MB', work_mem: '4MB', ...settings } },
  ...o,
});

describe('the environment of a perf run', () => {
  it('is the machine alone, with PostgreSQL n/a and why, without DATABASE_URL', async () => {
    const e = await captureEnvironment(undefined);
    assert.equal(e.node, process.version);
    assert.ok(e.cpus >= 1);
    assert.deepEqual(e.postgres, { absent: "DATABASE_URL is not set: PostgreSQL's settings are n/a" });
    assert.match(describeEnvironment(e).join('\n'), /PostgreSQL: n\/a \(DATABASE_URL is not set/);
  });

  it('says when durability is off, and what differs between two sides that moves latency', () => {
    const fast = env({ fsync: 'off', synchronous_commit: 'off' });
    assert.deepEqual(durabilityOff(fast), ['fsync=off', 'synchronous_commit=off']);
    assert.match(describeEnvironment(fast).join('\n'), /durability off \(fsync=off, synchronous_commit=off\): writes are cheaper here/);
    assert.deepEqual(environmentDifferences(env({}), fast), ['fsync on → off', 'synchronous_commit on → off']);
    assert.deepEqual(environmentDifferences(env({}), env({}, { cpus: 8, node: 'v22.1.0' })), ['Node v20.19.0 → v22.1.0', 'CPUs 2 → 8']);
    assert.deepEqual(environmentDifferences(env({}), env({})), []);
    assert.deepEqual(environmentDifferences(env({}), undefined), [], 'files of older versions: nothing to say');
  });

  it('goes into a comparison of two sides as a warning, and into the summary', () => {
    const file = (e: Environment) => ({ scenario: 's', raw: { routes: {}, expected: [], singles: {}, wallMs: 1 }, environment: e }) as never;
    const c = compareRuns({ label: 'a', rounds: [[file(env({}))]] }, { label: 'b', rounds: [[file(env({ fsync: 'off' }))]] });
    assert.deepEqual(c.environment, ['fsync on → off']);
    const scenario = { scenario: 's', verdict: 'passed', profile: 'p', attempts: 1, outcomes: [], broken: [], slowest: [], endpoints: {}, environment: env({ fsync: 'off' }) } as never;
    const s = buildSummary([scenario], [], { runId: 'r1', release: null, commit: null, baseline: null, shards: 1, source: 'test' });
    assert.match(s.markdown, /### Environment\n\n- Node v20\.19\.0 on linux-x64, 2 CPUs, 24 GB\n- PostgreSQL 18\.1: fsync=off, synchronous_commit=on/);
    assert.equal((s.json.environment as Environment | null)?.postgres && 'version' in s.json.environment!.postgres ? s.json.environment!.postgres.version : null, '18.1');
  });
});
