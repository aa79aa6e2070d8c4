/**
 * npm run dataset:save -- --profile medium [--seed S]   seed a profile once and save it
 * npm run dataset:list                                  the saved datasets
 *
 * A saved dataset is keyed by profile, seed and knobs (SEED_* overrides count); runs with the
 * same three restore it instead of generating it (see fixtures/dataset.ts).
 */
import { mintRunId, SEED_PROFILES, type SeedProfile } from '../config/settings.js';
import { datasetName, generateDataset, sumRows } from '../seed/dataset.js';
import { resolveKnobs } from '../seed/profiles.js';
import { failAndExit, flagsOrExit, settingsOrExit, withBackend } from './backend.js';

const command = process.argv[2];
if (command !== 'save' && command !== 'list') failAndExit('dataset', `unknown command ${JSON.stringify(command)}; accepted: save, list`);
process.argv.splice(2, 1);

const settings = settingsOrExit();
const usage = 'npm run dataset:save -- [--profile smoke|small|medium|large] [--seed <text>]';
const flags = flagsOrExit(`dataset:${command}`, { profile: { type: 'string' }, seed: { type: 'string' } }, usage);
const profile = (flags.profile ?? settings.seedProfile) as SeedProfile;
if (!SEED_PROFILES.includes(profile)) failAndExit(`dataset:${command}`, `--profile must be one of ${SEED_PROFILES.join(' | ')}, got ${JSON.stringify(flags.profile)}`);
const seed = flags.seed ?? settings.seed;
// The profile's knobs, with the same SEED_* overrides a test run would apply.
const knobs = profile === settings.seedProfile ? settings.dataset : resolveKnobs(profile);

await withBackend(settings, async ({ client }) => {
  if (command === 'list') {
    const { schemaVersion, data } = await client.listDatasets();
    console.log(`schema version ${schemaVersion}`);
    for (const d of data) console.log(`${d.name}  profile=${d.profile}  schema=v${d.schemaVersion}${d.schemaVersion === schemaVersion ? '' : ' (stale)'}  rows=${sumRows(d.counts)}`);
    return;
  }
  const runId = `${mintRunId()}-ds`;
  const name = datasetName(profile, seed, knobs);
  let done = 0;
  console.log(`generating ${profile} (${knobs.accounts} accounts, seed "${seed}") as run ${runId}…`);
  try {
    const ds = await generateDataset(client, {
      seed,
      runId,
      ttlSeconds: 3600,
      profile,
      knobs,
      onAccount: () => {
        if (++done % 10 === 0 || done === knobs.accounts) process.stdout.write(`  ${done}/${knobs.accounts} accounts\r`);
      },
    });
    const saved = await client.saveDataset({ name, runId, profile, seed });
    console.log(`\nsaved dataset ${name}: ${sumRows(saved.rows)} rows, generated in ${ds.seconds.toFixed(1)} s, saved in ${(saved.ms / 1000).toFixed(1)} s`);
  } finally {
    await client.cleanup(runId);
  }
});
