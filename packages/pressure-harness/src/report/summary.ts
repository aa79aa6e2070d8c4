/**
 * A perf run in two files for CI: summary.md (fit for a job summary: verdicts, deltas against
 * the baseline, slowest endpoints, slowest DB statements, the sections scenarios add (a queue's
 * backlog), the slowest requests with their trace IDs) and results.json (the same, machine-readable, with the release
 * tag and the commit, for trend tracking).
 */
import { describeEnvironment, environmentDifferences } from '../pg/environment.js';
import { describeClient } from '../load/client-health.js';
import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { formatOutcome, judged, passed } from '../budgets/define.js';
import { type Problem, worst } from './outcome.js';
import { mergeStatements, type DbFile, type ScenarioFile, writeJson } from './results.js';
import { formatFinding } from '../compare/format.js';
import { probeFailing, probeLines } from '../compare/probe.js';
import { pgMarkdown } from './pg.js';
import { markdownTable, NA } from './tables.js';

/** `problems`: failed perf tests as the reporter classed them (none: every failure was a scenario's budget, or none failed). */
export type RunMeta = { runId: string; release: string | null; commit: string | null; baseline: string | null; shards: number; source: string; problems?: Problem[] };

const ms = (v: number) => `${(+v.toFixed(2)).toString()} ms`;
const trim = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

/**
 * The backend's last log line of a request, in short: what it said, the status and its own
 * timing, from a JSON line in any of the usual shapes (pino and bunyan's msg/res.statusCode/
 * responseTime/reqId, winston's message, status, duration_ms, request_id); other text as it is.
 */
export function logSummary(lines: string[] | undefined): string {
  if (!lines?.length) return '–';
  for (const l of [...lines].reverse()) {
    try {
      const j = JSON.parse(l) as Record<string, unknown> & { res?: { statusCode?: unknown } };
      const pick = <T>(keys: string[], ok: (v: unknown) => v is T) => keys.map((k) => j[k]).find(ok);
      const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
      const isStr = (v: unknown): v is string => typeof v === 'string' && v !== '';
      const msg = pick(['msg', 'message'], isStr) ?? '';
      const status = isNum(j.res?.statusCode) ? j.res.statusCode : pick(['statusCode', 'status'], isNum);
      const took = pick(['responseTime', 'duration_ms', 'durationMs', 'elapsed_ms'], isNum);
      const id = pick(['reqId', 'requestId', 'request_id', 'trace_id', 'traceId'], isStr);
      return `${msg}${status ? ` · ${status}` : ''}${took !== undefined ? ` · ${took.toFixed(1)} ms in the app` : ''}${id ? ` · reqId ${id}` : ''}`;
    } catch {
      /* not JSON: show it as it is */
    }
  }
  return trim(oneLine(lines.at(-1)!), 140);
}

type Statements = ReturnType<typeof mergeStatements>;
type Slow = ScenarioFile['slowest'][number] & { scenario: string };

/** What the run ran on (the first scenario's record; shards on other machines are named too). */
function environmentSection(sorted: ScenarioFile[]): string[] {
  const envs = sorted.flatMap((s) => (s.environment ? [s.environment] : []));
  if (!envs.length) return [];
  const lines = describeEnvironment(envs[0]!);
  const others = [...new Set(envs.slice(1).map((e) => JSON.stringify(e)))].filter((e) => e !== JSON.stringify(envs[0]));
  if (others.length)
    lines.push(
      `${others.length} other environment${others.length === 1 ? '' : 's'} among the shards: ${others.map((e) => environmentDifferences(envs[0], JSON.parse(e) as (typeof envs)[0]).join(', ') || 'same settings').join('; ')}`,
    );
  return ['', '### Environment', '', ...lines.map((l) => `- ${l}`)];
}

/** How the run ended, where a test did not end in a budget verdict (a crash, a timeout). */
function endingSection(problems: NonNullable<RunMeta['problems']>): string[] {
  const others = problems.filter((p) => p.outcome !== 'budget broken');
  if (!others.length) return [];
  return [
    '',
    '### How the run ended',
    '',
    markdownTable(
      ['test', 'outcome', 'error'],
      others.map((p) => [p.test, p.outcome, trim(oneLine(p.message), 200)]),
    ),
  ];
}

function verdictsSection(sorted: ScenarioFile[]): string[] {
  const md = ['', '### Budget verdicts', ''];
  if (!sorted.length) return [...md, '_no scenario finished: see how the run ended above_'];
  md.push(
    markdownTable(
      ['scenario', 'verdict', 'attempts', 'rules met', 'broken'],
      sorted.map((s) => [
        s.scenario,
        s.verdict === 'passed' ? '✅ passed' : '❌ failed',
        String(s.attempts),
        `${s.outcomes.filter(passed).length}/${s.outcomes.filter(judged).length}${s.outcomes.some((o) => !judged(o)) ? ` (${s.outcomes.filter((o) => !judged(o)).length} skipped)` : ''}`,
        s.broken.map((b) => trim(formatOutcome(b).replace(/^fail: /, ''), 160)).join('<br>') || '–',
      ]),
    ),
  );
  const saturated = sorted.filter((s) => s.client?.saturated);
  if (saturated.length) md.push('', '### The load generator', '', ...saturated.map((s) => `- ⚠️ **${s.scenario}**: ${describeClient(s.client!)}.`));
  return md;
}

