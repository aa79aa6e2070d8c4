/** The package's `pressure-harness/init` entry: what `pressure init` writes a suite from. */
export * from './model.js';
export * from './routes.js';
export * from './write.js';
