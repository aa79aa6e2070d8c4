/** The package's `pressure-harness/pg` entry. */
export * from './evidence.js';
export * from './statements.js';
export * from './url.js';
export * from './schema.js';
export * from './environment.js';
export * from './parity.js';
export * from './shape.js';
export * from './subset.js';
export * from './columns.js';
