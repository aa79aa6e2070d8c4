import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SettingsError } from 'pressure-harness/contract';
import { durabilityFor, loadSettings, mintRunId, RUN_ID_PATTERN } from '../../config/settings.js';
import { loadAppConfig } from '../../app/config.js';

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof SettingsError, `expected a SettingsError, got ${String(e)}`);
    return e.problems;
  }
  assert.fail('expected the settings to be rejected');
}

describe('harness settings', () => {
  it('defaults to starting app/ on embedded PostgreSQL and verifying in it', () => {
    const s = loadSettings({});
    assert.equal(s.baseUrl, 'http://127.0.0.1:3210');
    assert.equal(s.startApp, true);
    assert.equal(s.verifyDatabaseUrl, 'postgres://postgres:postgres@127.0.0.1:54329/pressure');
    assert.equal(s.seedProfile, 'smoke');
    assert.equal(s.workers, 2);
  });

  it('targets BASE_URL without starting anything, and verifies only through DATABASE_URL', () => {
    const remote = loadSettings({ BASE_URL: 'http://127.0.0.1:8080/' });
    assert.equal(remote.startApp, false);
    assert.equal(remote.baseUrl, 'http://127.0.0.1:8080');
    assert.equal(remote.verifyDatabaseUrl, undefined);
    const withDb = loadSettings({ BASE_URL: 'http://127.0.0.1:8080', DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/x' });
    assert.equal(withDb.verifyDatabaseUrl, 'postgres://u:p@127.0.0.1:5432/x');
  });

  it('keeps a path prefix of BASE_URL and reads the auth scheme, health and metrics paths', () => {
    const s = loadSettings({ BASE_URL: 'http://127.0.0.1:8080/api/', AUTH_SCHEME: 'Token', HEALTH_PATH: '/ping', METRICS_PATH: '/stats/prom' });
    assert.equal(s.baseUrl, 'http://127.0.0.1:8080/api');
    assert.deepEqual(s.auth, { kind: 'authorization', scheme: 'Token' });
    assert.deepEqual([s.healthPath, s.metricsPath], ['/ping', '/stats/prom']);
    assert.deepEqual(loadSettings({ AUTH_SCHEME: 'header:X-Api-Key' }).auth, { kind: 'header', name: 'x-api-key' });
    assert.deepEqual(loadSettings({ AUTH_SCHEME: 'cookie:sid' }).auth, { kind: 'cookie', name: 'sid' });
  });

  it('names what AUTH_SCHEME, HEALTH_PATH and METRICS_PATH accept', () => {
    assert.deepEqual(problemsOf(() => loadSettings({ AUTH_SCHEME: 'Bearer token', HEALTH_PATH: 'healthz', METRICS_PATH: '' })).sort(), [
      'AUTH_SCHEME must be how a token is sent: an Authorization scheme (Bearer, Token, …), header:<Name> (such as header:X-Api-Key) or cookie:<name>, got "Bearer token"',
      'HEALTH_PATH must be a path starting with "/", such as /healthz or /api/ping (relative to BASE_URL), got "healthz"',
    ]);
  });

  it('treats empty variables as unset', () => {
    assert.equal(loadSettings({ SEED_PROFILE: '', BASE_URL: '' }).seedProfile, 'smoke');
  });

  it('reports every bad variable at once, naming what each accepts', () => {
    const problems = problemsOf(() => loadSettings({ SEED_PROFILE: 'medum', WORKERS: 'two', BASE_URL: 'ftp://x', APP_PORT: '70000', RUN_ID: 'Bad_Run', DATABASE_URL: 'mysql://x' }));
    assert.deepEqual(problems.sort(), [
      'APP_PORT must be a TCP port from 1 to 65535, got "70000"',
      'BASE_URL must be an http(s) URL of the backend under test, with its path prefix if it has one, such as http://127.0.0.1:8080 or http://127.0.0.1:8080/api (unset: the suite starts its own backend), got "ftp://x"',
      'DATABASE_URL must be a PostgreSQL connection URL such as postgres://user:pass@127.0.0.1:5432/db, got "mysql://x"',
      'RUN_ID must be 4-64 lowercase letters, digits and dashes, starting with a letter or digit, got "Bad_Run"',
      'SEED_PROFILE must be one of "smoke" | "small" | "medium" | "xl" | "large", got "medum"',
      'WORKERS must be a whole number from 1 to 32, got "two"',
    ]);
  });

  it('reads the production database parity compares with, and refuses to require parity without one', () => {
    assert.equal(loadSettings({}).perf.parity, null);
    assert.deepEqual(loadSettings({ PARITY_DATABASE_URL: 'postgres://ro:p@replica:5432/app', PERF_REQUIRE_PARITY: '1' }).perf.parity, { url: 'postgres://ro:p@replica:5432/app', require: true });
    assert.deepEqual(
      problemsOf(() => loadSettings({ PERF_REQUIRE_PARITY: '1' })),
      ["PERF_REQUIRE_PARITY=1 needs PARITY_DATABASE_URL: production's database (postgres://…, a read replica will do) to compare the test database with"],
    );
    assert.match(problemsOf(() => loadSettings({ PARITY_DATABASE_URL: 'replica:5432' }))[0]!, /^PARITY_DATABASE_URL must be a PostgreSQL connection URL/);
  });

  it('says where the problem is and how to fix it', () => {
    try {
      loadSettings({ WORKERS: '0' });
      assert.fail('expected an error');
    } catch (e) {
      assert.match((e as Error).message, /^pressure-suite settings: 1 invalid setting\n {2}- WORKERS must be a whole number from 1 to 32, got "0"\nRecommended fix: .*\.env\.example/);
    }
  });

  it('mints sortable run ids that the backend accepts', () => {
    const id = mintRunId(new Date('2026-11-25T11:47:02.123Z'));
    assert.match(id, /^r20261125-114702-[0-9a-f]{6}$/);
    assert.match(id, RUN_ID_PATTERN);
    assert.notEqual(mintRunId(), mintRunId());
  });
});

describe('app settings', () => {
  it('gives each PG_PORT a data directory of its own unless PG_DATA_DIR says otherwise', () => {
    assert.match(loadAppConfig({}).embedded.dataDir, /\/\.pgdata$/);
    assert.match(loadAppConfig({ PG_PORT: '55001' }).embedded.dataDir, /\/\.pgdata-55001$/);
    assert.equal(loadAppConfig({ PG_PORT: '55001', PG_DATA_DIR: '/tmp/x' }).embedded.dataDir, '/tmp/x');
  });

  it('listens on PORT when it is set, else on APP_PORT (the name .env gives the suite and the app alike)', () => {
    assert.equal(loadAppConfig({}).port, 3210);
    assert.equal(loadAppConfig({ APP_PORT: '3300' }).port, 3300);
    // A process started with an explicit PORT (scripts, tests, process managers) keeps it, whatever .env says.
    assert.equal(loadAppConfig({ PORT: '3217', APP_PORT: '3300' }).port, 3217);
    assert.deepEqual(
      problemsOf(() => loadAppConfig({ APP_PORT: 'x' })),
      ['APP_PORT must be a TCP port from 1 to 65535, got "x"'],
    );
  });

  it('rejects a short service token and an unknown APP_ENV together', () => {
    const problems = problemsOf(() => loadAppConfig({ TEST_SERVICE_TOKEN: 'short', APP_ENV: 'prod' }));
    assert.equal(problems.length, 2);
    assert.ok(problems.includes('APP_ENV must be one of "development" | "test" | "production", got "prod"'));
    assert.ok(problems.includes('TEST_SERVICE_TOKEN must be a secret of at least 16 characters, got "short"'));
  });
});

describe("the embedded PostgreSQL's durability", () => {
  it('is on for a run of the perf project alone, off for any other, and as given when PG_DURABILITY says', () => {
    const argv = (...a: string[]) => ['node', 'playwright', 'test', ...a];
    assert.equal(durabilityFor({}, argv('--project=perf')), 'on');
    assert.equal(durabilityFor({}, argv('--project', 'perf')), 'on');
    assert.equal(durabilityFor({}, argv('--project=correctness', '--project=perf')), 'off');
    assert.equal(durabilityFor({}, argv()), 'off', 'every project: correctness runs too');
    assert.equal(durabilityFor({ PG_DURABILITY: 'off' }, argv('--project=perf')), 'off');
    assert.equal(durabilityFor({ PG_DURABILITY: 'on' }, argv('--project=correctness')), 'on');
  });

  it('is refused by app/ when it is neither on nor off, naming what it accepts', () => {
    assert.throws(() => loadAppConfig({ PG_DURABILITY: 'sometimes' }), /PG_DURABILITY.*"off" \| "on"/s);
    assert.equal(loadAppConfig({ PG_DURABILITY: 'on' }).embedded.durable, true);
  });
});
