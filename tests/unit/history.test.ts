import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { zipSync } from 'fflate';
import { bisectCommand, changesMarkdown, changesOf, historyRunOf, runsAt, seriesSpec } from 'pressure-harness/history';
import { newRoute, recordMs } from 'pressure-harness/load';
import { scenarioFile } from 'pressure-harness/report';
import { run as cli } from 'pressure-harness/cli';
import { commitOfNight, NIGHTS, runIdOfNight, SERIES, seriesRows, STEP_NIGHT, syntheticHistory } from '../support/history.js';
import { oneAttempt } from '../support/results.js';

const history = syntheticHistory();
const nightOf = (runId: string) => Number(runId.replace('nightly-', ''));

describe('when a nightly series changed', () => {
  it(`finds the 15% step planted at night ${STEP_NIGHT}, between the commits of nights ${STEP_NIGHT - 1} and ${STEP_NIGHT}`, () => {
    const changes = changesOf(seriesRows(history, SERIES.step.scenario));
    const p95 = changes.filter((c) => c.metric === 'p95');
    assert.equal(p95.length, 1, JSON.stringify(p95.map((c) => c.run.id)));
    const c = p95[0]!;
    assert.ok(Math.abs(nightOf(c.run.id) - STEP_NIGHT) <= 1, `found at ${c.run.id}`);
    assert.ok(c.ratio > 1.1 && c.ratio < 1.2, `ratio ${c.ratio}`);
    assert.equal(c.run.commit, commitOfNight(nightOf(c.run.id)));
    assert.equal(c.previous.commit, commitOfNight(nightOf(c.run.id) - 1));
    assert.equal(c.environmentChanged, false);
    // The pair a bisect starts from.
    assert.equal(bisectCommand(c), `npx pressure bisect --good ${c.previous.commit!.slice(0, 12)} --bad ${c.run.commit!.slice(0, 12)} --grep 'demo.step'`);
  });

  it('finds the 3%-a-night creep, every change upwards', () => {
    const p95 = changesOf(seriesRows(history, SERIES.creep.scenario)).filter((c) => c.metric === 'p95');
    assert.ok(p95.length >= 1);
    assert.ok(p95.every((c) => c.ratio > 1));
  });

  it('raises nothing on the flat series, nor on a metric that never moved', () => {
    assert.deepEqual(changesOf(seriesRows(history, SERIES.flat.scenario)), []);
    assert.deepEqual(changesOf(seriesRows(history, SERIES.step.scenario), { metrics: ['queries', 'errors'] }), []);
  });

  it('says when the environment changed across a change', () => {
    const rows = seriesRows(history, SERIES.step.scenario).map((r) => ({ ...r, fingerprint: nightOf(r.runId) >= STEP_NIGHT ? 'new-machine' : 'old-machine' }));
    assert.ok(changesOf(rows, { metrics: ['p95'] }).every((c) => c.environmentChanged));
  });

  it('writes the summary section, with the bisect command', () => {
    const changes = changesOf(seriesRows(history, SERIES.step.scenario), { metrics: ['p95'] });
    const md = changesMarkdown(changes, { where: 'the store', recorded: runIdOfNight(NIGHTS) });
    assert.match(md, /### History/);
    assert.match(md, /demo\.step GET \/v1\/items: latency p95 .* → .* \(\+1[0-9]%\) from run nightly-0(39|40|41)/);
    assert.match(md, /npx pressure bisect --good [0-9a-f]{12} --bad [0-9a-f]{12}/);
    assert.match(changesMarkdown([], { where: 'the store' }), /No series changed by 5% or more/);
    // Too few runs yet: said, not passed off as "no change".
    assert.match(changesMarkdown([], { where: 'the store', depth: 3 }), /3 runs of these scenarios recorded so far: change points are looked for from 10 on/);
  });

  it('draws the series with each change point as a rule at its run', () => {
    const rows = seriesRows(history, SERIES.step.scenario);
    const spec = seriesSpec(rows, changesOf(rows)) as { layer: { name?: string; data: { values: { runId: string }[] } }[] };
    const rule = spec.layer.find((l) => l.name === 'changepoint')!;
    assert.ok(rule.data.values.some((v) => Math.abs(nightOf(v.runId) - STEP_NIGHT) <= 1));
    assert.equal(spec.layer[0]!.data.values.length, NIGHTS * 3);
  });
});

describe('a run as the history keeps it', () => {
  const routeOf = (ms: number[]) => {
    const m = newRoute();
    for (const v of ms) {
      recordMs(m.latency, v);
      recordMs(m.service, v);
      m.requests += 1;
      m.bytes += 100;
      m.statuses[200] = (m.statuses[200] ?? 0) + 1;
    }
    return m;
  };
  const file = (id: string, runId: string, at?: string) =>
    scenarioFile({
      id,
      ...oneAttempt(runId),
      raw: { routes: { 'GET /a': routeOf([5, 6, 7, 30]) }, expected: [], singles: {}, wallMs: 1000 },
      outcomes: [],
      broken: [],
      code: { commit: 'a'.repeat(40), branch: 'main', release: null },
      ...(at && { at }),
    });

  it('keeps per route its percentiles and its histogram; a metric with no evidence is null, not 0', () => {
    const run = historyRunOf([file('s.one', 'r1', '2026-12-01T02:00:00Z'), file('s.two', 'r1', '2026-12-01T02:05:00Z')], { source: 'test' });
    assert.equal(run.id, 'r1');
    assert.equal(run.at, '2026-12-01T02:05:00.000Z');
    assert.equal(run.code.commit, 'a'.repeat(40));
    assert.equal(run.points.length, 2);
    assert.equal(run.points[0]!.queriesPerRequest, null);
    assert.equal(run.points[0]!.dbP95, null);
    assert.ok(run.points[0]!.p99 >= 29);
    assert.ok(run.points[0]!.histogram?.length);
  });

  it('refuses two runs at once, and a run that does not say when it was made', () => {
    assert.throws(() => historyRunOf([file('a', 'r1', '2026-12-01T00:00:00Z'), file('b', 'r2', '2026-12-01T00:00:00Z')], { source: 't' }), /from 2 runs/);
    assert.throws(() => historyRunOf([file('a', 'r1')], { source: 't' }), /--at/);
  });

  it('finds the scenario results inside a blob report, and refuses a file that is not one', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'history-blob-'));
    try {
      const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
      // As Playwright writes an attachment given a body: inline, base64, in the report's onAttach event.
      const attach = (f: unknown) =>
        JSON.stringify({
          method: 'onAttach',
          params: { testId: 't', resultId: 'r', attachments: [{ name: 's.one.json', contentType: 'application/json', base64: Buffer.from(JSON.stringify(f)).toString('base64') }] },
        });
      const jsonl = [JSON.stringify({ method: 'onBegin', params: {} }), attach(file('s.one', 'nightly-7', '2026-12-01T02:00:00Z')), attach({ not: 'a result' })].join('\n');
      writeFileSync(path.join(dir, 'report-1.zip'), zipSync({ 'report.jsonl': new TextEncoder().encode(jsonl) }));
      writeFileSync(path.join(dir, 'report-2.zip'), zipSync({ 'resources/def.json': enc(file('s.two', 'nightly-7', '2026-12-01T02:09:00Z')), 'resources/other.json': enc({ not: 'a result' }) }));
      const runs = runsAt(dir);
      assert.equal(runs.length, 1);
      assert.deepEqual(runs[0]!.files.map((f) => f.scenario).sort(), ['s.one', 's.two']);
      writeFileSync(path.join(dir, 'broken.zip'), 'not a zip');
      assert.throws(() => runsAt(path.join(dir, 'broken.zip')), /is not a zip file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('pressure history: bad input is named before anything starts', () => {
  const errors = async (argv: string[]) => {
    const lines: string[] = [];
    const orig = console.error;
    console.error = (m: string) => lines.push(m);
    try {
      return { code: await cli(argv), text: lines.join('\n') };
    } finally {
      console.error = orig;
    }
  };

  it('names every bad flag at once, with what each accepts', async () => {
    const r = await errors(['history', 'serve', '--port', 'x', '--database-url', 'mysql://a/b', '--dir', '/tmp/x', '--min-change', '5']);
    assert.equal(r.code, 2);
    assert.match(r.text, /--port must be a whole number from 0 to 65535, got "x"/);
    assert.match(r.text, /--database-url must be a PostgreSQL URL/);
    assert.match(r.text, /name one store: --database-url or --dir, not both/);
    assert.match(r.text, /--min-change goes with changes/);
  });

  it('reads HISTORY_DATABASE_URL with the settings schema a run uses, and names a bad one', async () => {
    const had = process.env.HISTORY_DATABASE_URL;
    process.env.HISTORY_DATABASE_URL = 'mysql://db/history';
    try {
      const r = await errors(['history', 'list']);
      assert.equal(r.code, 2);
      assert.match(r.text, /HISTORY_DATABASE_URL must be a PostgreSQL connection URL such as postgres:\/\/user:pass@127\.0\.0\.1:5432\/db, got "mysql:\/\/db\/history"/);
    } finally {
      if (had === undefined) delete process.env.HISTORY_DATABASE_URL;
      else process.env.HISTORY_DATABASE_URL = had;
    }
  });

  it('refuses an unknown action and an import with nothing to import', async () => {
    assert.match((await errors(['history', 'show'])).text, /the action must be one of import, list, changes, serve, got "show"/);
    assert.match((await errors(['history', 'import'])).text, /import needs at least one results folder or blob report/);
    const r = await errors(['history', 'import', '/nonexistent/results', '--dir', '/tmp/never-made']);
    assert.equal(r.code, 2);
    assert.match(r.text, /\/nonexistent\/results does not exist/);
  });
});
