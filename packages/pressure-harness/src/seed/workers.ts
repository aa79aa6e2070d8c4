/**
 * Seed generation on worker threads: a suite names a module and one exported function
 * `(task) => result`; the pool runs tasks on `threads` workers, so generating the next rows
 * uses the cores while the rows already made travel to the backend. Results come back by
 * structured clone; a typed array that owns its whole buffer is moved, not copied. With
 * `threads: 0` the function runs on the calling thread: for small datasets, where starting
 * workers costs more than it saves.
 *
 * A TypeScript module reaches the workers bundled by esbuild into plain JavaScript (packages
 * stay imports, by absolute URL): a worker that registered tsx itself spent 85–95 ms on the
 * loader and its hooks thread, and every import after went through that thread; the bundle
 * takes esbuild about 15 ms, once per module and process. Without esbuild, workers register tsx
 * as before.
 *
 * A task that throws rejects its own promise with the worker's message and stack; a worker
 * that dies rejects every task it held, and the pool refuses new ones.
 */
import { randomUUID } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

export type GeneratorPool<T, R> = {
  readonly threads: number;
  run(task: T): Promise<R>;
  close(): Promise<void>;
};

export type PoolOptions = {
  /** The module that exports the generator: a file URL (import.meta.url-relative, .ts allowed). */
  module: URL;
  exportName: string;
  /** Worker threads; 0 runs tasks inline. Default: defaultThreads(). */
  threads?: number;
  /**
   * Tasks a worker holds at once (default 1). More than one suits tasks that wait on I/O after
   * their work: a worker that sends what it made starts the next task while the last one's
   * requests travel.
   */
  tasksPerWorker?: number;
  /**
   * Another export of the module, called once with `arg` as each worker starts: what every task
   * needs (text banks, lookup tables) is built while the caller is still busy elsewhere.
   */
  warm?: { exportName: string; arg: unknown };
};

/**
 * How many workers a pool gets by default: one per core but one, which is left to the thread
 * that sends what the workers make (and, on a small machine, to the backend and its database).
 */
export const defaultThreads = () => Math.max(1, availableParallelism() - 1);

// A worker cannot take `--import tsx` from execArgv before its entry loads: the entry imports
// the bundle (see bundle()), or registers tsx itself and imports the TypeScript module.
const ENTRY = `
const { parentPort, workerData } = require('node:worker_threads');
const ready = (async () => {
  let m;
  if (workerData.bundle) {
    process.setSourceMapsEnabled(true); // stacks name the TypeScript lines
    m = await import(workerData.bundle);
  } else {
    if (workerData.tsx) (await import(workerData.tsx)).register();
    m = await import(workerData.url);
  }
  if (workerData.warm) await m[workerData.warm.exportName](workerData.warm.arg);
  const fn = m[workerData.exportName];
  if (typeof fn !== 'function') throw new Error(workerData.url + ' exports no function ' + workerData.exportName);
  return fn;
})();
// Byte arrays that own their whole buffer move to the caller instead of being copied.
const transferable = (v, out = [], depth = 0) => {
  if (ArrayBuffer.isView(v) && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength && !(v.buffer instanceof SharedArrayBuffer)) out.push(v.buffer);
  else if (v && typeof v === 'object' && depth < 3) for (const x of Object.values(v)) transferable(x, out, depth + 1);
  return out;
};
parentPort.on('message', async ({ id, task }) => {
  try {
    const fn = await ready;
    const result = await fn(task);
    parentPort.postMessage({ id, result }, [...new Set(transferable(result))]);
  } catch (e) {
    parentPort.postMessage({ id, error: { message: String(e && e.message || e), stack: e && e.stack } });
  }
});`;

type Pending<R> = { resolve: (r: R) => void; reject: (e: Error) => void };

/** Resolutions the bundler asks for itself, not to be intercepted again. */
const INNER = Symbol('inner');

/**
 * The TypeScript module and the project files it imports as one ES module of JavaScript, with an
 * inline source map; null for JavaScript, or where esbuild is not installed or fails. A package
 * import becomes an import of the file Node would load (conditions 'node' and 'import', 'main'
 * before 'module'), by absolute URL: the bundle runs from the temporary directory, which has no
 * node_modules to look in.
 */
export function bundle(module: URL): Promise<string | null> {
  // Once per module and process: a process that seeds several datasets bundles the module once.
  let made = bundles.get(module.href);
  if (!made) bundles.set(module.href, (made = build(module)));
  return made;
}
const bundles = new Map<string, Promise<string | null>>();

/** tsx's loader, for a worker without a bundle; null where the suite does not install tsx (the bundle is then the only way). */
export function resolveTsx(): string | null {
  try {
    return import.meta.resolve('tsx/esm/api');
  } catch {
    return null;
  }
}

