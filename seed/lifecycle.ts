/**
 * What app/'s suite adds to the run's lifecycle: the capabilities it cannot do without (its
 * fixtures seed through app/'s test endpoints), the path whose answer shows the evidence headers
 * even unauthenticated, and the restored dataset database to drop after the run.
 */
import { databaseOf } from 'pressure-harness/pg';
import { dropDatabase } from 'pressure-harness/seed';
import type { SuiteLifecycle } from 'pressure-harness/lifecycle';

export const suiteLifecycle: SuiteLifecycle = {
  require: ['testEndpoints'],
  probePaths: ['/v1/me'],
  async afterCleanup({ options, servedDatabaseUrl }) {
    // A run restored from a saved dataset has a database of its own: dropping it is its cleanup.
    const configured = options.databaseUrl;
    if (!configured || !servedDatabaseUrl || servedDatabaseUrl === configured) return;
    const runDb = databaseOf(servedDatabaseUrl);
    if (!runDb.startsWith(`${databaseOf(configured)}_run_`)) return;
    await dropDatabase(configured, runDb);
    process.stderr.write(`cleanup: dropped ${runDb}, the run's restored dataset\n`);
  },
};
