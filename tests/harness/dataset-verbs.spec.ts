/**
 * `pressure dataset` on a suite that is not app/'s (examples/conduit), through the package's
 * command line: save (the declared backend on a copy of DATABASE_URL's database, the seed
 * project, the database kept), list, restore a copy, run the correctness project on the copy
 * without seeding again, then drop; a save whose seed fails keeps nothing.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { adminQuery, withDatabase } from 'pressure-harness/pg';
import { expect, test } from '../../fixtures';
import { freePort, startAppProcess, waitHealthy } from '../../scripts/app-process';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const CLI = path.join(ROOT, 'packages', 'pressure-harness', 'dist', 'cli', 'main.js');
const CONFIG = path.join(ROOT, 'examples', 'conduit', 'suite', 'playwright.config.ts');

/** A child's exit code and both its streams. */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('exit', (code) => resolve({ code: code ?? 1, output }));
  });
}

const databases = async (url: string, like: string) => (await adminQuery<{ datname: string }>(url, 'SELECT datname FROM pg_database WHERE datname LIKE $1', [like])).rows.map((r) => r.datname);

test.describe('datasets of any suite', () => {
  test.skip(({ verifyDatabaseUrl }) => !verifyDatabaseUrl, "keeps datasets as databases on the suite's PostgreSQL");

  test('should save a seeded dataset once, restore a copy, and run on it without seeding again', async ({ verifyDatabaseUrl }, testInfo) => {
    test.setTimeout(240_000);
    const tag = `w${testInfo.workerIndex}_${Date.now().toString(36)}`;
    const name = `cd_${tag}`;
    const template = `conduit_tpl_${tag}`;
    const copy = `conduit_run_${tag}`;
    await adminQuery(verifyDatabaseUrl!, `CREATE DATABASE ${template}`);
    const tpl = withDatabase(verifyDatabaseUrl!, template);
    const db = new pg.Client({ connectionString: tpl });
    await db.connect();
    await db.query(readFileSync(path.join(ROOT, 'examples', 'conduit', 'schema.sql'), 'utf8'));
    await db.end();
    const env = { ...process.env, DATABASE_URL: tpl, BASE_URL: '', RUN_ID: '', RUN_KEEP: '', CONDUIT_AUTHORS: '20', CI: '1' };
    const runId = `ds-${name.replace(/_/g, '-')}`;
    try {
      // A project the suite does not have is refused before anything starts.
      const bad = await run(process.execPath, [CLI, 'dataset', 'save', '--name', name, '--project', 'nope', '-c', CONFIG], env);
      expect(bad.code, bad.output).toBe(2);
      expect(bad.output).toMatch(/has no project named "nope" to seed with; its projects: seed, correctness, perf/);
      expect(await databases(verifyDatabaseUrl!, `pressure_cmp_dataset_%`)).toEqual([]);

      const saved = await run(process.execPath, [CLI, 'dataset', 'save', '--name', name, '-c', CONFIG], env);
      await testInfo.attach('dataset save', { body: saved.output, contentType: 'text/plain' });
      expect(saved.code, saved.output).toBe(0);
      expect(saved.output).toMatch(new RegExp(`dataset: saved ${name} as database pressure_ds_${name}: [\\d,]+ rows, seeded as run ${runId} \\(.*public\\.comments`));
      expect(saved.output).toMatch(`cleanup: run ${runId} kept (RUN_KEEP=1)`);
      // The side's own copy and the building name are gone; only the dataset stays.
      expect(await databases(verifyDatabaseUrl!, `pressure_cmp_dataset_%`)).toEqual([]);
      expect(await databases(verifyDatabaseUrl!, `pressure_ds_${name}%`)).toEqual([`pressure_ds_${name}`]);
      // Saving again under the same name is refused without --force.
      const again = await run(process.execPath, [CLI, 'dataset', 'save', '--name', name, '-c', CONFIG], env);
      expect(again.code).toBe(1);
      expect(again.output).toMatch(`dataset: "${name}" exists (database pressure_ds_${name}); pass --force`);

      const listed = await run(process.execPath, [CLI, 'dataset', 'list', '-c', CONFIG], env);
      expect(listed.output).toMatch(new RegExp(`^${name}\\t[\\d,]+ rows, run ${runId}, saved `, 'm'));

      const restored = await run(process.execPath, [CLI, 'dataset', 'restore', '--name', name, '--as', copy, '-c', CONFIG], env);
      expect(restored.code, restored.output).toBe(0);
      expect(restored.output).toMatch(`RUN_ID=${runId} RUN_KEEP=1 npx playwright test`);
      const copyUrl = withDatabase(verifyDatabaseUrl!, copy);
      // Its rows are permanent: no reaper of a later run takes them.
      const c = new pg.Client({ connectionString: copyUrl });
      await c.connect();
      const ledger = (await c.query<{ n: number; forever: boolean }>(`SELECT count(*)::int AS n, bool_and(expires_at = 'infinity') AS forever FROM pressure_ledger WHERE run_id = $1`, [runId]))
        .rows[0]!;
      await c.end();
      expect(ledger).toEqual({ n: 20, forever: true });

      // The correctness project on the copy, as restore says: no seed project, the dataset's run.
      const port = await freePort();
      const conduit = startAppProcess({ PORT: String(port), DATABASE_URL: copyUrl }, ROOT, 'examples/conduit/server.ts');
      try {
        await waitHealthy(conduit, `http://127.0.0.1:${port}/api`, 60_000, '/ping');
        const r = await run(
          process.execPath,
          [path.join(ROOT, 'node_modules', '@playwright', 'test', 'cli.js'), 'test', '-c', CONFIG, '--project=correctness', '--no-deps', '--reporter=list', '--grep', 'whale sign in'],
          {
            ...env,
            BASE_URL: `http://127.0.0.1:${port}/api`,
            DATABASE_URL: copyUrl,
            RUN_ID: runId,
            RUN_KEEP: '1',
          },
        );
        await testInfo.attach('correctness on the restored copy', { body: r.output, contentType: 'text/plain' });
        expect(r.code, r.output.slice(-3000)).toBe(0);
        expect(r.output).toMatch(/\d+ passed/);
        expect(r.output).not.toMatch(/\[seed\]/);
      } finally {
        await conduit.stop();
      }
      const dropped = await run(process.execPath, [CLI, 'dataset', 'drop', '--name', name, '-c', CONFIG], env);
      expect(dropped.code, dropped.output).toBe(0);
      expect(await databases(verifyDatabaseUrl!, `pressure_ds_${name}%`)).toEqual([]);
    } finally {
      for (const d of [`pressure_ds_${name}`, copy, template]) await adminQuery(verifyDatabaseUrl!, `DROP DATABASE IF EXISTS ${d} WITH (FORCE)`).catch(() => {});
      rmSync(path.join(ROOT, 'examples', 'conduit', 'suite', '.run', `conduit-dataset-${runId}.json`), { force: true });
    }
  });
});
