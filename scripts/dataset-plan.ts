/**
 * npm run dataset:plan -- [--profile <p>] [--seed <s>]
 *
 * A dataset's plan alone, nothing written: accounts by tier, whales, rows per table, bytes on
 * disk and time at this machine's rate, checked against the seed budget and the free disk.
 * Exits 1 when it does not fit, naming the knob to change. The SEED_* knobs of .env apply.
 */
import { resolveKnobs, SEED_PROFILES, type SeedProfile } from '../seed/profiles.js';
import { formatPlan, planOf } from '../seed/plan.js';
import { failAndExit, flagsOrExit, settingsOrExit } from './backend.js';

const flags = flagsOrExit('dataset:plan', { profile: { type: 'string' }, seed: { type: 'string' } }, `npm run dataset:plan -- [--profile ${SEED_PROFILES.join('|')}] [--seed <seed>]`);
const settings = settingsOrExit();
const profile = (flags.profile ?? settings.seedProfile) as SeedProfile;
if (!(SEED_PROFILES as readonly string[]).includes(profile)) failAndExit('dataset:plan', `--profile must be one of ${SEED_PROFILES.join(' | ')}, got ${JSON.stringify(flags.profile)}`);
// The profile's knobs; the SEED_* overrides only apply to the profile they were set with.
const knobs = flags.profile && flags.profile !== settings.seedProfile ? resolveKnobs(profile) : settings.dataset;
const plan = planOf(profile, flags.seed ?? settings.seed, knobs, { maxRows: settings.datasetLimits.maxRows, ...(settings.datasetLimits.dataDir && { dataDir: settings.datasetLimits.dataDir }) });
console.log(formatPlan(plan));
process.exit(plan.problems.length ? 1 : 0);
