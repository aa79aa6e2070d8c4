/**
 * What bench:seed and bench:scale measure of one dataset: seeding it through the endpoints (as
 * dataset:save does, generation included), the same rows by raw COPY, restoring the saved
 * dataset as a run does, and its bytes on disk.
 *
 * The raw-COPY baseline: the rows the run wrote, dumped with COPY TO and written back with one
 * COPY FROM per table into a scratch schema whose tables have the same columns, checks and
 * indexes (no foreign keys: COPY's best case), timed on the write only.
 *
 * With `rounds` > 1 the two are measured in alternation, seed then COPY of its rows, round after
 * round, and the ratio is each round's own, the median kept: the same raw COPY took 3.2 s in one
 * run and 3.9 s in the next here (the kernel writing back dirty pages), and a ratio of one seed
 * against COPYs timed a minute later carried that drift (0.83 to 1.09 in three runs). One round
 * (bench:scale's xl, a minute a seed) takes the median of three COPYs instead.
 */
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { adminQuery, withDatabase } from '../app/db/clone.js';
import { TEST_DATA_TABLES } from '../app/sql/tables.js';
import { censusInDatabase, dropDatabase, total } from 'pressure-harness/seed';
import type { Settings } from '../config/settings.js';
import { sumRows } from '../seed/dataset.js';
import type { DatasetKnobs } from '../seed/profiles.js';
import { saveDataset, saveOptionsOf } from './datasets.js';
import copyStreams from 'pg-copy-streams';

/**
 * Before each timed write: PostgreSQL's dirty buffers written out (CHECKPOINT) and the kernel's
 * written to disk (sync), so that a measurement does not pay for the writeback of the one before
 * it. Without it a COPY timed right after a seed took 3.2 to 3.9 s; with it three in a row agreed
 * within 0.1 s. (Seeds after the first stayed slower by up to 0.6 s with it too: that is not
 * writeback, and the median of the rounds' ratios is what absorbs it.)
 */
async function settle(run: (sql: string) => Promise<unknown>): Promise<void> {
  await run('CHECKPOINT');
  execFileSync('sync');
}

/** Median seconds that one COPY per table takes to write the run's `rows` rows again; checks it wrote them all. */
export async function copyBaseline(db: pg.Client, runId: string, rows: number, tries = 3): Promise<number> {
  await db.query('DROP SCHEMA IF EXISTS bench_copy CASCADE');
  await db.query('CREATE SCHEMA bench_copy');
  try {
    // Kept as the chunks COPY TO gave them: one Buffer of a big table could pass Node's limit.
    const dumps: { table: string; chunks: Buffer[] }[] = [];
    for (const table of TEST_DATA_TABLES) {
      // Autovacuum off, as on a run's partitions during a bulk load: the two write the same way.
      await db.query(`CREATE TABLE bench_copy.${table} (LIKE public.${table} INCLUDING ALL EXCLUDING IDENTITY) WITH (autovacuum_enabled = false)`);
      const chunks: Buffer[] = [];
      await pipeline(db.query(copyStreams.to(`COPY (SELECT * FROM public.${table} WHERE test_run_id = '${runId}') TO STDOUT`)), new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c), cb()) }));
      dumps.push({ table, chunks });
    }
    const times: number[] = [];
    for (let t = 0; t < tries; t++) {
      for (const { table } of dumps) await db.query(`TRUNCATE bench_copy.${table}`);
      await settle((sql) => db.query(sql));
      const started = performance.now();
      let copied = 0;
      for (const { table, chunks } of dumps) {
        const copy = db.query(copyStreams.from(`COPY bench_copy.${table} FROM STDIN`));
        await pipeline(Readable.from(chunks), copy);
        copied += Number(copy.rowCount ?? 0);
      }
      times.push((performance.now() - started) / 1000);
      if (copied !== rows) throw new Error(`COPY wrote ${copied} rows, the endpoints ${rows}: not the same rows`);
    }
    return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
  } finally {
    await db.query('DROP SCHEMA IF EXISTS bench_copy CASCADE');
  }
}

