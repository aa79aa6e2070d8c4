/** The package's `pressure-harness/load` entry. */
export * from './client-health.js';
export * from './engine.js';
export * from './histogram.js';
export * from './ramp.js';
export * from './report.js';
export * from './serialize.js';
export * from './signals.js';
export * from './variants.js';
