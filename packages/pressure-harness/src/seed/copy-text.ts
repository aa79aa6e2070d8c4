/**
 * PostgreSQL's COPY text format (https://www.postgresql.org/docs/current/sql-copy.html, "Text
 * Format"): one row a line, fields separated by tabs, `\N` for null, and backslash, tab,
 * newline and carriage return escaped with a backslash. What a bulk-seeding endpoint or a
 * direct COPY reads; built here as strings, joined once per table.
 */

export type CopyValue = string | number | bigint | boolean | null | undefined;

const SPECIAL = /[\\\t\n\r]/;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** One field: null and undefined are `\N`; text is escaped only when it needs to be. */
export function copyField(v: CopyValue): string {
  if (v === null || v === undefined) return '\\N';
  if (typeof v !== 'string') return String(v);
  if (v.includes('\u0000')) throw new Error('COPY text cannot hold a NUL character');
  return SPECIAL.test(v) ? v.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]!) : v;
}

/** One row, newline-terminated. */
export const copyRow = (values: readonly CopyValue[]): string => `${values.map(copyField).join('\t')}\n`;

/**
 * Rows of one table gathered as UTF-8 bytes, with their count: `add` a row (escaped here) or a
 * `line` built from fields escaped beforehand (text reused across millions of rows is escaped
 * once), then `take` the bytes and start over. Lines are written into fixed blocks and joined
 * once into a buffer of their own (transferable between threads without a copy): joining
 * millions of strings, or growing one buffer by doubling, costs more in garbage collection
 * than generating the rows.
 */
export class CopyBuffer {
  private static readonly BLOCK = 1 << 20;
  private blocks: Buffer[] = [];
  private block = Buffer.allocUnsafeSlow(CopyBuffer.BLOCK);
  private used = 0;
  rows = 0;
  add(values: readonly CopyValue[]): void {
    this.write(copyRow(values));
  }
  /** A row already in COPY text, fields escaped (copyField) and tab-joined, without its newline. */
  line(text: string): void {
    this.write(`${text}\n`);
  }
  private write(text: string) {
    // A UTF-8 character takes at most 3 bytes per UTF-16 unit.
    const most = text.length * 3;
    if (this.used + most > this.block.length) {
      this.blocks.push(this.block.subarray(0, this.used));
      this.block = Buffer.allocUnsafeSlow(Math.max(CopyBuffer.BLOCK, most));
      this.used = 0;
    }
    this.used += this.block.write(text, this.used);
    this.rows++;
  }
  take(): { rows: number; bytes: Uint8Array } {
    const parts = [...this.blocks, this.block.subarray(0, this.used)];
    const size = parts.reduce((n, p) => n + p.length, 0);
    const bytes = new Uint8Array(new ArrayBuffer(size));
    let at = 0;
    for (const p of parts) (bytes.set(p, at), (at += p.length));
    const out = { rows: this.rows, bytes };
    this.blocks = [];
    this.used = 0;
    this.rows = 0;
    return out;
  }
}
