/** The package's `pressure-harness/results` entry: the pure step that turns measurements into a scenario's result. */
export * from './assess.js';
export * from './merge.js';
