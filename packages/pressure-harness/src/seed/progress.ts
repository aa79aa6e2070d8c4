/**
 * Progress of a long seed, on stderr every few seconds: rows written, rows/s, time left. Silent
 * for seeds that finish before the first report: a short seed says only that it is done.
 */
export type Progress = { add(rows: number): void; done(): { rows: number; seconds: number; rowsPerSec: number } };

export function seedProgress(label: string, total: number, o: { everyMs?: number; write?: (line: string) => void } = {}): Progress {
  const every = o.everyMs ?? 3000;
  const write = o.write ?? ((l: string) => process.stderr.write(`${l}\n`));
  const started = performance.now();
  let rows = 0;
  let last = started;
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  return {
    add(n) {
      rows += n;
      const now = performance.now();
      if (now - last < every) return;
      last = now;
      const rate = rows / ((now - started) / 1000);
      const left = rate > 0 ? Math.max(0, (total - rows) / rate) : NaN;
      write(`[${label}] ${fmt(rows)} / ${fmt(total)} rows · ${fmt(rate)} rows/s · ${Number.isFinite(left) ? `${Math.ceil(left)} s left` : 'time left unknown'}`);
    },
    done() {
      const seconds = (performance.now() - started) / 1000;
      return { rows, seconds: +seconds.toFixed(2), rowsPerSec: Math.round(rows / Math.max(seconds, 0.001)) };
    },
  };
}
