import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CopyBuffer, copyField, copyRow, type CopyValue } from 'pressure-harness/seed';
import { generatorPool } from 'pressure-harness/seed';
import { planChunks, planDataset } from '../../seed/dataset.js';
import { commentCounts, generateChunk, vocabulary } from '../../seed/bulk.js';
import { iso } from '../../seed/factories.js';
import { keysProvenBySpan, type TableSpan } from '../../app/sql/bulk.js';
import { PROFILES } from '../../seed/profiles.js';
import { stream } from 'pressure-harness/seed';

/** PostgreSQL's reading of one COPY text line (docs: COPY, "Text Format"), written out for the test. */
function parseLine(line: string): (string | null)[] {
  return line.split('\t').map((f) => (f === '\\N' ? null : f.replace(/\\(.)/g, (_, c: string) => ({ t: '\t', n: '\n', r: '\r', '\\': '\\' })[c] ?? c)));
}

describe('COPY text', () => {
  it('reads back as written: any text (tabs, newlines, backslashes, \\N itself), numbers and null', () => {
    const value = fc.oneof(
      fc.string({ unit: 'binary' }).filter((s) => !s.includes('\u0000')),
      fc.integer(),
      fc.constant(null),
    );
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 8 }), (values: CopyValue[]) => {
        const line = copyRow(values);
        assert.ok(line.endsWith('\n') && !line.slice(0, -1).includes('\n'), 'one line a row');
        assert.deepEqual(
          parseLine(line.slice(0, -1)),
          values.map((v) => (v === null ? null : String(v))),
        );
      }),
    );
  });

  it('refuses a NUL, which PostgreSQL text cannot hold', () => {
    assert.throws(() => copyField('a\u0000b'), /NUL/);
  });

  it('gathers rows across many blocks into one buffer that owns its memory', () => {
    const buf = new CopyBuffer();
    const long = 'é'.repeat(500_000); // 1 MB of UTF-8 a row: every row fills a block
    for (let i = 0; i < 5; i++) buf.line(`${i}\t${long}`);
    buf.add(['x', null]);
    const { rows, bytes } = buf.take();
    assert.equal(rows, 6);
    assert.equal(bytes.byteLength, bytes.buffer.byteLength);
    const lines = Buffer.from(bytes).toString('utf8').split('\n');
    assert.deepEqual(
      lines.map((l) => l.split('\t')[0]),
      ['0', '1', '2', '3', '4', 'x', ''],
    );
    assert.equal(buf.take().rows, 0);
  });
});

describe('timestamps', () => {
  it("write what Date.toISOString writes, with the stream's microseconds", () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.parse('1990-01-01'), max: Date.parse('2090-01-01') }), fc.string(), (ms, seed) => {
        const micros = String(Math.floor(stream(seed, 'm')() * 1000)).padStart(3, '0');
        assert.equal(iso(ms, stream(seed, 'm')), new Date(ms).toISOString().replace('Z', `${micros}Z`));
      }),
    );
  });
});

describe('dataset chunks', () => {
  const knobs = { ...PROFILES.medium, accounts: 40 };
  const plan = planDataset('chunks', knobs);

  it('cover every project once, whole, in chunks near the asked size after a ramp of an eighth, a quarter and a half', () => {
    const chunks = planChunks(plan, 5_000);
    const seen = chunks.flatMap((c) => c.projects.map((p) => `${p.accountPath}#${p.project}`));
    assert.equal(new Set(seen).size, seen.length);
    assert.equal(
      seen.length,
      plan.reduce((n, a) => n + a.itemCounts.length, 0),
    );
    const largest = Math.max(...plan.flatMap((a) => a.estimatedRows));
    [625, 1_250, 2_500].forEach((size, k) => assert.ok(chunks[k]!.rows >= size && chunks[k]!.rows < size + largest, `ramp chunk ${k} of ${chunks[k]!.rows} rows`));
    assert.ok(chunks[0]!.rows < 5_000, 'the first chunk is small: the first rows go out early');
    for (const c of chunks.slice(3, -1)) assert.ok(c.rows >= 5_000 && c.rows < 5_000 + largest, `chunk of ${c.rows} rows`);
    for (const c of chunks) for (const p of c.projects) assert.equal(p.firstOfAccount, p.project === 0);
  });

  it('give the same rows whatever the chunking: content depends on the project, not on its chunk', () => {
    const account = plan.find((a) => a.itemCounts.length >= 3)!;
    const task = (projects: number[], ids: { projects: [string, string][]; items: [string, string][]; comments: [string, string][] }) =>
      generateChunk({
        seed: 'chunks',
        runId: 'r-chunks',
        expiresAt: '2026-01-01T00:00:00.000Z',
        commentDepth: 2,
        attachmentRate: 0.25,
        tagsPerItem: 3,
        ids,
        projects: projects.map((j) => ({
          accountId: '7',
          accountPath: account.path,
          author: 'A',
          project: j,
          items: account.itemCounts[j]!,
          tagIds: ['1', '2', '3', '4', '5', '6'],
          firstOfAccount: j === 0,
        })),
      });
    const items = (j: number) => account.itemCounts[j]!;
    const comments = (j: number) => commentCounts('chunks', account.path, j, items(j), 2).reduce((a, b) => a + b, 0);
    const big: [string, string][] = [['1', '100000000']];
    const whole = task([0, 1], { projects: big, items: big, comments: big });
    const first = task([0], { projects: [['1', '1']], items: [['1', String(items(0))]], comments: [['1', String(comments(0))]] });
    const second = task([1], { projects: [['2', '2']], items: [[String(items(0) + 1), '100000000']], comments: [[String(comments(0) + 1), '100000000']] });
    for (const t of ['projects', 'items', 'comments', 'attachments', 'item_tags', 'tags'] as const) {
      assert.equal(Buffer.from(whole[t].bytes).toString(), Buffer.from(first[t].bytes).toString() + Buffer.from(second[t].bytes).toString(), t);
    }
    assert.equal(whole.comments.rows, comments(0) + comments(1));
  });

  it('name exactly as many tags as ids were reserved, all different', () => {
    for (const size of [1, 6, 40, 1200]) assert.equal(new Set(vocabulary('chunks', 'dataset/accounts/0', size)).size, size);
  });
});