async function build(module: URL): Promise<string | null> {
  if (!module.pathname.endsWith('.ts')) return null;
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch {
    return null;
  }
  try {
    const out = await esbuild.build({
      entryPoints: [fileURLToPath(module)],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      conditions: [],
      mainFields: ['main', 'module'],
      sourcemap: 'inline',
      // Sources named from where they are, not from the temporary directory the bundle runs in.
      absWorkingDir: path.dirname(fileURLToPath(module)),
      sourceRoot: `${pathToFileURL(path.dirname(fileURLToPath(module))).href}/`,
      logLevel: 'silent',
      plugins: [
        {
          name: 'packages-by-url',
          setup(b) {
            b.onResolve({ filter: /^[^./]/ }, async (a) => {
              if (a.pluginData === INNER) return undefined;
              if (isBuiltin(a.path)) return { path: a.path, external: true };
              const r = await b.resolve(a.path, { kind: a.kind, resolveDir: a.resolveDir, importer: a.importer, pluginData: INNER });
              if (r.errors.length) return { errors: r.errors };
              // Project files (package.json "imports", #…) are bundled; packages stay packages, also
              // a workspace's, whose real path is outside node_modules: one copy of their state.
              return a.path.startsWith('#') && !r.path.includes(`${path.sep}node_modules${path.sep}`) ? { path: r.path } : { path: pathToFileURL(r.path).href, external: true };
            });
          },
        },
      ],
    });
    return out.outputFiles[0]!.text;
  } catch {
    return null;
  }
}

export function generatorPool<T, R>(o: PoolOptions): GeneratorPool<T, R> {
  const threads = o.threads ?? defaultThreads();
  if (!Number.isInteger(threads) || threads < 0) throw new Error(`generatorPool: threads must be an integer >= 0, got ${threads}`);
  if (threads === 0) return inlinePool(o);

  const perWorker = o.tasksPerWorker ?? 1;
  if (!Number.isInteger(perWorker) || perWorker < 1) throw new Error(`generatorPool: tasksPerWorker must be an integer >= 1, got ${perWorker}`);

  const tsx = o.module.pathname.endsWith('.ts') ? resolveTsx() : null;
  const queue: { id: number; task: T }[] = [];
  const pending = new Map<number, Pending<R>>();
  /** The tasks each worker holds. */
  const held = new Map<Worker, Set<number>>();
  let failed: Error | undefined;
  let closing = false;
  let nextId = 0;

  const dispatch = () => {
    while (queue.length) {
      // The least loaded worker with room.
      let w: Worker | undefined;
      for (const [worker, ids] of held) if (ids.size < perWorker && (!w || ids.size < held.get(w)!.size)) w = worker;
      if (!w) return;
      const job = queue.shift()!;
      held.get(w)!.add(job.id);
      w.postMessage(job);
    }
  };
  const fail = (e: Error) => {
    failed ??= e;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
    queue.length = 0;
  };
  const start = (file: string | null) =>
    Array.from({ length: threads }, () => {
      // A young generation larger than the default: generating rows makes many short-lived strings,
      // and fewer, larger scavenges cost less in total.
      const w = new Worker(ENTRY, {
        eval: true,
        workerData: { bundle: file && pathToFileURL(file).href, url: o.module.href, exportName: o.exportName, tsx, warm: o.warm },
        resourceLimits: { maxYoungGenerationSizeMb: 96 },
      });
      held.set(w, new Set());
      w.on('message', (m: { id: number; result?: R; error?: { message: string; stack?: string } }) => {
        held.get(w)!.delete(m.id);
        const p = pending.get(m.id);
        pending.delete(m.id);
        if (m.error) {
          const e = new Error(m.error.message);
          if (m.error.stack) e.stack = m.error.stack;
          p?.reject(e);
        } else p?.resolve(m.result as R);
        dispatch();
      });
      w.on('error', (e) => fail(new Error(`a seed worker failed: ${e.message}`)));
      w.on('exit', (code) => {
        if (held.get(w)!.size || (code !== 0 && !closing)) fail(new Error(`a seed worker exited with code ${code} while generating`));
      });
      return w;
    });
  // Tasks queue until the workers exist (after the bundle).
  // The bundle is a file of its own, removed when the pool closes: a module from a data: URL
  // gets no source map in its stacks.
  let file: string | null = null;
  const workers = bundle(o.module).then(async (code) => {
    if (code !== null && !closing) {
      file = path.join(tmpdir(), `seed-worker-${process.pid}-${randomUUID()}.mjs`);
      await writeFile(file, code);
    }
    const started = closing ? [] : start(file);
    dispatch();
    return started;
  });

  return {
    threads,
    run(task: T) {
      if (failed) return Promise.reject(failed);
      if (closing) return Promise.reject(new Error('the seed worker pool is closed'));
      return new Promise<R>((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        queue.push({ id, task });
        dispatch();
      });
    },
    async close() {
      closing = true;
      await Promise.all((await workers).map((w) => w.terminate()));
      if (file) await rm(file, { force: true });
    },
  };
}

function inlinePool<T, R>(o: PoolOptions): GeneratorPool<T, R> {
  const fn = import(o.module.href).then(async (m: Record<string, unknown>) => {
    if (o.warm) await (m[o.warm.exportName] as (arg: unknown) => unknown)(o.warm.arg);
    const f = m[o.exportName];
    if (typeof f !== 'function') throw new Error(`${o.module.href} exports no function ${o.exportName}`);
    return f as (task: T) => R | Promise<R>;
  });
  return {
    threads: 0,
    run: async (task) => (await fn)(task),
    close: async () => {},
  };
}
