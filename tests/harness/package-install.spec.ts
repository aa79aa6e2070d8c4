/**
 * The package as a user gets it: `npm pack` of packages/pressure-harness, installed into a new
 * project outside this repository, and a copy of conduit's suite there that imports nothing but
 * the package (and its own dependencies), run against a conduit started from this checkout.
 * Nothing of the repository is reachable from the copy: no workspace link, no `#…` import, no
 * path into the checkout. Also: the `pressure` command the tarball installs, run there.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from '../../fixtures';
import { freePort, startAppProcess, waitHealthy } from '../../scripts/app-process';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const PKG = path.join(ROOT, 'packages', 'pressure-harness');
// The copied suite's own dependencies, at the versions this repository pins.
const own = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
const SUITE_DEPS = ['@playwright/test', 'dotenv', 'zod'].map((d) => `${d}@${own.dependencies[d]}`);

function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  return execFileSync(cmd, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 2 ** 20 });
}

/** A command's exit code and output, whatever the code. */
function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env: { ...env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    // Without colours: a reporter that thinks it writes to a terminal colours its marks.
    child.on('exit', (code) => resolve({ code, output: output.replace(/\u001b\[[0-9;]*m/g, '') }));
  });
}

test("should run conduit's suite green from a packed tarball installed outside the repository", async ({}, testInfo) => {
  test.setTimeout(600_000);
  const work = mkdtempSync(path.join(tmpdir(), 'pressure-pack-'));
  const port = await freePort();
  const pgPort = await freePort();
  const conduit = startAppProcess({ PORT: String(port), PG_PORT: String(pgPort), PG_DATA_DIR: path.join(work, 'pgdata') }, ROOT, 'examples/conduit/server.ts');
  try {
    // 1. The tarball, as `npm publish` would make it (prepack builds dist/).
    const packed = JSON.parse(sh('npm', ['pack', '--json', '--pack-destination', work], PKG)) as { filename: string; files: { path: string }[] }[];
    const tarball = path.join(work, packed[0]!.filename);
    const shipped = packed[0]!.files.map((f) => f.path);
    expect(shipped).toContain('dist/cli/main.js');
    expect(
      shipped.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')),
      'ships JavaScript and declarations, not sources',
    ).toEqual([]);

    // 2. A new project, as `npm init -y && npm install -D <tarball>` makes it.
    const project = path.join(work, 'project');
    cpSync(path.join(ROOT, 'examples', 'conduit', 'suite'), path.join(project, 'suite'), {
      recursive: true,
      filter: (src) => !/(playwright-report|test-results|perf-results|\.run)$/.test(src),
    });
    sh('npm', ['init', '-y'], project);
    sh('npm', ['pkg', 'set', 'type=module'], project);
    sh('npm', ['install', '-D', '--prefer-offline', '--no-audit', '--no-fund', tarball, ...SUITE_DEPS], project);
    const installed = JSON.parse(readFileSync(path.join(project, 'node_modules', 'pressure-harness', 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    for (const framework of ['fastify', 'express', 'pg-boss']) expect(Object.keys(installed.dependencies), 'no web framework, no job queue').not.toContain(framework);
    // Nothing in the copy reaches back into the checkout.
    for (const f of readdirSync(path.join(project, 'suite'), { recursive: true, encoding: 'utf8' }).filter((x) => x.endsWith('.ts'))) {
      const text = readFileSync(path.join(project, 'suite', f), 'utf8');
      expect(text, f).not.toMatch(/from '(#|\.\.\/\.\.\/\.\.)/);
    }

    await waitHealthy(conduit, `http://127.0.0.1:${port}/api`, 180_000, '/ping');
    const env = {
      ...process.env,
      CI: '1',
      RUN_ID: '',
      PERF_BASELINE: '',
      PLAYWRIGHT_HTML_OPEN: 'never',
      BASE_URL: `http://127.0.0.1:${port}/api`,
      DATABASE_URL: `postgres://postgres:postgres@127.0.0.1:${pgPort}/conduit`,
      // A short soak: this proves the package works, not conduit's speed.
      PERF_SOAK_SECONDS: '5',
    };
    const npx = path.join(project, 'node_modules', '.bin');
    // 3. Both gates in one run (one seed), from the new project with its own Playwright.
    const r = await run(path.join(npx, 'playwright'), ['test', '-c', 'suite/playwright.config.ts', '--project=correctness', '--project=perf', '--reporter=list'], project, env);
    await testInfo.attach('correctness and perf output', { body: r.output, contentType: 'text/plain' });
    expect(r.code, r.output.slice(-4000)).toBe(0);
    expect(r.output).toMatch(/✓ +\d+ \[correctness\]/);
    expect(r.output).toMatch(/✓ +\d+ \[perf\]/);
    expect(r.output).not.toMatch(/^\s+\d+ failed$/m);
    // 4. The command line the tarball installs, on the copied suite: its results, its folders.
    const merged = await run(path.join(npx, 'pressure'), ['merge', 'suite/perf-results', '--out', path.join(work, 'merged'), '-c', 'suite/playwright.config.ts'], project, env);
    expect(merged.code, merged.output).toBe(0);
    expect(merged.output).toMatch(/merge: \d+ scenarios from 1 folders .*: passed/);
    const doctor = await run(path.join(npx, 'pressure'), ['doctor', '-c', 'suite/playwright.config.ts'], project, env);
    expect(doctor.code, doctor.output).toBe(0);
    expect(doctor.output).toMatch(/n\/a +query-count header/);
    expect(doctor.output).toMatch(/present +pg_stat_statements/);
  } finally {
    await conduit.stop();
    rmSync(work, { recursive: true, force: true });
  }
});