/** Seconds to clone the saved dataset as a run restores it; checks the clone holds every row of the run it was made by, then drops it. */
export async function timeRestore(serverUrl: string, template: string, runId: string, rows: number): Promise<number> {
  const clone = `${template}_bench_restore`;
  await dropDatabase(serverUrl, clone);
  const started = performance.now();
  await adminQuery(serverUrl, `CREATE DATABASE ${clone} TEMPLATE ${template} STRATEGY FILE_COPY`);
  const seconds = (performance.now() - started) / 1000;
  try {
    const restored = total(await censusInDatabase(withDatabase(serverUrl, clone), runId));
    if (restored !== rows) throw new Error(`the restored database holds ${restored} rows, the dataset ${rows}`);
  } finally {
    await dropDatabase(serverUrl, clone);
  }
  return seconds;
}

/** Bytes the saved dataset's database takes on disk. */
export async function databaseBytes(serverUrl: string, database: string): Promise<number> {
  return Number((await adminQuery<{ b: string }>(serverUrl, `SELECT pg_database_size($1)::text AS b`, [database])).rows[0]!.b);
}

export type DatasetMeasure = {
  profile: string;
  rows: number;
  accounts: number;
  whales: number;
  /** The seed through the endpoints, generation included (the median round's). */
  seconds: number;
  copySeconds: number;
  /** Raw COPY's seconds over the endpoints', the median of the rounds' own ratios. */
  ratio: number;
  /** Each round: its seed, the COPY of its rows right after, their ratio. */
  rounds: { seconds: number; copySeconds: number; ratio: number }[];
  restoreSeconds: number;
  bytes: number;
  template: string;
};

/** Seeds and saves the profile through the endpoints, times raw COPY of the same rows (rounds alternating, see above) and a restore. */
export async function measureDataset(settings: Settings, profile: string, knobs: DatasetKnobs, rounds = 1): Promise<DatasetMeasure> {
  const measured: DatasetMeasure['rounds'] = [];
  let runId = '';
  let ds: Awaited<ReturnType<typeof saveDataset>> | undefined;
  for (let r = 0; r < rounds; r++) {
    let copySeconds = 0;
    await settle((sql) => adminQuery(settings.verifyDatabaseUrl!, sql));
    ds = await saveDataset({
      ...saveOptionsOf(settings),
      profile,
      seed: settings.seed,
      knobs,
      log: (m) => console.log(`  ${rounds > 1 ? `round ${r + 1}/${rounds}: ` : ''}${m}`),
      beforeSave: async (db, seeded) => {
        console.log(`  seeded ${sumRows(seeded.rows).toLocaleString('en-US')} rows in ${seeded.seconds.toFixed(2)} s; timing raw COPY of the same rows…`);
        runId = seeded.runId;
        copySeconds = await copyBaseline(db, seeded.runId, sumRows(seeded.rows), rounds > 1 ? 1 : 3);
      },
    });
    measured.push({ seconds: ds.seconds, copySeconds, ratio: copySeconds / ds.seconds });
  }
  const median = measured[[...measured.keys()].sort((a, b) => measured[a]!.ratio - measured[b]!.ratio)[Math.floor(rounds / 2)]!]!;
  const rows = sumRows(ds!.rows);
  const server = settings.verifyDatabaseUrl!;
  const restoreSeconds = await timeRestore(server, ds!.template, runId, rows);
  return {
    profile,
    rows,
    accounts: ds!.accounts.length,
    whales: ds!.accounts.filter((a) => a.tier === 'whale').length,
    seconds: median.seconds,
    copySeconds: median.copySeconds,
    ratio: median.ratio,
    rounds: measured.map((m) => ({ seconds: +m.seconds.toFixed(2), copySeconds: +m.copySeconds.toFixed(2), ratio: +m.ratio.toFixed(3) })),
    restoreSeconds,
    bytes: await databaseBytes(server, ds!.template),
    template: ds!.template,
  };
}
