/** The package's `pressure-harness/report` entry. */
export * from './charts.js';
export * from './meta.js';
export * from './outcome.js';
export * from './pg.js';
export * from './render.js';
export * from './results.js';
export * from './scenario.js';
export * from './summary.js';
export * from './tables.js';
export * from './figures.js';
