/**
 * Dataset profiles: named sets of knobs, chosen with SEED_PROFILE and overridable knob by knob
 * (SEED_ACCOUNTS, SEED_PROJECT_TIERS, SEED_ITEMS_P50, …; see .env.example).
 *
 * The design's default shape is `large`: 90% of accounts with 1–5 projects, 9% with 6–50, 1%
 * whales with 200–1000; items per project with median 50 and p95 5,000. Smaller profiles keep
 * the same account tiers and scale the item tail down so they fit their purpose on a 2-core box.
 */
import { createHash } from 'node:crypto';
import type { LogNormal, Tier } from 'pressure-harness/seed';

export const SEED_PROFILES = ['smoke', 'small', 'medium', 'xl', 'large'] as const;
export type SeedProfile = (typeof SEED_PROFILES)[number];

export type DatasetKnobs = {
  accounts: number;
  projectsPerAccount: Tier[];
  itemsPerProject: LogNormal;
  /** Share of items with attachments: the design's levels are 0, 0.05 and 0.25. */
  attachmentRate: number;
  /** Longest reply chain in an item's thread: 0 (no comments), 2, or 20. */
  commentDepth: number;
  tagsPerItem: number;
};

export const WHALE_TIERS: Tier[] = [
  { label: 'small', share: 0.9, min: 1, max: 5 }, // 90% of accounts
  { label: 'mid', share: 0.09, min: 6, max: 50 }, //  9%
  { label: 'whale', share: 0.01, min: 200, max: 1000 }, //  1%: the whales
];

export const PROFILES: Record<SeedProfile, DatasetKnobs> = {
  smoke: {
    accounts: 3,
    projectsPerAccount: [{ label: 'small', share: 1, min: 1, max: 3 }],
    itemsPerProject: { p50: 5, p95: 20, max: 50 },
    attachmentRate: 0.05,
    commentDepth: 2,
    tagsPerItem: 2,
  },
  small: { accounts: 10, projectsPerAccount: WHALE_TIERS, itemsPerProject: { p50: 10, p95: 100, max: 500 }, attachmentRate: 0.05, commentDepth: 2, tagsPerItem: 3 },
  medium: { accounts: 100, projectsPerAccount: WHALE_TIERS, itemsPerProject: { p50: 20, p95: 400, max: 2000 }, attachmentRate: 0.05, commentDepth: 2, tagsPerItem: 3 },
  // Ten times medium, what this 2-core machine seeds, saves and restores (npm run bench:scale):
  // the design's tiers, three whales of about a million rows each, items per project p95 2,500.
  xl: { accounts: 300, projectsPerAccount: WHALE_TIERS, itemsPerProject: { p50: 30, p95: 2500, max: 8000 }, attachmentRate: 0.05, commentDepth: 2, tagsPerItem: 3 },
  large: { accounts: 1000, projectsPerAccount: WHALE_TIERS, itemsPerProject: { p50: 50, p95: 5000, max: 20000 }, attachmentRate: 0.05, commentDepth: 2, tagsPerItem: 3 },
};

export type KnobOverrides = Partial<Omit<DatasetKnobs, 'itemsPerProject'>> & { itemsPerProject?: Partial<LogNormal> };

/** The profile with the overrides applied, checked as a whole (p50 <= p95 <= max). */
export function resolveKnobs(profile: SeedProfile, o: KnobOverrides = {}): DatasetKnobs {
  const base = PROFILES[profile];
  const knobs: DatasetKnobs = {
    ...base,
    ...Object.fromEntries(Object.entries(o).filter(([k, v]) => v !== undefined && k !== 'itemsPerProject')),
    itemsPerProject: { ...base.itemsPerProject, ...Object.fromEntries(Object.entries(o.itemsPerProject ?? {}).filter(([, v]) => v !== undefined)) },
  };
  const { p50, p95, max } = knobs.itemsPerProject;
  if (!(p50 <= p95 && p95 <= max) || (p50 === 0 && p95 > 0)) {
    throw new Error(`seed knobs: items per project must satisfy 0 < p50 <= p95 <= max (or all 0), got p50=${p50} p95=${p95} max=${max} (profile "${profile}" with overrides)`);
  }
  return knobs;
}

/** A stable name for the dataset of (profile, seed, knobs): knobs changed, name changed. */
export function datasetName(profile: string, seed: string, knobs: DatasetKnobs): string {
  const digest = createHash('sha256').update(JSON.stringify({ seed, knobs })).digest('hex').slice(0, 10);
  return `${profile}-${digest}`;
}
