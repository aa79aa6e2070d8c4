/** The package's `pressure-harness/config` entry. */
export * from './settings.js';
export * from './use.js';
export * from './backend.js';
export * from './projects.js';