function baselineSection(sorted: ScenarioFile[], baseline: string | null | undefined): string[] {
  const deltas = sorted.flatMap((s) => (s.baseline?.deltas ?? []).map((d) => ({ scenario: s.scenario, ...d })));
  return [
    '',
    `### Against the baseline${baseline ? ` \`${baseline}\`` : ''}`,
    '',
    deltas.length
      ? markdownTable(
          ['scenario', 'rule', 'change', 'verdict'],
          deltas.map((d) => [d.scenario, d.rule, `${d.pct >= 0 ? '+' : ''}${d.pct.toFixed(1)}%`, d.ok ? 'within' : 'over']),
        )
      : baseline
        ? '_the baseline has no value for these scenarios_'
        : '_no baseline given (PERF_BASELINE=<tag>)_',
  ];
}

/** Every metric against the baseline's recording, and the scale probes: findings with no rule written. */
function findingsSections(sorted: ScenarioFile[]): string[] {
  const md: string[] = [];
  const compared = sorted.filter((s) => s.comparison);
  if (compared.length) {
    const tag = compared[0]!.comparison!.against;
    const all = compared.flatMap((s) => s.comparison!.findings);
    md.push('', `### Every metric against \`${tag}\` (no rule written)`, '');
    md.push(
      `${compared.reduce((n, s) => n + s.comparison!.compared, 0)} metrics of ${compared.length} scenarios compared with what the baseline recorded (compare): ${all.filter((f) => f.severity === 'fail').length} failing, ${all.filter((f) => f.severity === 'warn').length} warning.`,
      '',
    );
    for (const f of all) md.push(`- ${f.severity === 'fail' ? '❌' : '⚠️'} ${formatFinding(f)}`);
  }
  const probed = sorted.filter((s) => s.probes?.length);
  if (probed.length) {
    const all = probed.flatMap((s) => s.probes!);
    md.push('', '### Scale probes (the same requests at two data sizes, no rule written)', '');
    md.push(
      `${all.length} probes, ${all.reduce((n, p) => n + p.compared, 0)} metrics compared: ${all.reduce((n, p) => n + probeFailing(p).length, 0)} failing, ${all.reduce((n, p) => n + p.findings.length - probeFailing(p).length, 0)} warning, ${all.reduce((n, p) => n + p.expected.length, 0)} expected.`,
      '',
    );
    for (const p of all) {
      const lines = probeLines(p).map((l) => `${{ fail: '❌', warn: '⚠️', expected: 'ℹ️' }[l.verdict]} ${l.text}`);
      md.push(
        `- ${p.small.variant} → ${p.large.variant}, ${p.dimension} ${p.small.size.toLocaleString('en-US')} → ${p.large.size.toLocaleString('en-US')}${lines.length ? '' : `: flat (${p.compared} metrics)`}`,
        ...lines.map((l) => `  - ${l}`),
      );
    }
  }
  return md;
}

/** The slowest endpoints, statements and requests, PostgreSQL's figures and the scenarios' own sections. */
function evidenceSections(sorted: ScenarioFile[], statements: Statements, slowest: Slow[]): string[] {
  const endpoints = sorted.flatMap((s) => Object.entries(s.endpoints).map(([name, e]) => ({ scenario: s.scenario, endpoint: name, ...e }))).sort((a, b) => b.latencyMs.p95 - a.latencyMs.p95);
  const md = ['', '### Slowest endpoints (p95)', ''];
  md.push(
    markdownTable(
      ['scenario', 'endpoint', 'p50', 'p95', 'p99', 'req/s', 'errors', 'queries/req'],
      endpoints
        .slice(0, 10)
        .map((e) => [
          e.scenario,
          e.endpoint,
          ms(e.latencyMs.p50),
          ms(e.latencyMs.p95),
          ms(e.latencyMs.p99),
          String(e.throughputPerSec),
          String(e.errors),
          e.dbQueriesPerRequest ? String(e.dbQueriesPerRequest.mean) : NA,
        ]),
    ),
  );
  md.push('', '### Slowest DB statements (pg_stat_statements, this run)', '');
  md.push(
    statements.available
      ? markdownTable(
          ['statement', 'calls', 'total', 'mean', 'rows'],
          statements.statements.slice(0, 10).map((s) => [`\`${trim(oneLine(s.query), 120)}\``, String(s.calls), ms(s.totalMs), ms(s.meanMs), String(s.rows)]),
        )
      : `_${statements.reason ?? 'no statement statistics were collected (a backend without DATABASE_URL access)'}_`,
  );
  md.push('', '### PostgreSQL, per scenario (its own statistics)', '', pgMarkdown(sorted));
  for (const sc of sorted) for (const sec of sc.sections ?? []) md.push('', `### ${sec.title} (${sc.scenario})`, '', sec.markdown);
  md.push('', '### Slowest requests', '');
  md.push(
    slowest.length
      ? markdownTable(
          ['scenario', 'endpoint', 'latency', 'status', 'trace id', 'app log'],
          slowest.map((r) => [r.scenario, r.route, ms(r.ms), String(r.status ?? 'error'), `\`${r.traceId}\``, logSummary(r.logLines)]),
        )
      : '_none recorded_',
  );
  return md;
}

