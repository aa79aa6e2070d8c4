/** The package's `pressure-harness/lifecycle` entry. */
export * from './capabilities.js';
export * from './run.js';
