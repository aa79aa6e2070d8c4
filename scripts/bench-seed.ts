/**
 * npm run bench:seed [-- --profile medium] [--rounds 5]
 *
 * 1. Seeds the profile through the backend's endpoints, as dataset:save does: rows generated on
 *    worker threads while earlier ones are written, the time counted from the first account to
 *    the final foreign-key check (generation included).
 * 2. In the same process and database, writes the very same rows by raw COPY into a scratch
 *    schema whose tables have the same columns, checks and indexes (no foreign keys: COPY's
 *    best case).
 *    Rounds of the two alternate (seed, COPY, seed, COPY, …) and the ratio is the median of
 *    the rounds' own: the machine's drift between a seed and COPYs a minute later was larger
 *    than the gap measured (scripts/measure-dataset.ts).
 * 3. Saves the dataset and times restoring it the way a run does (a clone of its database).
 * Writes bench-results/seed.json.
 */
import { writeJson } from 'pressure-harness/report';
import { SEED_PROFILES, type SeedProfile } from '../config/settings.js';
import { resolveKnobs } from '../seed/profiles.js';
import { failAndExit, flagsOrExit, settingsOrExit, withBackend } from './backend.js';
import { defaultThreads } from 'pressure-harness/seed';
import { measureDataset } from './measure-dataset.js';

const settings = settingsOrExit();
const flags = flagsOrExit('bench:seed', { profile: { type: 'string' }, rounds: { type: 'string' } }, `npm run bench:seed -- [--profile ${SEED_PROFILES.join('|')}] [--rounds 1-9]`);
const profile = (flags.profile ?? 'medium') as SeedProfile;
if (!SEED_PROFILES.includes(profile)) failAndExit('bench:seed', `--profile must be one of ${SEED_PROFILES.join(' | ')}, got ${JSON.stringify(flags.profile)}`);
if (!settings.startApp || !settings.verifyDatabaseUrl) failAndExit('bench:seed', 'runs against app/ and its database: leave BASE_URL unset');
const rounds = Number(flags.rounds ?? 5);
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 9) failAndExit('bench:seed', `--rounds must be a whole number from 1 to 9, got ${JSON.stringify(flags.rounds)}`);
const knobs = resolveKnobs(profile);

await withBackend(settings, async () => {
  console.log(`bench:seed: ${profile} profile (${knobs.accounts} accounts)`);
  const m = await measureDataset(settings, profile, knobs, rounds);
  const rowsPerSec = m.rows / m.seconds;
  const copyRowsPerSec = m.rows / m.copySeconds;
  console.log(`  endpoints: ${m.rows} rows in ${m.seconds.toFixed(2)} s = ${Math.round(rowsPerSec)} rows/s (generation included)`);
  console.log(`  raw COPY:  ${m.rows} rows in ${m.copySeconds.toFixed(2)} s = ${Math.round(copyRowsPerSec)} rows/s (${rounds > 1 ? 'right after that seed' : 'median of 3'})`);
  if (rounds > 1) console.log(`  rounds (seed, COPY, ratio): ${m.rounds.map((r) => `${r.seconds} s, ${r.copySeconds} s, ${r.ratio}`).join('; ')}`);
  console.log(`  restore:   ${m.rows} rows in ${m.restoreSeconds.toFixed(2)} s; ${(m.bytes / 1e6).toFixed(0)} MB on disk`);

  const result = {
    rows: m.rows,
    rowsPerSec: Math.round(rowsPerSec),
    copyRowsPerSec: Math.round(copyRowsPerSec),
    ratio: +m.ratio.toFixed(3),
    rounds: m.rounds,
    seconds: +m.seconds.toFixed(2),
    profile,
    accounts: m.accounts,
    whales: m.whales,
    generatorThreads: defaultThreads(),
    copySeconds: +m.copySeconds.toFixed(2),
    restoreSeconds: +m.restoreSeconds.toFixed(2),
    restoreRatio: +(m.restoreSeconds / m.seconds).toFixed(3),
    bytesOnDisk: m.bytes,
    bytesPerRow: Math.round(m.bytes / m.rows),
    notes:
      'rowsPerSec = rows / seconds: the whole seed through the endpoints, generation included (faker text banks, rows made on worker threads while ' +
      'earlier chunks are written by the bulk endpoints as COPY into the run partitions, then every foreign key checked set-based). ' +
      'COPY: the same rows by one raw COPY per table into tables with the same checks and indexes, no foreign keys. ' +
      "With rounds > 1, seed and COPY alternate (each round seeds a fresh database, then COPYs its rows): ratio is the median of the rounds' own ratios, seconds and copySeconds that round's. " +
      'restoreSeconds: CREATE DATABASE … TEMPLATE of the saved dataset, as a run restores it. bytesOnDisk: the saved database, vacuumed and analysed.',
  };
  writeJson('bench-results/seed.json', result);
  console.log(`  ratio endpoints/COPY = ${result.ratio} (target >= 0.9); restore/generate = ${result.restoreRatio} (target < 0.2)`);
  console.log('  wrote bench-results/seed.json');
});
