/**
 * All budgets of the suite, by scenario id. A perf test asks for its own id; an id with no
 * budget, or a budget whose id no test records, is an error, never a silent pass.
 */
import asyncWork from './async.budgets.js';
import dashboard from './dashboard.budgets.js';
import items from './items.budgets.js';
import mix from './mix.budgets.js';
import type { Budgets, ScenarioBudget } from './define.js';

const files: Budgets[] = [dashboard, items, asyncWork, mix];

export const ALL_BUDGETS: Budgets = Object.freeze(
  files.reduce<Record<string, ScenarioBudget>>((all, f) => {
    for (const [id, b] of Object.entries(f)) {
      if (all[id]) throw new Error(`budgets: scenario "${id}" is defined in more than one budget file`);
      all[id] = b;
    }
    return all;
  }, {}),
);

export function budgetFor(id: string): ScenarioBudget {
  const b = ALL_BUDGETS[id];
  if (!b) throw new Error(`no budget for scenario "${id}"; defined: ${Object.keys(ALL_BUDGETS).join(', ')}. Add one under budgets/.`);
  return b;
}
