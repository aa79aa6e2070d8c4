/** Tasks for the worker-pool unit tests (tests/unit/seed-bulk.test.ts): run on worker threads. */
let prefix = '';

export function warm(p: string): void {
  prefix = p;
}

export function echo(task: { n: number }): { text: string; bytes: Uint8Array } {
  const text = `${prefix}${task.n}`;
  return { text, bytes: new Uint8Array(Buffer.from(text.repeat(1000))) };
}

export function boom(task: { n: number }): never {
  throw new Error(`task ${task.n} failed on purpose`);
}
