/**
 * Seed generation on worker threads: a suite names a module and one exported function
 * `(task) => result`; the pool runs tasks on `threads` workers, so generating the next rows
 * uses the cores while the rows already made travel to the backend. Results come back by
 * structured clone; a typed array that owns its whole buffer is moved, not copied. With
 * `threads: 0` the function runs on
 * the calling thread: for small datasets, where starting workers costs more than it saves.
 *
 * A task that throws rejects its own promise with the worker's message and stack; a worker
 * that dies rejects every task it held, and the pool refuses new ones.
 */
import { availableParallelism } from 'node:os';
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

// A worker cannot take `--import tsx` from execArgv before its entry loads: the entry
// registers tsx itself (when the module is TypeScript), then imports the module.
const ENTRY = `
const { parentPort, workerData } = require('node:worker_threads');
const ready = (async () => {
  if (workerData.tsx) (await import(workerData.tsx)).register();
  const m = await import(workerData.url);
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

export function generatorPool<T, R>(o: PoolOptions): GeneratorPool<T, R> {
  const threads = o.threads ?? defaultThreads();
  if (!Number.isInteger(threads) || threads < 0) throw new Error(`generatorPool: threads must be an integer >= 0, got ${threads}`);
  if (threads === 0) return inlinePool(o);

  const tsx = o.module.pathname.endsWith('.ts') ? import.meta.resolve('tsx/esm/api') : null;
  const queue: { id: number; task: T }[] = [];
  const pending = new Map<number, Pending<R>>();
  const idle: Worker[] = [];
  const busy = new Map<Worker, number>();
  let failed: Error | undefined;
  let closing = false;
  let nextId = 0;

  const dispatch = () => {
    while (idle.length && queue.length) {
      const w = idle.pop()!;
      const job = queue.shift()!;
      busy.set(w, job.id);
      w.postMessage(job);
    }
  };
  const fail = (e: Error) => {
    failed ??= e;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
    queue.length = 0;
  };
  const workers = Array.from({ length: threads }, () => {
    // A young generation larger than the default: generating rows makes many short-lived strings,
    // and fewer, larger scavenges cost less in total.
    const w = new Worker(ENTRY, { eval: true, workerData: { url: o.module.href, exportName: o.exportName, tsx, warm: o.warm }, resourceLimits: { maxYoungGenerationSizeMb: 96 } });
    w.on('message', (m: { id: number; result?: R; error?: { message: string; stack?: string } }) => {
      busy.delete(w);
      idle.push(w);
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
      if (busy.has(w) || (code !== 0 && !closing)) fail(new Error(`a seed worker exited with code ${code} while generating`));
    });
    idle.push(w);
    return w;
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
      await Promise.all(workers.map((w) => w.terminate()));
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
