/**
 * One side of a comparison at git refs: the suite's declared backend (config/backend.ts) started
 * from a checkout of a ref (a git worktree) or from the working tree, on free ports, with a data
 * folder and a database of its own. Everything a side made is removed when it stops, also when it
 * failed to start: the worktree, the data folder, the database copy. Only the processes it
 * started are ended, by their process group.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { type BackendSpec, fill, type Placeholders, placeholdersOf } from '../config/backend.js';
import { redactUrl, withClient, withDatabase, databaseOf } from '../pg/url.js';
import pg from 'pg';
import { freePort } from '../embedded/url.js';

export type Side = {
  label: string;
  /** The git ref it runs, or null for the working tree (uncommitted changes included). */
  ref: string | null;
  url: string;
  databaseUrl: string | undefined;
  /** Why it is not running, once it stopped on its own (an exit code, a signal, its last words); undefined while it runs. */
  ended(): string | undefined;
  /** Keeps the side's copy of the database when it stops (a dataset being saved); its URL. */
  keepDatabase(): string | undefined;
  stop(): Promise<void>;
};

const git = (cwd: string, args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

/** The repository the suite lives in. */
export function gitToplevel(dir: string): string {
  try {
    return git(dir, ['rev-parse', '--show-toplevel']);
  } catch {
    throw new Error(`${dir} is not in a git checkout: comparing git refs needs the repository`);
  }
}

/** The commit a ref names, or an error naming the ref. */
export function resolveRef(top: string, ref: string): string {
  try {
    return git(top, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  } catch {
    throw new Error(`"${ref}" names no commit in ${top}`);
  }
}

type Cleanup = () => Promise<void> | void;

/** The last 3,000 characters a child wrote, on both streams: what an error about it quotes. */
function outputTail(child: ChildProcess): { text(lines?: number): string } {
  let tail = '';
  const keep = (d: Buffer) => (tail = (tail + d.toString()).slice(-3000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { text: (lines = 15) => tail.trim().split('\n').slice(-lines).join('\n') };
}

export async function startSide(o: { label: string; ref: string | null; spec: BackendSpec; healthPath: string; templateUrl: string | undefined; work: string }): Promise<Side> {
  const cleanups: Cleanup[] = [];
  let keep = false;
  const undo = async () => {
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch (e) {
        console.error(`compare: cleaning up the ${o.label} side: ${(e as Error).message}`);
      }
    }
  };
  try {
    const top = gitToplevel(o.spec.cwd);
    let root = top;
    if (o.ref !== null) {
      const commit = resolveRef(top, o.ref);
      root = path.join(o.work, `${o.label}-checkout`);
      git(top, ['worktree', 'add', '--detach', '--force', root, commit]);
      cleanups.push(() => {
        git(top, ['worktree', 'remove', '--force', root]);
      });
      if (o.spec.install) await shell(o.spec.install, root, process.env, `${o.label}: ${o.spec.install}`);
      else if (existsSync(path.join(top, 'node_modules')) && !existsSync(path.join(root, 'node_modules'))) symlinkSync(path.join(top, 'node_modules'), path.join(root, 'node_modules'), 'dir');
    }
    const cwd = path.join(root, path.relative(top, o.spec.cwd));
    const dataDir = path.join(o.work, `${o.label}-data`);
    mkdirSync(dataDir, { recursive: true });
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const p: Placeholders = { port: await freePort(), pgPort: await freePort(), dataDir };
    const templated = [o.spec.url, o.spec.databaseUrl ?? '', ...Object.values(o.spec.env ?? {})];
    if (templated.some((t) => placeholdersOf(t).includes('databaseUrl'))) {
      if (!o.templateUrl) throw new Error("the backend declaration uses {databaseUrl}, a copy of the suite's database: set DATABASE_URL to the database to copy");
      p.databaseUrl = await copyDatabase(o.templateUrl, `pressure_cmp_${o.label}_${process.pid}`);
      cleanups.push(() => (keep ? undefined : dropDatabase(o.templateUrl!, databaseOf(p.databaseUrl!))));
    }
    const env = { ...process.env, ...Object.fromEntries(Object.entries(o.spec.env ?? {}).map(([k, v]) => [k, fill(v, p, `backend.env.${k}`)])) };
    const url = fill(o.spec.url, p, 'backend.url').replace(/\/+$/, '');
    const child = spawn(o.spec.command, { cwd, env, shell: true, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail = outputTail(child);
    let endedWith: string | undefined;
    const exited = new Promise<void>((r) =>
      child.once('exit', (code, signal) => {
        endedWith = `exited (${signal ?? `code ${code}`}); its last output:\n${tail.text()}`;
        r();
      }),
    );
    cleanups.push(async () => {
      // The whole group the command started (the shell, the backend, a PostgreSQL it started),
      // also when the backend itself died: its PostgreSQL may have outlived it.
      const group = child.pid;
      if (!group) return;
      const alive = () => {
        try {
          process.kill(-group, 0);
          return true;
        } catch {
          return false;
        }
      };
      if (!alive()) return;
      process.kill(-group, 'SIGTERM');
      for (let waited = 0; alive() && waited < 20_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
      if (alive()) process.kill(-group, 'SIGKILL');
      if (endedWith === undefined) await exited;
    });
    const where = `the ${o.label} backend${o.ref ? ` at ${o.ref}` : ' (working tree)'}`;
    const deadline = Date.now() + (o.spec.timeoutMs ?? 180_000);
    for (;;) {
      if ((await fetch(`${url}${o.healthPath}`, { signal: AbortSignal.timeout(5_000) }).catch(() => null))?.status === 200) break;
      if (endedWith !== undefined) throw new Error(`${where} ${endedWith}`);
      if (Date.now() > deadline)
        throw new Error(`${where} did not answer GET ${o.healthPath} at ${url} within ${Math.round((o.spec.timeoutMs ?? 180_000) / 1000)} s; its last output:\n${tail.text()}`);
      await new Promise((r) => setTimeout(r, 300));
    }
    const databaseUrl = o.spec.databaseUrl ? fill(o.spec.databaseUrl, p, 'backend.databaseUrl') : p.databaseUrl;
    console.log(`compare: ${where} answers at ${url}${databaseUrl ? `, database ${redactUrl(databaseUrl)}` : ''}`);
    return {
      label: o.label,
      ref: o.ref,
      url,
      databaseUrl,
      ended: () => endedWith,
      keepDatabase: () => ((keep = true), p.databaseUrl),
      stop: undo,
    };
  } catch (e) {
    await undo();
    throw e;
  }
}

function shell(command: string, cwd: string, env: NodeJS.ProcessEnv, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, { cwd, env, shell: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail = outputTail(child);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${what} failed with code ${code}:\n${tail.text(40)}`))));
  });
}

/** A database of its own, copied from the template's (CREATE DATABASE … TEMPLATE …). */
async function copyDatabase(templateUrl: string, name: string): Promise<string> {
  const source = databaseOf(templateUrl);
  await withClient(withDatabase(templateUrl, 'postgres'), async (c) => {
    try {
      await c.query(`CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE ${pg.escapeIdentifier(source)}`);
    } catch (e) {
      const m = (e as Error).message;
      throw new Error(
        `copying database ${source} for a side: ${m}${/being accessed/.test(m) ? ' (a template may have no other sessions: stop what is connected to it, or name an idle database in DATABASE_URL)' : ''}`,
      );
    }
  });
  return withDatabase(templateUrl, name);
}

async function dropDatabase(templateUrl: string, name: string): Promise<void> {
  await withClient(withDatabase(templateUrl, 'postgres'), (c) => c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`));
}
