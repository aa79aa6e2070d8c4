/**
 * npm run bench:cleanup
 *
 * Seeds a run of about 1,000,000 rows next to another run's data, then removes it with each
 * method, seeding it afresh before each:
 *   cascade_delete   DELETE FROM accounts WHERE test_run_id = $1, foreign keys cascading
 *   chunked_delete   DELETE … LIMIT 5000 per statement, children first (the account-scoped path)
 *   partition_drop   detach and drop the run's partitions (POST /internal/test/cleanup: in use)
 * Before each, the database is brought to the same quiet state (quiesce). After each, the other
 * run must be intact (same content digest) with no dead tuples in its storage, and the cleaned
 * run must have no row left. Writes bench-results/cleanup.json.
 */
import { writeJson } from 'pressure-harness/report';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { partitionName } from '../app/sql/partitions.js';
import { deleteChunked, TEST_DATA_TABLES } from '../app/sql/testdata.js';
import { mintRunId } from '../config/settings.js';
import { censusInDatabase, total } from 'pressure-harness/seed';
import { generateDataset, sumRows } from '../seed/dataset.js';
import { digestRun } from '../seed/digest.js';
import { PROFILES } from '../seed/profiles.js';
import { failAndExit, flagsOrExit, settingsOrExit, withBackend } from './backend.js';

const settings = settingsOrExit();
flagsOrExit('bench:cleanup', {}, 'npm run bench:cleanup');
if (!settings.startApp || !settings.verifyDatabaseUrl) failAndExit('bench:cleanup', 'runs against app/ and its database: leave BASE_URL unset');
const dbUrl = settings.verifyDatabaseUrl!;

// About a million rows: the medium profile with its item tail stretched by 1.8.
const BIG = { ...PROFILES.medium, itemsPerProject: { p50: 36, p95: 720, max: 3600 } };
const METHODS = ['cascade_delete', 'chunked_delete', 'partition_drop'] as const;
type Method = (typeof METHODS)[number];

/**
 * The same starting state for every method: dirty pages written out and no autovacuum at work.
 * Otherwise a method inherits the background work of the one before it (a checkpoint flushing
 * gigabytes, an autovacuum woken by a million inserts) and is timed on that.
 */
async function quiesce(db: pg.Client): Promise<void> {
  await db.query('CHECKPOINT');
  for (let i = 0; i < 120; i++) {
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'`);
    if (rows[0]!.n === 0) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function deadTuples(db: pg.Client, runId: string): Promise<number> {
  const names = TEST_DATA_TABLES.map((t) => partitionName(t, runId));
  const { rows } = await db.query<{ n: string }>(`SELECT coalesce(sum(n_dead_tup), 0)::text AS n FROM pg_stat_user_tables WHERE relname = ANY($1)`, [names]);
  return Number(rows[0]!.n);
}

await withBackend(settings, async ({ client }) => {
  const db = new pg.Client({ connectionString: dbUrl, application_name: 'bench-cleanup' });
  await db.connect();
  const base = mintRunId();
  const other = `${base}-other`;
  const runs: string[] = [other];
  try {
    console.log('bench:cleanup: seeding the other run (small profile)…');
    await generateDataset(client, { seed: 'cleanup-other', runId: other, ttlSeconds: 3600, profile: 'small', knobs: PROFILES.small });
    const otherDigest = await digestRun(dbUrl, other);
    const results = {} as Record<Method, { seconds: number; ratio: number; otherRunIntact: boolean; inUse: boolean; rows: number; seedSeconds: number }>;
    const seeds: number[] = [];

    for (const method of METHODS) {
      const runId = `${base}-${method.replace('_', '-')}`;
      runs.push(runId);
      const seeded = await generateDataset(client, { seed: 'cleanup-big', runId, ttlSeconds: 3600, profile: 'custom', knobs: BIG });
      const rows = sumRows(seeded.rows);
      seeds.push(seeded.seconds);
      await quiesce(db);
      const started = performance.now();
      if (method === 'cascade_delete') await db.query(`DELETE FROM accounts WHERE test_run_id = $1`, [runId]);
      else if (method === 'chunked_delete') await deleteChunked(db, { runId });
      else await client.cleanup(runId);
      const seconds = (performance.now() - started) / 1000;

      const left = total(await censusInDatabase(dbUrl, runId));
      if (left !== 0) throw new Error(`${method} left ${left} rows of ${runId}`);
      const intact = JSON.stringify(await digestRun(dbUrl, other)) === JSON.stringify(otherDigest) && (await deadTuples(db, other)) === 0;
      results[method] = {
        seconds: +seconds.toFixed(3),
        ratio: +(seconds / seeded.seconds).toFixed(4),
        otherRunIntact: intact,
        inUse: method === 'partition_drop',
        rows,
        seedSeconds: +seeded.seconds.toFixed(2),
      };
      console.log(
        `  ${method}: ${rows} rows seeded in ${seeded.seconds.toFixed(1)} s, removed in ${seconds.toFixed(3)} s (${((100 * seconds) / seeded.seconds).toFixed(2)}% of seeding); other run intact: ${intact}`,
      );
      await client.cleanup(runId); // drops the emptied partitions of the delete methods
    }

    const seedSeconds = +(seeds.reduce((a, b) => a + b, 0) / seeds.length).toFixed(2);
    const out = { seedSeconds, methods: results, notes: "each method removes a freshly seeded run; ratio = cleanup seconds / that run's seed seconds; seedSeconds is their mean" };
    writeJson('bench-results/cleanup.json', out);
    const inUse = results.partition_drop;
    console.log(`  in use: partition_drop at ${(inUse.ratio * 100).toFixed(2)}% of seed time (target <= 5%), other run intact: ${inUse.otherRunIntact}`);
    console.log('  wrote bench-results/cleanup.json');
  } finally {
    for (const r of runs) await client.cleanup(r).catch(() => {});
    await db.end();
  }
});