describe('generator pool', () => {
  const module = new URL('../support/worker-tasks.ts', import.meta.url);

  it('runs tasks on worker threads after the warm-up, and hands the bytes over', async () => {
    const pool = generatorPool<{ n: number }, { text: string; bytes: Uint8Array }>({ module, exportName: 'echo', threads: 2, warm: { exportName: 'warm', arg: 'w' } });
    try {
      const out = await Promise.all([1, 2, 3, 4, 5].map((n) => pool.run({ n })));
      assert.deepEqual(
        out.map((o) => o.text),
        ['w1', 'w2', 'w3', 'w4', 'w5'],
      );
      assert.equal(Buffer.from(out[2]!.bytes).toString(), 'w3'.repeat(1000));
    } finally {
      await pool.close();
    }
  });

  it('gives the same results inline (threads: 0)', async () => {
    const pool = generatorPool<{ n: number }, { text: string }>({ module, exportName: 'echo', threads: 0, warm: { exportName: 'warm', arg: 'w' } });
    assert.equal((await pool.run({ n: 9 })).text, 'w9');
    await pool.close();
  });

  it("rejects a failed task with the worker's message and a stack in the TypeScript source, and keeps serving the others", async () => {
    const pool = generatorPool<{ n: number }, unknown>({ module, exportName: 'boom', threads: 1 });
    try {
      await assert.rejects(pool.run({ n: 3 }), (e: Error) => /task 3 failed on purpose/.test(e.message) && /worker-tasks\.ts:\d+/.test(e.stack ?? ''));
      await assert.rejects(pool.run({ n: 4 }), /task 4 failed on purpose/);
    } finally {
      await pool.close();
    }
  });

  it('gives a worker several tasks at once with tasksPerWorker (they meet in one worker)', async () => {
    // Three tasks that each wait until all three are inside the worker: with one task a worker they would never finish.
    const pool = generatorPool<{ n: number; of: number }, { n: number; met: number }>({ module, exportName: 'meet', threads: 1, tasksPerWorker: 3 });
    try {
      const out = await Promise.all([1, 2, 3].map((n) => pool.run({ n, of: 3 })));
      assert.deepEqual(
        out.map((o) => o.n),
        [1, 2, 3],
      );
    } finally {
      await pool.close();
    }
  });

  it('refuses a bad thread count, naming what it accepts', () => {
    assert.throws(() => generatorPool({ module, exportName: 'echo', threads: -1 }), /threads must be an integer >= 0, got -1/);
    assert.throws(() => generatorPool({ module, exportName: 'echo', threads: 1, tasksPerWorker: 0 }), /tasksPerWorker must be an integer >= 1, got 0/);
  });
});

describe('the key check by spans (app/sql/bulk.ts)', () => {
  const fks = [['items', 'project_id', 'projects']] as const;
  /** The spans a scan reports for a parent's ids and a child's values (null: SQL NULL). */
  const spansOf = (ids: number[], refs: (number | null)[]) => {
    const span = (v: number[]): [bigint, bigint] | null => (v.length ? [BigInt(Math.min(...v)), BigInt(Math.max(...v))] : null);
    const set = refs.filter((r): r is number => r !== null);
    return new Map<string, TableSpan>([
      ['projects', { rows: BigInt(ids.length), id: span(ids), keys: {} }],
      ['items', { rows: BigInt(refs.length), keys: { project_id: span(set) } }],
    ]);
  };

  it('proves a key only when every value it holds is a parent id (any ids, any values)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { maxLength: 20 }), fc.array(fc.option(fc.integer({ min: 1, max: 60 })), { maxLength: 20 }), (ids, refs) => {
        if (keysProvenBySpan(spansOf(ids, refs), fks).has('items.project_id')) {
          for (const r of refs) if (r !== null) assert.ok(ids.includes(r), `${r} is not among ${ids}`);
        }
      }),
    );
  });

  it('proves ids reserved in one range, and leaves a gap, a value outside or an empty parent to the exact check', () => {
    const proven = (ids: number[], refs: (number | null)[]) => keysProvenBySpan(spansOf(ids, refs), fks).has('items.project_id');
    assert.equal(proven([10, 11, 12, 13], [10, 13, 12, null]), true);
    assert.equal(proven([], [null, null]), true, 'no value refers to anything');
    assert.equal(proven([10, 11, 13], [10, 13]), false, 'a gap in the ids');
    assert.equal(proven([10, 11, 12], [9, 11]), false, 'a value below');
    assert.equal(proven([10, 11, 12], [12, 14]), false, 'a value above');
    assert.equal(proven([], [5]), false, 'no parent rows');
  });
});
