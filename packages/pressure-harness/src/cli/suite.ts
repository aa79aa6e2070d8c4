/**
 * A suite, as the command line sees it: its Playwright config, loaded the way Playwright loads
 * it (TypeScript through tsx, in place, so `import.meta.url` and relative imports mean what they
 * mean in a run), and the harness's settings it put in its `use` block (harnessUse). Every path
 * a verb reads or writes comes from there, resolved against the config's folder: never from the
 * working folder.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PerfSettings } from '../config/settings.js';
import { SettingsError } from '../contract/env.js';
import type { HarnessOptions } from '../fixtures/options.js';

export type Suite = {
  /** The config file, absolute. */
  configFile: string;
  /** Its folder: where Playwright runs it from. */
  root: string;
  /** The project that holds the perf scenarios. */
  perfProject: string;
  /** Every project's name, in the config's order. */
  projects: string[];
  /** The harness's options as the perf project sees them (the config's `use`, then the project's). */
  use: Partial<HarnessOptions> & { baseURL?: string };
  perf: PerfSettings;
};

const CANDIDATES = ['playwright.config.ts', 'playwright.config.mts', 'playwright.config.js', 'playwright.config.mjs'];

export class SuiteError extends Error {}

/** The config a verb was given, or the one in the working folder, as Playwright would pick it. */
export function configPath(flag: string | undefined): string {
  if (flag) {
    const file = path.resolve(flag);
    if (!existsSync(file)) throw new SuiteError(`--config: ${flag} does not exist (resolved to ${file})`);
    return file;
  }
  const found = CANDIDATES.map((c) => path.resolve(c)).find(existsSync);
  if (!found) throw new SuiteError(`no Playwright config in ${process.cwd()} (looked for ${CANDIDATES.join(', ')}); name one with -c <path>`);
  return found;
}

let tsxRegistered = false;

/** Imports a module of the suite (its config, its budgets), TypeScript included. */
export async function importSuiteModule(file: string): Promise<Record<string, unknown>> {
  if (/\.[mc]?ts$/.test(file) && !tsxRegistered) {
    const { register } = await import('tsx/esm/api');
    register();
    tsxRegistered = true;
  }
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}

type LoadedConfig = { use?: Record<string, unknown>; projects?: { name?: string; use?: Record<string, unknown> }[] };

export async function loadSuite(flag: string | undefined, o: { perfProject?: string } = {}): Promise<Suite> {
  const configFile = configPath(flag);
  let mod: Record<string, unknown>;
  try {
    mod = await importSuiteModule(configFile);
  } catch (e) {
    // Refused settings are the user's to fix: their own words, not a stack.
    if (e instanceof SettingsError || Array.isArray((e as { problems?: unknown }).problems)) throw new SuiteError((e as Error).message);
    throw new SuiteError(`${configFile} did not load: ${(e as Error).stack ?? e}`);
  }
  const config = (mod.default ?? mod) as LoadedConfig;
  const perfProject = o.perfProject ?? 'perf';
  const project = config.projects?.find((p) => p.name === perfProject);
  const use = { ...(config.use ?? {}), ...(project?.use ?? {}) } as Suite['use'];
  const perf = use.perfSettings as PerfSettings | undefined;
  if (!perf || typeof perf.resultsDir !== 'string' || typeof perf.baselinesDir !== 'string') {
    throw new SuiteError(
      `${configFile} does not use the harness's settings: its use block has no perfSettings.\nRecommended fix: spread harnessUse(loadHarnessSettings(process.env, { root: <the config's folder>, … })) from 'pressure-harness' into its use block.`,
    );
  }
  if (config.projects && !project) throw new SuiteError(`${configFile} has no project named "${perfProject}"; its projects: ${config.projects.map((p) => p.name ?? '(unnamed)').join(', ')}`);
  // loadHarnessSettings resolved every folder against the suite's root already.
  return { configFile, root: path.dirname(configFile), perfProject, projects: (config.projects ?? []).map((p) => p.name ?? ''), use, perf };
}
