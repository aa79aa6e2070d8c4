/** The package's `pressure-harness/contract` entry. */
export * from './check.js';
export * from './env.js';
export * from './protocol.js';
