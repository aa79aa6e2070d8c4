/**
 * Budgets are found, not registered: every `*.budgets.ts` file under a suite's budgets folder
 * (recursively) default-exports defineBudgets({...}), and a scenario id may be defined in one
 * file only. A suite adds a budget file and nothing else; no index to edit.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Budgets, ScenarioBudget } from './define.js';

export const BUDGET_FILE = /\.budgets\.ts$/;

/** `*.budgets.ts` files under `dir`, sorted, relative paths included: a glob without a glob library's weight. */
export function budgetFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) {
        if (name !== 'node_modules' && !name.startsWith('.')) walk(p);
      } else if (BUDGET_FILE.test(name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

export type SuiteBudgets = { all: Budgets; files: string[]; budgetFor: (id: string) => ScenarioBudget };

const cache = new Map<string, Promise<SuiteBudgets>>();

/** All budgets under `dir`, each file validated as it loads (defineBudgets), duplicates refused. */
export function loadBudgets(dir: string): Promise<SuiteBudgets> {
  const key = path.resolve(dir);
  let p = cache.get(key);
  if (!p) {
    p = (async () => {
      const files = budgetFiles(key);
      const all: Record<string, ScenarioBudget> = {};
      const where: Record<string, string> = {};
      const problems: string[] = [];
      for (const f of files) {
        const mod = (await import(pathToFileURL(f).href)) as { default?: Budgets };
        const rel = path.relative(process.cwd(), f);
        if (!mod.default || typeof mod.default !== 'object') {
          problems.push(`${rel}: must default-export defineBudgets({ ... })`);
          continue;
        }
        for (const [id, b] of Object.entries(mod.default)) {
          if (where[id]) problems.push(`${rel}: scenario "${id}" is already defined in ${where[id]}`);
          else ((all[id] = b), (where[id] = rel));
        }
      }
      if (problems.length) throw new Error(`budgets in ${path.relative(process.cwd(), key) || '.'}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n  - ${problems.join('\n  - ')}`);
      const frozen: Budgets = Object.freeze(all);
      return {
        all: frozen,
        files,
        budgetFor(id: string): ScenarioBudget {
          const b = frozen[id];
          if (!b)
            throw new Error(`no budget for scenario "${id}"; defined: ${Object.keys(frozen).join(', ') || 'none'}. Add one in a *.budgets.ts file under ${path.relative(process.cwd(), key) || '.'}/.`);
          return b;
        },
      };
    })();
    cache.set(key, p);
  }
  return p;
}
