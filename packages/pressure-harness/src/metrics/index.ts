/** The package's `pressure-harness/metrics` entry. */
export * from './builtin.js';
export * from './evidence.js';
export * from './registry.js';
