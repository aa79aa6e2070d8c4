/**
 * A suite's comparison rules: `<budgets folder>/compare.ts` exporting `comparison`, a partial
 * CompareRules laid over the defaults field by field (a suite that sets shift.minRatio keeps the
 * other shift defaults). The perf fixture (against a baseline) and perf:compare read the same.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type CompareRules, DEFAULT_RULES } from './compare.js';

export function mergeRules(own: Partial<CompareRules>): CompareRules {
  const d = DEFAULT_RULES;
  return {
    ...d,
    ...own,
    shift: { ...d.shift, ...own.shift },
    counts: { ...d.counts, ...own.counts },
    bytes: { ...d.bytes, ...own.bytes },
    errors: { ...d.errors, ...own.errors },
    singles: { ...d.singles, ...own.singles },
    memory: { ...d.memory!, ...own.memory },
    queues: { ...d.queues!, ...own.queues },
    pg: { ...d.pg, ...own.pg, growth: { ...d.pg.growth, ...own.pg?.growth }, perCall: { ...d.pg.perCall, ...own.pg?.perCall }, minDelta: { ...d.pg.minDelta, ...own.pg?.minDelta } },
  };
}

export async function loadCompareRules(budgetsDir: string): Promise<CompareRules> {
  const file = path.resolve(budgetsDir, 'compare.ts');
  if (!existsSync(file)) return DEFAULT_RULES;
  const m = (await import(pathToFileURL(file).href)) as { comparison?: Partial<CompareRules> };
  return mergeRules(m.comparison ?? {});
}
