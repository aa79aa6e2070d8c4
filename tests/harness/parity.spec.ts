/**
 * parity, as a user runs it: one PostgreSQL of the test's own (embedded, in a temporary folder)
 * holding a "production" and a "test" database that differ as they do in life (a planner cost set
 * for SSDs, a bigger work_mem, an index only production has, a table three orders of magnitude
 * larger), then `pressure parity --against … --database-url … --require` run as a process: it
 * names every one of those differences, and nothing else, and exits 1.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { embeddedUrl, freePort, startEmbeddedPostgres } from 'pressure-harness/embedded';
import { expect, test } from '../../fixtures';

const PRESSURE = path.resolve('packages/pressure-harness/bin/pressure.js');
const run = promisify(execFile);

test('should name what differs between a test database and production, read-only, and exit 1 with --require', async () => {
  test.setTimeout(120_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'parity-'));
  const port = await freePort();
  const server = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port, log: () => {} });
  try {
    const admin = new pg.Client({ connectionString: embeddedUrl(port) });
    await admin.connect();
    try {
      for (const [db, rows, extra] of [
        ['shop_prod', 20_000, ['CREATE INDEX orders_customer_created ON orders (customer_id, created_at)']],
        ['shop_test', 20, []],
      ] as const) {
        await admin.query(`CREATE DATABASE ${db}`);
        const c = new pg.Client({ connectionString: embeddedUrl(port, db) });
        await c.connect();
        try {
          await c.query('CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL)');
          await c.query('CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers, created_at timestamptz NOT NULL)');
          await c.query("INSERT INTO customers SELECT g, g || '@example.com' FROM generate_series(1, 10) g");
          await c.query("INSERT INTO orders SELECT g, 1 + g % 10, now() - g * interval '1 minute' FROM generate_series(1, $1::int) g", [rows]);
          for (const q of extra) await c.query(q);
          await c.query('ANALYZE');
        } finally {
          await c.end();
        }
      }
      // Production's planner settings, as a production database sets them (per database here: one server).
      await admin.query(`ALTER DATABASE shop_prod SET random_page_cost = 1.1`);
      await admin.query(`ALTER DATABASE shop_prod SET work_mem = '64MB'`);
    } finally {
      await admin.end();
    }

    const json = path.join(dir, 'parity.json');
    const result = await run(process.execPath, [PRESSURE, 'parity', '--against', embeddedUrl(port, 'shop_prod'), '--database-url', embeddedUrl(port, 'shop_test'), '--json', json, '--require']).then(
      (r) => ({ code: 0, out: r.stdout }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: `${e.stdout}${e.stderr}` }),
    );
    expect(result.code, result.out).toBe(1);
    expect(result.out).toContain('random_page_cost: here 4, production 1.1');
    expect(result.out).toContain('work_mem: here 4MB, production 64MB');
    expect(result.out).toContain('public.orders btree (customer_id, created_at): here absent, production orders_customer_created');
    expect(result.out).toMatch(/public\.orders: here 20 rows, production 20,000 rows \(×1000 fewer here\)/);
    // The password never printed.
    expect(result.out).not.toContain(':postgres@');
    const written = JSON.parse(readFileSync(json, 'utf8')) as { findings: { kind: string; subject: string }[] };
    expect(written.findings.map((f) => `${f.kind} ${f.subject}`).sort()).toEqual([
      'index public.orders btree (customer_id, created_at)',
      'setting random_page_cost',
      'setting work_mem',
      'table public.orders',
    ]);

    // The same database against itself: alike, exit 0.
    const same = await run(process.execPath, [PRESSURE, 'parity', '--against', embeddedUrl(port, 'shop_prod'), '--database-url', embeddedUrl(port, 'shop_prod'), '--require']);
    expect(same.stdout).toContain('alike in everything compared');
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
