import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_RULES, type Comparison, type Finding, withSchema } from 'pressure-harness/compare';
import { checkBackend, fill, harnessUse, loadHarnessSettings } from 'pressure-harness/config';
import { diffIndexes, formatIndexDiff } from 'pressure-harness/pg';
import { run, UsageError } from 'pressure-harness/cli';
import { groupByEntity } from 'pressure-harness/seed';

/** The verb's exit code and what it printed. */
async function cli(argv: string[]): Promise<{ code: number; err: string; out: string }> {
  const [log, error] = [console.log, console.error];
  let out = '';
  let err = '';
  console.log = (...a: unknown[]) => void (out += `${a.join(' ')}\n`);
  console.error = (...a: unknown[]) => void (err += `${a.join(' ')}\n`);
  try {
    return { code: await run(argv), err, out };
  } finally {
    [console.log, console.error] = [log, error];
  }
}

describe('the pressure command line', () => {
  it('names every bad flag at once, with the usage, and exits 2 before loading anything', async () => {
    const r = await cli(['compare', '--bogus', 'x', '--rounds', '99', '--base-url', 'foo', '-c', '/nonexistent/playwright.config.ts']);
    assert.equal(r.code, 2);
    assert.match(r.err, /compare: 4 problems:/);
    assert.match(r.err, /unknown flag --bogus; accepted: --config/);
    assert.match(r.err, /--base-url and --candidate-url go together/);
    assert.match(r.err, /--base-url must be an http\(s\) URL, got "foo"/);
    assert.match(r.err, /--rounds must be a whole number from 1 to 10, got "99"/);
    assert.match(r.err, /Usage: pressure compare/);
  });

  it('refuses an unknown verb and a baseline action it does not know, naming what it accepts', async () => {
    const v = await cli(['bisekt']);
    assert.equal(v.code, 2);
    assert.match(v.err, /unknown verb "bisekt"; the verbs are init, compare, bisect, verify, merge, baseline, dataset, history, parity, doctor/);
    const b = await cli(['baseline', 'store', '--force', '--tag', 'v1']);
    assert.equal(b.code, 2);
    assert.match(b.err, /the action must be one of save, check, list, got "store"/);
  });

  it('names every bad dataset flag at once, with what each action takes', async () => {
    const r = await cli(['dataset', 'save', '--name', 'Big-One', '--as', 'x', '--seed', 's', '-c', '/nonexistent/playwright.config.ts']);
    assert.equal(r.code, 2);
    assert.match(r.err, /dataset: 3 problems:/);
    assert.match(r.err, /--name must be lowercase letters, digits and "_", starting with a letter or digit, up to 40, got "Big-One"/);
    assert.match(r.err, /--as goes with restore/);
    assert.match(r.err, /--seed goes with plan/);
    const a = await cli(['dataset', 'keep']);
    assert.match(a.err, /the action must be one of plan, fit, import, save, restore, list, drop, got "keep"/);
    // Flags of one action given to another, and the import's own, all named at once.
    const i = await cli([
      'dataset',
      'import',
      '--from',
      'mysql://u:pw@h/db',
      '--subset',
      'users',
      '--mask',
      'email=shuffle',
      '--max-rows',
      '0',
      '--tables',
      'a',
      '-c',
      '/nonexistent/playwright.config.ts',
    ]);
    assert.equal(i.code, 2);
    assert.match(i.err, /dataset: 5 problems:/);
    assert.match(i.err, /--tables goes with fit/);
    assert.match(i.err, /--from must be a postgres:\/\/ or postgresql:\/\/ URL, got "mysql:\/\/u:\*\*\*@h\/db"/);
    assert.match(i.err, /--subset "users" names no share, filter or whales/);
    assert.match(i.err, /--mask must be table\.column=kind or column=kind/);
    assert.match(i.err, /--max-rows must be a whole number from 1 to 5000000, got "0"/);
    const s = await cli(['dataset', 'save', '--name', 'x', '--subset', 'users=5%', '--from', 'postgres://h/db']);
    assert.match(s.err, /--subset goes with import/);
    assert.match(s.err, /--from goes with fit and import/);
    const n = await cli(['dataset', 'restore']);
    assert.match(n.err, /restore needs --name <dataset>/);
    const f = await cli(['dataset', 'fit', '--from', 'postgres://h/db', '--name', 'x', '--force']);
    assert.match(f.err, /--name goes with save, restore, drop and import/);
    assert.match(f.err, /--force goes with save, or import with --name/);
    const unnamed = await cli(['dataset', 'import', '--from', 'postgres://h/db', '--subset', 'users=5%', '--force']);
    assert.match(unnamed.err, /--force goes with save, or import with --name/);
  });

  it('says which config is missing, instead of a stack', async () => {
    const r = await cli(['merge', '/tmp', '-c', '/nonexistent/playwright.config.ts']);
    assert.equal(r.code, 2);
    assert.match(r.err, /\/tmp holds no scenarios\/ folder/);
    const m = await cli(['doctor', '-c', '/nonexistent/playwright.config.ts']);
    assert.equal(m.code, 2);
    assert.match(m.err, /--config: \/nonexistent\/playwright.config.ts does not exist/);
  });

  it("prints each verb's help with an example", async () => {
    for (const verb of ['compare', 'bisect', 'verify', 'merge', 'baseline', 'dataset', 'doctor']) {
      const r = await cli([verb, '--help']);
      assert.equal(r.code, 0);
      assert.match(r.out, new RegExp(`Usage: pressure ${verb}`));
      assert.match(r.out, /Example: .*npx pressure /);
    }
    assert.ok(new UsageError('x', ['a'], 'u') instanceof Error);
  });
});

