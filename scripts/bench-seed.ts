/**
 * npm run bench:seed [-- --profile medium]
 *
 * Seeds the profile through the backend's endpoints, exactly as a run does (generation
 * included), then, in the same process and on the same database, writes the very same rows by
 * raw COPY into a scratch schema whose tables have the same columns, checks and indexes (no
 * foreign keys: COPY's best case). Also saves the dataset and times restoring it.
 * Writes bench-results/seed.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { Readable, Writable } from 'node:stream';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { mintRunId, SEED_PROFILES, type SeedProfile } from '../config/settings.js';
import { datasetName, generateThenSend, restoreDataset, sumRows } from '../seed/dataset.js';
import { resolveKnobs } from '../seed/profiles.js';
import { failAndExit, flagsOrExit, settingsOrExit, withBackend } from './backend.js';

const TABLES = ['accounts', 'api_tokens', 'projects', 'items', 'comments', 'attachments', 'tags', 'item_tags'];
const settings = settingsOrExit();
const flags = flagsOrExit('bench:seed', { profile: { type: 'string' } }, 'npm run bench:seed -- [--profile smoke|small|medium|large]');
const profile = (flags.profile ?? 'medium') as SeedProfile;
if (!SEED_PROFILES.includes(profile)) failAndExit('bench:seed', `--profile must be one of ${SEED_PROFILES.join(' | ')}, got ${JSON.stringify(flags.profile)}`);
if (!settings.verifyDatabaseUrl) failAndExit('bench:seed', 'needs the backend database for the COPY baseline: set DATABASE_URL');
const knobs = resolveKnobs(profile);
const seed = settings.seed;

await withBackend(settings, async ({ client }) => {
  const runId = `${mintRunId()}-bench`;
  const restoredRun = `${runId}-restored`;
  const db = new pg.Client({ connectionString: settings.verifyDatabaseUrl, application_name: 'bench-seed' });
  await db.connect();
  try {
    console.log(`bench:seed: ${profile} profile (${knobs.accounts} accounts) through the endpoints…`);
    const ds = await generateThenSend(client, { seed, runId, ttlSeconds: 3600, profile, knobs });
    const rows = sumRows(ds.rows);
    const rowsPerSec = rows / ds.sendSeconds;
    console.log(`  generation (client, faker): ${ds.generateSeconds.toFixed(2)} s`);
    console.log(`  endpoints: ${rows} rows in ${ds.sendSeconds.toFixed(2)} s = ${Math.round(rowsPerSec)} rows/s`);

    // The same rows, read back (not timed), then written by COPY into look-alike tables (timed).
    await db.query('DROP SCHEMA IF EXISTS bench_copy CASCADE');
    await db.query('CREATE SCHEMA bench_copy');
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
    const copyStart = performance.now();
    for (const { table, data } of dumps) {
      await pipeline(Readable.from([data]), db.query(copyStreams.from(`COPY bench_copy.${table} FROM STDIN`)));
    }
    const copySeconds = (performance.now() - copyStart) / 1000;
    const copyRows = Number((await db.query(TABLES.map((t) => `SELECT count(*) FROM bench_copy.${t}`).join(' UNION ALL ').replace(/^/, 'SELECT sum(count)::int AS n FROM (') + ') c')).rows[0].n);
    if (copyRows !== rows) throw new Error(`COPY wrote ${copyRows} rows, the endpoints ${rows}: not the same rows`);
    const copyRowsPerSec = rows / copySeconds;
    console.log(`  raw COPY:  ${rows} rows in ${copySeconds.toFixed(2)} s = ${Math.round(copyRowsPerSec)} rows/s`);

    const name = datasetName(profile, seed, knobs);
    const saved = await client.saveDataset({ name, runId, profile, seed });
    const restored = await restoreDataset(client, { name, seed, runId: restoredRun, ttlSeconds: 3600, knobs });
    if (sumRows(restored.rows) !== rows) throw new Error(`restore wrote ${sumRows(restored.rows)} rows, the dataset has ${rows}`);
    console.log(`  restore:   ${rows} rows in ${restored.seconds.toFixed(2)} s (saved in ${(saved.ms / 1000).toFixed(2)} s)`);

    const result = {
      rows,
      rowsPerSec: Math.round(rowsPerSec),
      copyRowsPerSec: Math.round(copyRowsPerSec),
      ratio: +(rowsPerSec / copyRowsPerSec).toFixed(3),
      seconds: +ds.seconds.toFixed(2),
      generateSeconds: +ds.generateSeconds.toFixed(2),
      sendSeconds: +ds.sendSeconds.toFixed(2),
      profile,
      accounts: knobs.accounts,
      whales: ds.accounts.filter((a) => a.tier === 'whale').length,
      copySeconds: +copySeconds.toFixed(2),
      restoreSeconds: +restored.seconds.toFixed(2),
      restoreRatio: +(restored.seconds / ds.seconds).toFixed(3),
      notes:
        'rowsPerSec = rows / sendSeconds: the endpoints (HTTP, JSON, validation, set-based writes with foreign keys, server-side whale generation); ' +
        'client-side generation is timed apart (generateSeconds) and included in seconds. COPY targets tables with the same checks and indexes, no foreign keys.',
    };
    mkdirSync('bench-results', { recursive: true });
    writeFileSync('bench-results/seed.json', `${JSON.stringify(result, null, 2)}\n`);
    console.log(`  ratio endpoints/COPY = ${result.ratio} (target >= 0.5); restore/generate = ${result.restoreRatio} (target < 0.2)`);
    console.log('  wrote bench-results/seed.json');
  } finally {
    await db.query('DROP SCHEMA IF EXISTS bench_copy CASCADE').catch(() => {});
    await db.end();
    await client.cleanup(runId);
    await client.cleanup(restoredRun);
  }
});
