/**
 * pressure-harness: what a suite's playwright.config.ts and specs need most, in one import.
 * The layers have their own entries (`pressure-harness/seed`, `/load`, `/budgets`, …); this one
 * gathers settings, the `test` to extend, and the budget grammar.
 */
export * from './config/index.js';
export * from './fixtures/index.js';
export { defineBudgets } from './budgets/define.js';