describe('dataset plan', () => {
  it("prints the rows of the suite's declared domain by entity and tier, and their size from a sample", async () => {
    mkdirSync(path.join(process.cwd(), 'test-results'), { recursive: true });
    const dir = mkdtempSync(path.join(process.cwd(), 'test-results', 'plan-'));
    try {
      const domain = `defineDomain({ shop: { count: 50, tiers: [{ label: 'small', share: 0.9, min: 0, max: 0 }, { label: 'whale', share: 0.1, min: 0, max: 0 }], fields: { name: ({ faker }) => faker.company.name() } }, order: { parent: 'shop', perParent: { byTier: { small: [1, 3], whale: [100, 200] } }, fields: { note: ({ faker }) => faker.lorem.sentence() } } })`;
      const use = `{ baseURL: 'http://127.0.0.1:9', seedRoot: 's1', perfSettings: { resultsDir: 'r', baselinesDir: 'b' }, domain: ${domain} }`;
      writeFileSync(path.join(dir, 'playwright.config.mjs'), `import { defineDomain } from 'pressure-harness/seed';\nexport default { use: ${use}, projects: [{ name: 'perf' }] };\n`);
      const r = await cli(['dataset', 'plan', '-c', path.join(dir, 'playwright.config.mjs')]);
      assert.equal(r.code, 0, r.err);
      const { planDomain, defineDomain } = await import('pressure-harness/seed');
      const plan = planDomain(
        defineDomain({
          shop: {
            count: 50,
            tiers: [
              { label: 'small', share: 0.9, min: 0, max: 0 },
              { label: 'whale', share: 0.1, min: 0, max: 0 },
            ],
            fields: { name: () => '' },
          },
          order: { parent: 'shop', perParent: { byTier: { small: [1, 3], whale: [100, 200] } }, fields: { note: () => '' } },
        }),
        's1',
      );
      assert.match(r.out, new RegExp(`\\(seed "s1"\\): ${plan.total.toLocaleString('en-US')} rows`));
      assert.match(
        r.out,
        new RegExp(
          `order +${plan.rows.order!.toLocaleString('en-US')} rows +~ +[\\d.]+ MB of data +\\(small ${plan.byTier.order!.small}, whale ${plan.byTier.order!.whale!.toLocaleString('en-US')}\\), \\d+ B a row from`,
        ),
      );
      // Without a declared domain, it says how to declare one.
      writeFileSync(
        path.join(dir, 'bare.config.mjs'),
        `export default { use: { baseURL: 'http://127.0.0.1:9', perfSettings: { resultsDir: 'r', baselinesDir: 'b' } }, projects: [{ name: 'perf' }] };\n`,
      );
      const bare = await cli(['dataset', 'plan', '-c', path.join(dir, 'bare.config.mjs')]);
      assert.equal(bare.code, 2);
      assert.match(bare.err, /declares no domain: pass harnessUse\(settings, \{ domain: domainOf\(…\) \}\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('doctor with nothing running', () => {
  it('starts the backend the suite declares, probes it, and stops it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'doctor-'));
    try {
      // A backend with a health route and nothing else, started on the free port doctor gives it.
      const server = `require('http').createServer((q, s) => { s.writeHead(q.url === '/healthz' ? 200 : 404); s.end(); }).listen(Number(process.env.PORT), '127.0.0.1')`;
      const use = {
        baseURL: 'http://127.0.0.1:9',
        healthPath: '/healthz',
        perfSettings: { resultsDir: path.join(dir, 'r'), baselinesDir: path.join(dir, 'b') },
        backend: { command: `node -e "${server}"`, cwd: process.cwd(), url: 'http://127.0.0.1:{port}', env: { PORT: '{port}' } },
      };
      writeFileSync(path.join(dir, 'playwright.config.mjs'), `export default ${JSON.stringify({ use, projects: [{ name: 'perf' }] })};\n`);
      const r = await cli(['doctor', '-c', path.join(dir, 'playwright.config.mjs')]);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /nothing answers at http:\/\/127\.0\.0\.1:9; starting the backend .*playwright\.config\.mjs declares/);
      assert.match(r.out, /present +health endpoint/);
      assert.match(r.out, /n\/a +Prometheus metrics/);
      const url = /capabilities of (http:\/\/127\.0\.0\.1:\d+)/.exec(r.out)![1]!;
      await assert.rejects(fetch(`${url}/healthz`), 'the backend doctor started is stopped after');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a declared backend', () => {
  const ok = { command: 'node server.js', cwd: '/srv/app', url: 'http://127.0.0.1:{port}/api', env: { PORT: '{port}', PG_PORT: '{pgPort}', DATA: '{dataDir}' } };
  it('fills its placeholders, and names one it does not know or cannot fill', () => {
    assert.equal(fill(ok.url, { port: 8081, pgPort: 5433, dataDir: '/tmp/d' }, 'url'), 'http://127.0.0.1:8081/api');
    assert.throws(() => fill('{prot}', { port: 1, pgPort: 2, dataDir: '' }, 'backend.url'), /backend.url: unknown placeholder \{prot\}; accepted: \{port\}/);
    assert.throws(() => fill('{databaseUrl}', { port: 1, pgPort: 2, dataDir: '' }, 'env.DATABASE_URL'), /\{databaseUrl\} needs DATABASE_URL/);
  });
  it('goes into the use block with the faults verify starts it with, and refuses faults it cannot start', () => {
    const settings = loadHarnessSettings({}, { defaultBaseUrl: () => 'http://127.0.0.1:8080', baselinesDir: 'b', budgetsDir: 'b' });
    const use = harnessUse(settings, { backend: ok, faults: { slow: { SLOW: '1' } } });
    assert.deepEqual([use.backend, use.faults], [ok, { slow: { SLOW: '1' } }]);
    assert.throws(() => harnessUse(settings, { faults: { slow: { SLOW: '1' } } }), /faults need a backend declaration/);
    assert.throws(() => harnessUse(settings, { backend: ok, faults: { 'bad name': {} } }), /faults\.bad name: a name of letters/);
  });
  it('is refused with every problem at once', () => {
    assert.deepEqual(checkBackend(ok), []);
    const problems = checkBackend({ command: ' ', cwd: 'relative', url: 'http://127.0.0.1:8080', env: { X: '{nope}' }, timeoutMs: -1 });
    assert.equal(problems.length, 5, problems.join('\n'));
  });
});

describe('two schemas compared', () => {
  const base = [
    { table: 'public.articles', name: 'articles_author_created', definition: 'CREATE INDEX articles_author_created ON public.articles USING btree (author_id, created_at DESC)' },
    { table: 'public.articles', name: 'articles_pkey', definition: 'CREATE UNIQUE INDEX articles_pkey ON public.articles USING btree (id)' },
  ];
  it('finds the index one side lacks, and names it as the cause of a scan on its table or a statement reading it', () => {
    const diffs = diffIndexes(base, [base[1]!, { table: 'public.users', name: 'users_email', definition: 'CREATE INDEX users_email ON public.users (email)' }]);
    assert.deepEqual(
      diffs.map((d) => [d.change, d.name]),
      [
        ['missing', 'articles_author_created'],
        ['added', 'users_email'],
      ],
    );
    assert.match(formatIndexDiff(diffs[0]!), /index articles_author_created on public.articles is in the base, not in the candidate/);
    const finding = (route: string, message?: string): Finding => ({
      scenario: 's',
      route,
      metric: 'pg_seq_rows_per_req',
      kind: 'growth',
      severity: 'fail',
      stat: 'mean',
      unit: 'rows',
      base: 0,
      candidate: 5000,
      ...(message && { message }),
    });
    const c: Comparison = {
      base: { label: 'a', rounds: 1, scenarios: [] },
      candidate: { label: 'b', rounds: 1, scenarios: [] },
      rules: DEFAULT_RULES,
      compared: 3,
      tested: 0,
      improvements: [],
      unmatched: [],
      routes: [],
      findings: [finding('table public.articles'), finding('sql 1', 'SELECT * FROM articles WHERE author_id = $1'), finding('table public.comments'), finding('sql 2', 'SELECT 1 FROM users')],
    };
    const w = withSchema(c, diffs);
    assert.deepEqual(
      w.findings.map((f) => Boolean(f.cause)),
      [true, true, false, false],
    );
    assert.equal(w.schema?.length, 2);
  });
});

describe('grouping generated rows', () => {
  it("keeps each entity's rows in order, in one pass", () => {
    const rows = Array.from(
      { length: 200_000 },
      (_, i) => ({ entity: i % 3 === 0 ? 'a' : 'b', path: String(i) }) as unknown as Parameters<typeof groupByEntity>[0] extends Iterable<infer R> ? R : never,
    );
    const g = groupByEntity(rows);
    assert.equal(g.get('a')!.length, 66_667);
    assert.equal(g.get('b')![0]!.path, '1');
    assert.equal(g.get('b')!.at(-1)!.path, '199999');
  });
});
