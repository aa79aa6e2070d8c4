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

/** Resolves once `of` tasks are waiting in this worker at the same time: a barrier, with no clock. */
const waiting: (() => void)[] = [];
export async function meet(task: { n: number; of: number }): Promise<{ n: number; met: number }> {
  const met = new Promise<void>((resolve) => waiting.push(resolve));
  if (waiting.length === task.of) for (const go of waiting.splice(0)) go();
  await met;
  return { n: task.n, met: task.of };
}
