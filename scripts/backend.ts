/**
 * For the npm scripts (datasets, benchmarks): settings read and validated like the suite reads
 * them, a backend to talk to (the one at BASE_URL, a running app/, or app/ started here and
 * stopped after), and strict command-line flags.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { type APIRequestContext, request } from '@playwright/test';
import { config as loadDotenv } from 'dotenv';
import { SettingsError } from 'pressure-harness/contract';
import { appServerEnv, loadSettings, type Settings } from '../config/settings.js';
import { SeedClient } from '../seed/client.js';
import { type AppProcess, startAppProcess, waitHealthy } from './app-process.js';

export function settingsOrExit(): Settings {
  loadDotenv({ quiet: true });
  try {
    return loadSettings(process.env);
  } catch (e) {
    if (e instanceof SettingsError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs, strict: an unknown flag or a missing value stops with the list of accepted flags. */
export function flagsOrExit<O extends Options>(command: string, options: O, usage: string) {
  try {
    return parseArgs({ options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    console.error(`${command}: ${(e as Error).message.split('\n')[0]}\nUsage: ${usage}`);
    process.exit(2);
  }
}

/** flagsOrExit, for commands that also take positional arguments (paths). */
export function argsOrExit<O extends Options>(command: string, options: O, usage: string) {
  try {
    const { values, positionals } = parseArgs({ options, strict: true, allowPositionals: true });
    return { ...values, positionals };
  } catch (e) {
    console.error(`${command}: ${(e as Error).message.split('\n')[0]}\nUsage: ${usage}`);
    process.exit(2);
  }
}

export function failAndExit(command: string, message: string): never {
  console.error(`${command}: ${message}`);
  process.exit(2);
}

async function healthy(baseUrl: string): Promise<boolean> {
  try {
    return (await fetch(`${baseUrl}/healthz`)).ok;
  } catch {
    return false;
  }
}

export type Backend = { settings: Settings; service: APIRequestContext; client: SeedClient; baseUrl: string };

/** Runs `fn` against the backend, starting app/ for the duration when it is not running. */
export async function withBackend<T>(settings: Settings, fn: (b: Backend) => Promise<T>): Promise<T> {
  let app: AppProcess | undefined;
  if (!(await healthy(settings.baseUrl))) {
    if (!settings.startApp) throw new Error(`the backend at BASE_URL=${settings.baseUrl} does not answer GET /healthz`);
    app = startAppProcess(appServerEnv(settings));
    await waitHealthy(app, settings.baseUrl, 120_000);
  }
  const service = await request.newContext({ baseURL: settings.baseUrl, extraHTTPHeaders: { 'x-test-service-token': settings.serviceToken }, timeout: 0 });
  try {
    const client = new SeedClient(service, { baseURL: settings.baseUrl, headers: { 'x-test-service-token': settings.serviceToken } });
    try {
      return await fn({ settings, service, client, baseUrl: settings.baseUrl });
    } finally {
      await client.close();
    }
  } finally {
    await service.dispose();
    await app?.stop();
  }
}
