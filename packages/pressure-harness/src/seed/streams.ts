/**
 * Deterministic randomness. Every value comes from a named stream derived from the root seed
 * and a path (`"accounts/3/projects"`), so drawing more from one stream never shifts another:
 * adding an account, or a comment to one item, changes nothing else in the dataset.
 *
 * Never use Date.now() or Math.random() in generated values.
 */
import type { Faker } from '@faker-js/faker';
import { faker as english } from '@faker-js/faker/locale/en';
import seedrandom from 'seedrandom';

/** All relative dates (`faker.date.recent`, …) count back from here, not from today. */
export const REFERENCE_DATE = '2025-01-01T00:00:00.000Z';

export type Stream = () => number;

/** A named, independent stream of floats in [0, 1). */
export function stream(rootSeed: string, name: string): Stream {
  return seedrandom.alea(`${rootSeed}:${name}`);
}

// The English entry alone: the package's index loads every locale (130 ms against 18 here), in
// every seed worker as it starts. Its definitions are en merged over base, as [en, base] gives.
const FakerClass = english.constructor as typeof Faker;
const EN_BASE = english.rawDefinitions;

export function fakerFor(rootSeed: string, name: string): Faker {
  let next = stream(rootSeed, name);
  const faker = new FakerClass({
    locale: EN_BASE,
    randomizer: {
      next: () => next(),
      seed: (s) => {
        next = stream(rootSeed, `${name}#${Array.isArray(s) ? s.join(',') : s}`);
      },
    },
  });
  faker.setDefaultRefDate(REFERENCE_DATE);
  return faker;
}

/** Integer in [min, max], from a stream. */
export function intBetween(s: Stream, min: number, max: number): number {
  return min + Math.floor(s() * (max - min + 1));
}
