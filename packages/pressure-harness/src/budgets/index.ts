/** The package's `pressure-harness/budgets` entry. */
export * from './baselines.js';
export * from './define.js';
export * from './discover.js';
