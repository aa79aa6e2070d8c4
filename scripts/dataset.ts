/**
 * npm run dataset:save -- --profile medium [--seed S]   generate a profile once and save it
 * npm run dataset:list                                  the saved datasets
 *
 * A saved dataset is keyed by profile, seed and knobs (SEED_* overrides count). Runs with the
 * same three restore it instead of generating it (SEED_DATASET=auto, the default).
 */
import { latestSchemaVersion } from '../app/db/migrate.js';
import { SEED_PROFILES, type SeedProfile } from '../config/settings.js';
import { sumRows } from '../seed/dataset.js';
import { resolveKnobs } from '../seed/profiles.js';
import { failAndExit, flagsOrExit, settingsOrExit, withBackend } from './backend.js';
import { listDatasets, saveDataset, saveOptionsOf } from './datasets.js';

const command = process.argv[2];
if (command !== 'save' && command !== 'list') failAndExit('dataset', `unknown command ${JSON.stringify(command)}; accepted: save, list`);
process.argv.splice(2, 1);

const settings = settingsOrExit();
if (!settings.startApp) failAndExit(`dataset:${command}`, 'saved datasets belong to app/ (BASE_URL must be unset): they are databases the app clones at start');
const usage = `npm run dataset:save -- [--profile ${SEED_PROFILES.join('|')}] [--seed <text>]`;
const flags = flagsOrExit(`dataset:${command}`, { profile: { type: 'string' }, seed: { type: 'string' } }, usage);
const profile = (flags.profile ?? settings.seedProfile) as SeedProfile;
if (!SEED_PROFILES.includes(profile)) failAndExit(`dataset:${command}`, `--profile must be one of ${SEED_PROFILES.join(' | ')}, got ${JSON.stringify(flags.profile)}`);
const seed = flags.seed ?? settings.seed;
// The profile's knobs with the same SEED_* overrides a run would apply.
const knobs = profile === settings.seedProfile ? settings.dataset : resolveKnobs(profile);

// The suite's app is started (or found) first: it brings up the embedded PostgreSQL.
await withBackend(settings, async () => {
  if (command === 'list') {
    for (const d of await listDatasets(settings)) {
      const stale = d.schemaVersion === latestSchemaVersion() ? '' : ` (stale: schema v${d.schemaVersion}, app at v${latestSchemaVersion()})`;
      console.log(`${d.name}  profile=${d.profile}  rows=${d.rows}  database=${d.database}${stale}`);
    }
    return;
  }
  const saved = await saveDataset({ ...saveOptionsOf(settings), profile, seed, knobs, log: console.log });
  console.log(`saved dataset ${saved.name} (database ${saved.template}): ${sumRows(saved.rows)} rows in ${saved.seconds.toFixed(1)} s`);
});