/** results.json: the same run as data. */
function summaryJson(
  sorted: ScenarioFile[],
  meta: RunMeta,
  o: { profile: string; verdict: string; outcome: string; problems: NonNullable<RunMeta['problems']>; statements: Statements; slowest: Slow[] },
) {
  return {
    version: 1,
    runId: meta.runId,
    release: meta.release,
    commit: meta.commit,
    baseline: meta.baseline,
    profile: o.profile,
    shards: meta.shards,
    source: meta.source,
    verdict: o.verdict,
    outcome: o.outcome,
    problems: o.problems,
    generatedAt: new Date().toISOString(),
    scenarios: sorted.map((s) => ({
      id: s.scenario,
      verdict: s.verdict,
      attempts: s.attempts,
      broken: s.broken,
      outcomes: s.outcomes,
      absent: s.absent,
      stats: s.stats,
      endpoints: Object.fromEntries(Object.entries(s.endpoints).map(([k, e]) => [k, { ...e, histogram: undefined }])),
      baselineDeltas: s.baseline?.deltas ?? [],
      client: s.client ?? null,
      comparison: s.comparison ?? null,
      probes: s.probes ?? [],
      pg: s.pg ? (s.pg.available ? { findings: s.pg.findings, tables: s.pg.tables, activity: s.pg.activity } : { available: false, reason: s.pg.reason }) : null,
    })),
    environment: sorted.find((s) => s.environment)?.environment ?? null,
    slowestStatements: o.statements.statements.slice(0, 20),
    slowestRequests: o.slowest,
    sections: sorted.flatMap((sc) => (sc.sections ?? []).map((x) => ({ scenario: sc.scenario, ...x }))),
  };
}

export function buildSummary(scenarios: ScenarioFile[], db: DbFile[], meta: RunMeta) {
  const sorted = [...scenarios].sort((a, b) => a.scenario.localeCompare(b.scenario));
  const failed = sorted.filter((s) => s.verdict !== 'passed');
  const problems = meta.problems ?? [];
  const outcome = worst([...problems, ...failed.map((s) => ({ test: s.scenario, outcome: 'budget broken' as const, message: '' }))]);
  const verdict = outcome === 'passed' ? 'passed' : 'failed';
  const profile = [...new Set(sorted.map((s) => s.profile))].join(', ');
  const statements = mergeStatements(db);
  const slowest = sorted
    .flatMap((s) => s.slowest.map((r) => ({ scenario: s.scenario, ...r })))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 10);
  const md = [
    `## Perf run \`${meta.runId}\`: ${verdict === 'passed' ? 'passed ✅' : `failed ❌ (${outcome})`}`,
    `Profile **${profile || 'n/a'}** · release ${meta.release ? `\`${meta.release}\`` : 'untagged'} · commit ${meta.commit ? `\`${meta.commit.slice(0, 12)}\`` : 'unknown'} · baseline ${meta.baseline ? `\`${meta.baseline}\`` : 'none'}${meta.shards > 1 ? ` · merged from ${meta.shards} shards` : ''}`,
    ...environmentSection(sorted),
    ...endingSection(problems),
    ...verdictsSection(sorted),
    ...baselineSection(sorted, meta.baseline),
    ...findingsSections(sorted),
    ...evidenceSections(sorted, statements, slowest),
  ];
  const json = summaryJson(sorted, meta, { profile, verdict, outcome, problems, statements, slowest });
  return { markdown: `${md.join('\n')}\n`, json, verdict, outcome };
}

/** Writes summary.md and results.json, and the job summary where CI offers one. */
export function writeSummary(dir: string, scenarios: ScenarioFile[], db: DbFile[], meta: RunMeta, env: NodeJS.ProcessEnv = process.env) {
  const s = buildSummary(scenarios, db, meta);
  writeJson(path.join(dir, 'results.json'), s.json);
  const file = path.join(dir, 'summary.md');
  writeFileSync(file, s.markdown);
  if (env.GITHUB_STEP_SUMMARY) appendFileSync(env.GITHUB_STEP_SUMMARY, s.markdown);
  return s;
}

/**
 * A perf run refused before it started (a bad setting): summary.md and results.json say so, so
 * that CI shows why there are no results instead of showing nothing.
 */
export function writeBadSettings(dir: string, problems: string[], env: NodeJS.ProcessEnv = process.env) {
  const meta: RunMeta = {
    runId: env.RUN_ID ?? '(not started)',
    release: null,
    commit: null,
    baseline: null,
    shards: 1,
    source: 'settings',
    problems: problems.map((p) => ({ test: '(settings)', outcome: 'bad settings', message: p })),
  };
  return writeSummary(dir, [], [], meta, env);
}
