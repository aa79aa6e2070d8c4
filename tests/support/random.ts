/**
 * Standard normal draws for the unit tests' synthetic data: one helper, where four files each
 * wrote their own. Box–Muller over a named seedrandom stream, so the same name draws the same
 * numbers as it did in each of them.
 */
import seedrandom from 'seedrandom';

export function normals(seed: string): () => number {
  const r = seedrandom(seed);
  return () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}
