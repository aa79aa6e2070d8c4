/**
 * The command line as a function, for a program that runs a verb itself: `run(['compare', …])`
 * resolves to the exit code. Each verb is one file with its flags, usage, help and example.
 */
import { baseline } from './baseline.js';
import { bisect } from './bisect.js';
import { compare } from './compare.js';
import { dataset } from './dataset.js';
import { doctor } from './doctor.js';
import { helpText, UsageError, type FlagSpec } from './args.js';
import { history } from './history.js';
import { init } from './init.js';
import { merge } from './merge.js';
import { parity } from './parity.js';
import { verify } from './verify.js';
import { SuiteError } from './suite.js';

export type Verb = { name: string; summary: string; usage: string; about: string; example: string; flags: FlagSpec; run(argv: string[]): Promise<number> };

/** The verbs, in the order --help lists them. */
export const VERBS: readonly Verb[] = [init, compare, bisect, verify, merge, baseline, dataset, history, parity, doctor];

export function usage(): string {
  const w = Math.max(...VERBS.map((v) => v.name.length));
  return [
    'Usage: pressure <verb> [flags] [-c <playwright config>]',
    '',
    "init writes a suite; every other verb works on a suite's Playwright config (default:",
    'playwright.config.ts here); its folders (results, budgets, baselines) come from the settings the',
    'config gives the harness.',
    '',
    'Verbs:',
    ...VERBS.map((v) => `  ${v.name.padEnd(w)}  ${v.summary}`),
    '',
    "Run 'pressure <verb> --help' for a verb's flags and an example.",
  ].join('\n');
}

export { UsageError } from './args.js';
export { SuiteError, loadSuite, type Suite } from './suite.js';
export { failuresOf, perfRun, projectRun, type RunOptions, type RunResult } from './runs.js';
export { freePort } from '../embedded/url.js';

export async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const verb = VERBS.find((v) => v.name === name);
  if (!verb) {
    console.error(`pressure: unknown verb "${name}"; the verbs are ${VERBS.map((v) => v.name).join(', ')}\n\n${usage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(helpText(verb));
    return 0;
  }
  try {
    return await verb.run(rest);
  } catch (e) {
    if (e instanceof UsageError || e instanceof SuiteError) {
      console.error(e.message);
      return 2;
    }
    // What went wrong while the verb ran (a side that did not start, a run that failed), in
    // words; the stack only when asked for (PRESSURE_DEBUG=1), for a bug of the harness itself.
    console.error(`pressure ${name}: ${process.env.PRESSURE_DEBUG ? ((e as Error).stack ?? e) : ((e as Error).message ?? e)}`);
    return 1;
  }
}
