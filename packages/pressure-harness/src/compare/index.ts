/** The package's `pressure-harness/compare` entry. */
export * from './compare.js';
export * from './format.js';
export * from './pg.js';
export * from './probe.js';
export * from './rules.js';
export * from './stats.js';
export * from './sequential.js';
