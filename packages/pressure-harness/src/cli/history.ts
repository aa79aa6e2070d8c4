/**
 * pressure history import|list|changes|serve: every perf run kept in a PostgreSQL store, the
 * change points of its series, and a page to read them. The store is --database-url (or
 * HISTORY_DATABASE_URL: a shared one, as a CI nightly uses), else --dir (or PERF_HISTORY_DIR: an
 * embedded PostgreSQL kept in that folder), else the suite's default folder
 * `<config folder>/.pressure/history`.
 */
import { appendFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { bisectCommand, changesInStore, formatChange, recordAndExplain } from '../history/changes.js';
import { type HistoryRun, historyRunOf } from '../history/record.js';
import { serveHistory } from '../history/serve.js';
import { type RunSource, runsAt } from '../history/sources.js';
import { type HistoryLocation, type HistoryStore, listRuns, openHistory } from '../history/store.js';
import { type FlagSpec, intFlag, parseFlags, UsageError } from './args.js';
import { harnessShape } from '../config/settings.js';
import { parseEnv, SettingsError } from '../contract/env.js';
import { loadSuite } from './suite.js';

const ACTIONS = ['import', 'list', 'changes', 'serve'] as const;
type Action = (typeof ACTIONS)[number];

export const history = {
  name: 'history',
  summary: 'keep every perf run, find when a series changed, serve a page to read them',
  usage:
    'pressure history (import <results dir | blob report>… [--commit <sha>] [--branch <name>] [--at <ISO time>] | list [--limit N] | changes [--scenario <id>]… [--min-change 5] [--json] | serve [--port N] [--host 127.0.0.1]) [--database-url <url> | --dir <folder>] [--branch <name>] [-c <config>]',
  about:
    "import: records perf runs (a results folder, a Playwright blob report zip or a folder of them: shards of one RUN_ID become one run; a run already recorded is replaced) and appends the History section, the series of its scenarios that changed, to the folder's summary.md and the CI job summary. list: the runs, newest first. changes: each series' change points (E-divisive means), by how much, between which commits, with the bisect that starts from that pair. serve: the history page (runs, series with their change points, a run, two runs side by side) until interrupted; bound to loopback unless --host says otherwise. Exits 2 on bad input.",
  example: 'npx pressure history import perf-results --database-url "$HISTORY_DATABASE_URL"',
  flags: {
    'database-url': { type: 'string', help: 'the store: a PostgreSQL URL (default: HISTORY_DATABASE_URL)' },
    dir: { type: 'string', help: "the store: an embedded PostgreSQL's folder, kept between runs (default: PERF_HISTORY_DIR, else <config folder>/.pressure/history)" },
    branch: { type: 'string', help: 'import: the branch the runs measured (default: what they recorded); list, changes, serve: only runs of this branch' },
    commit: { type: 'string', help: 'import: the commit the runs measured, for results that did not record it' },
    at: { type: 'string', help: 'import: when the runs were made (ISO 8601), for results that did not record it' },
    limit: { type: 'string', help: 'list: how many runs (default 30)' },
    scenario: { type: 'string', multiple: true, help: 'changes: only this scenario (repeatable)' },
    'min-change': { type: 'string', help: 'changes: the smallest change reported, in percent (default 5)' },
    json: { type: 'boolean', help: 'changes, list: print JSON' },
    port: { type: 'string', help: 'serve: the port (default: a free one)' },
    host: { type: 'string', help: 'serve: the address to listen on (default 127.0.0.1, loopback only)' },
  } satisfies FlagSpec,
  async run(argv: string[]): Promise<number> {
    const f = parseFlags('history', argv, history.flags, history.usage);
    const problems = f.problems;
    const [actionArg, ...inputs] = f.positionals;
    const action = ACTIONS.includes(actionArg as Action) ? (actionArg as Action) : undefined;
    if (!action) problems.push(`the action must be one of ${ACTIONS.join(', ')}, got ${actionArg === undefined ? 'none' : `"${actionArg}"`}`);
    if (action === 'import' && !inputs.length) problems.push('import needs at least one results folder or blob report');
    if (action && action !== 'import' && inputs.length) problems.push(`unexpected arguments: ${inputs.join(' ')}`);
    const only = (flags: string[], act: Action) => {
      for (const k of flags) if ((f as Record<string, unknown>)[k] !== undefined && action !== act) problems.push(`--${k} goes with ${act}`);
    };
    only(['commit', 'at'], 'import');
    only(['limit'], 'list');
    only(['scenario', 'min-change'], 'changes');
    only(['port', 'host'], 'serve');
    if (f['database-url'] && f.dir) problems.push('name one store: --database-url or --dir, not both');
    // The flag and the environment are read with the harness's own settings schema, as a run reads them.
    const url = harnessShape.HISTORY_DATABASE_URL;
    if (f['database-url'] && !url.safeParse(f['database-url']).success)
      problems.push(`--database-url must be a PostgreSQL URL such as postgres://user:password@host:5432/history, got "${f['database-url']}"`);
    let env: { HISTORY_DATABASE_URL?: string; PERF_HISTORY_DIR?: string } = {};
    try {
      env = parseEnv('history', { HISTORY_DATABASE_URL: url, PERF_HISTORY_DIR: harnessShape.PERF_HISTORY_DIR }, process.env);
    } catch (e) {
      if (!(e instanceof SettingsError)) throw e;
      problems.push(...e.problems);
    }
    if (f.at && Number.isNaN(Date.parse(f.at))) problems.push(`--at must be an ISO 8601 time such as 2026-12-04T02:17:00Z, got "${f.at}"`);
    if (f.commit && !/^[0-9a-f]{7,40}$/i.test(f.commit)) problems.push(`--commit must be a git commit hash (7 to 40 hex digits), got "${f.commit}"`);
    const limit = intFlag(problems, 'limit', f.limit, 1, 10_000, 30);
    const port = intFlag(problems, 'port', f.port, 0, 65_535, 0);
    const minChange = f['min-change'] === undefined ? 5 : Number(f['min-change']);
    if (!(minChange >= 0 && minChange <= 1000)) problems.push(`--min-change must be a percentage from 0 to 1000, got "${f['min-change']}"`);
    if (f.json && action !== 'changes' && action !== 'list') problems.push('--json goes with changes or list');
    f.done();

    // Every input is read before the store is opened: a bad one refuses the whole import, and nothing is written.
    const runs = action === 'import' ? runsToImport(inputs, { branch: f.branch, commit: f.commit, at: f.at }) : [];
    const store = await openHistory(await locate(f, env), { log: () => {} });
    try {
      const branch = f.branch && action !== 'import' ? { branch: f.branch } : {};
      switch (action!) {
        case 'import':
          return await importRuns(store, runs);
        case 'list': {
          const runs = await listRuns(store, { limit, ...branch });
          if (f.json) console.log(JSON.stringify(runs, null, 2));
          else if (!runs.length) console.log(`no runs in ${store.where}`);
          else
            for (const r of runs)
              console.log(`${r.at.slice(0, 16).replace('T', ' ')}  ${r.id}  ${(r.commit ?? 'unknown').slice(0, 12)}  ${r.branch ?? '-'}  ${r.dataset}  ${r.verdict}  ${r.scenarios} scenarios`);
          return 0;
        }
        case 'changes': {
          const changes = await changesInStore(store, { minChange: minChange / 100, ...branch, ...(f.scenario && { scenarios: f.scenario }) });
          if (f.json) console.log(JSON.stringify(changes, null, 2));
          else if (!changes.length) console.log(`no series in ${store.where} changed by ${minChange}% or more`);
          else for (const c of changes) console.log(`${formatChange(c)}${bisectCommand(c) ? `\n  ${bisectCommand(c)}` : ''}`);
          return 0;
        }
        case 'serve': {
          const server = await serveHistory(store, { port, host: f.host ?? '127.0.0.1', ...branch });
          console.log(`history: ${server.url}  (${store.where}; Ctrl-C to stop)`);
          // Kept listening (not once): a second Ctrl-C while closing must not kill the process
          // before the embedded PostgreSQL is stopped.
          await new Promise<void>((resolve) => {
            process.on('SIGINT', () => resolve());
            process.on('SIGTERM', () => resolve());
          });
          await server.close();
          return 0;
        }
      }
    } finally {
      await store.close();
    }
  },
};

/** Where the store is: a flag, the environment, the suite's settings, or the suite's default folder. */
async function locate(f: { 'database-url'?: string; dir?: string; config?: string }, env: { HISTORY_DATABASE_URL?: string; PERF_HISTORY_DIR?: string }): Promise<HistoryLocation> {
  if (f['database-url']) return { url: f['database-url'] };
  if (f.dir) return { dir: path.resolve(f.dir) };
  if (env.HISTORY_DATABASE_URL) return { url: env.HISTORY_DATABASE_URL };
  if (env.PERF_HISTORY_DIR) return { dir: path.resolve(env.PERF_HISTORY_DIR) };
  const suite = await loadSuite(f.config);
  return suite.perf.history ?? { dir: path.join(suite.root, '.pressure', 'history') };
}

function runsToImport(inputs: string[], o: { branch?: string; commit?: string; at?: string }) {
  const problems: string[] = [];
  const runs: { s: RunSource & { input: string }; run: HistoryRun }[] = [];
  for (const input of inputs) {
    try {
      for (const s of runsAt(input)) {
        const commit = o.commit ?? s.recorded?.commit;
        const at = o.at ?? s.files.map((x) => x.at).find(Boolean) ?? s.recorded?.at;
        runs.push({ s: { ...s, input }, run: historyRunOf(s.files, { source: s.source, code: { ...(o.branch && { branch: o.branch }), ...(commit && { commit }) }, ...(at && { at }) }) });
      }
    } catch (e) {
      problems.push(`${input}: ${(e as Error).message}`);
    }
  }
  if (problems.length) throw new UsageError('history', problems, history.usage);
  return runs;
}

async function importRuns(store: HistoryStore, runs: ReturnType<typeof runsToImport>): Promise<number> {
  for (const { s, run } of runs) {
    const { replaced, markdown: md } = await recordAndExplain(store, run);
    console.log(
      `history: ${replaced ? 'replaced' : 'recorded'} run ${run.id} (${run.scenarios.length} scenarios, ${run.points.length} series points, commit ${(run.code.commit ?? 'unknown').slice(0, 12)}) from ${s.source}`,
    );
    process.stdout.write(md);
    const summary = path.join(path.resolve(s.input), 'summary.md');
    if (existsSync(summary)) {
      appendFileSync(summary, md);
      if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, md);
    }
  }
  return 0;
}
