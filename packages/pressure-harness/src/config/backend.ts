/**
 * How a suite's backend starts, declared once, in the shape of Playwright's `webServer`: the
 * command, the folder it runs in, the URL it answers on, its environment. Placeholders stand for
 * what differs between two copies of the backend running side by side, so that the command line
 * can start the same backend at two git refs at once (`pressure compare --base <ref>`), each on
 * ports and a database of its own, and a suite's own run can start it too (webServerOf).
 *
 *   {port}         a free TCP port for the backend
 *   {pgPort}       another, for a PostgreSQL the backend starts itself (an embedded one)
 *   {dataDir}      an empty folder of its own, removed afterwards (that PostgreSQL's data)
 *   {databaseUrl}  a database of its own on the suite's server: a copy of DATABASE_URL's database
 *                  (CREATE DATABASE … TEMPLATE …), dropped afterwards
 */
import path from 'node:path';

export type BackendSpec = {
  /** A shell command that starts the backend and keeps running until SIGTERM. */
  command: string;
  /** The folder it runs in; at a git ref, the same folder of that ref's checkout. */
  cwd: string;
  /** Where it answers, its path prefix included: 'http://127.0.0.1:{port}/api'. */
  url: string;
  /** Its environment; values may hold placeholders. */
  env?: Record<string, string>;
  /** The database it uses, as the suite should reach it (PostgreSQL's statistics, SQL seeding), with placeholders. */
  databaseUrl?: string;
  /** Run in a ref's checkout before the backend starts there (such as 'npm ci'); unset: the checkout's node_modules are linked into it. */
  install?: string;
  /** How long it may take to answer its health path, in ms (default 180,000). */
  timeoutMs?: number;
};

export type Placeholders = { port: number; pgPort: number; dataDir: string; databaseUrl?: string };

const PLACEHOLDER = /\{(port|pgPort|dataDir|databaseUrl|[A-Za-z]+)\}/g;

/** The names a template uses. */
export function placeholdersOf(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

/** A template with its placeholders filled; an unknown placeholder, or one without a value, is an error naming it. */
export function fill(template: string, p: Placeholders, where: string): string {
  return template.replace(PLACEHOLDER, (_, name: string) => {
    const v = (p as Record<string, unknown>)[name];
    if (v === undefined) {
      throw new Error(
        name === 'databaseUrl'
          ? `${where}: {databaseUrl} needs DATABASE_URL: the database it is copied from`
          : `${where}: unknown placeholder {${name}}; accepted: {port}, {pgPort}, {dataDir}, {databaseUrl}`,
      );
    }
    return String(v);
  });
}

/** Problems of a declaration, all at once (empty when it is sound). */
export function checkBackend(b: BackendSpec): string[] {
  const problems: string[] = [];
  if (!b.command?.trim()) problems.push('backend.command must be a shell command that starts the backend');
  if (!b.cwd || !path.isAbsolute(b.cwd)) problems.push(`backend.cwd must be an absolute folder (resolve it against the config's folder), got ${JSON.stringify(b.cwd)}`);
  if (!/^https?:\/\/[^\s]*\{port\}/.test(b.url ?? '')) problems.push(`backend.url must be an http(s) URL with {port} in it, such as http://127.0.0.1:{port}/api; got ${JSON.stringify(b.url)}`);
  for (const t of [b.url, b.databaseUrl, ...Object.values(b.env ?? {})].filter((x): x is string => typeof x === 'string')) {
    for (const n of placeholdersOf(t))
      if (!['port', 'pgPort', 'dataDir', 'databaseUrl'].includes(n)) problems.push(`backend: unknown placeholder {${n}} in ${JSON.stringify(t)}; accepted: {port}, {pgPort}, {dataDir}, {databaseUrl}`);
  }
  if (b.timeoutMs !== undefined && !(Number.isInteger(b.timeoutMs) && b.timeoutMs > 0)) problems.push(`backend.timeoutMs must be a positive whole number of ms, got ${b.timeoutMs}`);
  return problems;
}

/** A Playwright `webServer` entry that starts the declared backend with these values: the suite's own run and the command line start it alike. */
export function webServerOf(b: BackendSpec, p: Placeholders, o: { healthPath: string; reuseExistingServer: boolean }) {
  const env = Object.fromEntries(Object.entries(b.env ?? {}).map(([k, v]) => [k, fill(v, p, `backend.env.${k}`)]));
  return {
    command: b.command,
    cwd: b.cwd,
    url: `${fill(b.url, p, 'backend.url').replace(/\/+$/, '')}${o.healthPath}`,
    reuseExistingServer: o.reuseExistingServer,
    timeout: b.timeoutMs ?? 180_000,
    stdout: 'ignore' as const,
    stderr: 'pipe' as const,
    gracefulShutdown: { signal: 'SIGTERM' as const, timeout: 15_000 },
    env,
  };
}
