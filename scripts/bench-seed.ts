/**
 * npm run bench:seed [-- --profile medium]
 *
 * 1. Seeds the profile through the backend's endpoints, as dataset:save does (request bodies
 *    are generated first and timed apart: the ratio is about the endpoints).
 * 2. In the same process and database, writes the very same rows by raw COPY into a scratch
 *    schema whose tables have the same columns, checks and indexes (no foreign keys: COPY's
 *    best case).
 * 3. Saves the dataset and times restoring it the way a run does (a clone of its database).
 * Writes bench-results/seed.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { withDatabase } from '../app/db/clone.js';
import { SEED_PROFILES, type SeedProfile } from '../config/settings.js';
import { sumRows } from '../seed/dataset.js';
import { resolveKnobs } from '../seed/profiles.js';
import { failAndExit, flagsOrExit, settingsOrExit, withBackend } from './backend.js';
import { adminQuery } from '../app/db/clone.js';
import { saveDataset, saveOptionsOf } from './datasets.js';

const TABLES = ['accounts', 'api_tokens', 'projects', 'items', 'comments', 'attachments', 'tags', 'item_tags'];
const settings = settingsOrExit();
const flags = flagsOrExit('bench:seed', { profile: { type: 'string' } }, 'npm run bench:seed -- [--profile smoke|small|medium|large]');
const profile = (flags.profile ?? 'medium') as SeedProfile;
if (!SEED_PROFILES.includes(profile)) failAndExit('bench:seed', `--profile must be one of ${SEED_PROFILES.join(' | ')}, got ${JSON.stringify(flags.profile)}`);
if (!settings.startApp || !settings.verifyDatabaseUrl) failAndExit('bench:seed', 'runs against app/ and its database: leave BASE_URL unset');
const knobs = resolveKnobs(profile);

async function copyBaseline(db: pg.Client, runId: string, rows: number): Promise<number> {
  await db.query('DROP SCHEMA IF EXISTS bench_copy CASCADE');
  await db.query('CREATE SCHEMA bench_copy');
  try {
    const dumps: { table: string; data: Buffer }[] = [];
    for (const table of TABLES) {
      await db.query(`CREATE TABLE bench_copy.${table} (LIKE public.${table} INCLUDING ALL EXCLUDING IDENTITY)`);
      const chunks: Buffer[] = [];
      await pipeline(
        db.query(copyStreams.to(`COPY (SELECT * FROM public.${table} WHERE test_run_id = '${runId}') TO STDOUT`)),
        new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c), cb()) }),
      );
      dumps.push({ table, data: Buffer.concat(chunks) });
    }
    const started = performance.now();
    for (const { table, data } of dumps) await pipeline(Readable.from([data]), db.query(copyStreams.from(`COPY bench_copy.${table} FROM STDIN`)));
    const seconds = (performance.now() - started) / 1000;
    const copied = (await db.query<{ n: number }>(`SELECT (${TABLES.map((t) => `(SELECT count(*) FROM bench_copy.${t})`).join(' + ')})::int AS n`)).rows[0]!.n;
    if (copied !== rows) throw new Error(`COPY wrote ${copied} rows, the endpoints ${rows}: not the same rows`);
    return seconds;
  } finally {
    await db.query('DROP SCHEMA IF EXISTS bench_copy CASCADE');
  }
}

await withBackend(settings, async () => {
  let copySeconds = 0;
  console.log(`bench:seed: ${profile} profile (${knobs.accounts} accounts)`);
  const ds = await saveDataset({
    ...saveOptionsOf(settings),
    profile,
    seed: settings.seed,
    knobs,
    beforeSave: async (db, seeded) => {
      copySeconds = await copyBaseline(db, seeded.runId, sumRows(seeded.rows));
    },
  });
  const rows = sumRows(ds.rows);
  const rowsPerSec = rows / ds.sendSeconds;
  const copyRowsPerSec = rows / copySeconds;
  console.log(`  generation (client, faker): ${ds.generateSeconds.toFixed(2)} s`);
  console.log(`  endpoints: ${rows} rows in ${ds.sendSeconds.toFixed(2)} s = ${Math.round(rowsPerSec)} rows/s`);
  console.log(`  raw COPY:  ${rows} rows in ${copySeconds.toFixed(2)} s = ${Math.round(copyRowsPerSec)} rows/s`);

  // Restore as a run does: clone the dataset's database, then check it holds every row.
  const clone = `${ds.template}_bench_restore`;
  const base = settings.verifyDatabaseUrl!;
  await adminQuery(base, `DROP DATABASE IF EXISTS ${clone} WITH (FORCE)`);
  const started = performance.now();
  await adminQuery(base, `CREATE DATABASE ${clone} TEMPLATE ${ds.template} STRATEGY FILE_COPY`);
  const restoreSeconds = (performance.now() - started) / 1000;
  const check = new pg.Client({ connectionString: withDatabase(base, clone) });
  await check.connect();
  const restored = (await check.query<{ n: number }>(`SELECT (${TABLES.map((t) => `(SELECT count(*) FROM ${t})`).join(' + ')})::int AS n`)).rows[0]!.n;
  await check.end();
  await adminQuery(base, `DROP DATABASE IF EXISTS ${clone} WITH (FORCE)`);
  if (restored !== rows) throw new Error(`the restored database holds ${restored} rows, the dataset ${rows}`);
  console.log(`  restore:   ${rows} rows in ${restoreSeconds.toFixed(2)} s (generating took ${ds.seconds.toFixed(2)} s)`);

  const result = {
    rows,
    rowsPerSec: Math.round(rowsPerSec),
    copyRowsPerSec: Math.round(copyRowsPerSec),
    ratio: +(rowsPerSec / copyRowsPerSec).toFixed(3),
    seconds: +ds.seconds.toFixed(2),
    profile,
    accounts: knobs.accounts,
    whales: ds.accounts.filter((a) => a.tier === 'whale').length,
    generateSeconds: +ds.generateSeconds.toFixed(2),
    sendSeconds: +ds.sendSeconds.toFixed(2),
    copySeconds: +copySeconds.toFixed(2),
    restoreSeconds: +restoreSeconds.toFixed(2),
    restoreRatio: +(restoreSeconds / ds.seconds).toFixed(3),
    notes:
      'rowsPerSec = rows / sendSeconds: the endpoints (HTTP, JSON, validation, set-based writes with foreign keys, server-side whale generation); ' +
      'client-side generation is timed apart (generateSeconds) and included in seconds. COPY targets tables with the same checks and indexes, no foreign keys. ' +
      'restoreSeconds: CREATE DATABASE … TEMPLATE of the saved dataset, as a run restores it.',
  };
  mkdirSync('bench-results', { recursive: true });
  writeFileSync('bench-results/seed.json', `${JSON.stringify(result, null, 2)}\n`);
  console.log(`  ratio endpoints/COPY = ${result.ratio} (target >= 0.5); restore/generate = ${result.restoreRatio} (target < 0.2)`);
  console.log('  wrote bench-results/seed.json');
});
