/** The package's `pressure-harness/fuzz` entry. */
export * from './openapi.js';
