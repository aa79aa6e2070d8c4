/**
 * PostgreSQL's evidence of a scenario (pg/evidence.ts) in words: a text attachment for
 * the HTML report and a section of summary.md. Formatting only: the figures are the file's.
 */
import type { PgEvidence } from '../pg/evidence.js';
import type { ScenarioFile } from './results.js';
import { markdownTable, textTable } from './tables.js';

const n = (x: number, d = 0) => (+x.toFixed(d)).toLocaleString('en-US');
const oneLine = (q: string, max = 100) => {
  const s = q.replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
};
const mb = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`;

/** The waits, busiest first: `Lock:transactionid 0.42, CPU 0.31` (average sessions). */
export const waitsLine = (w: Record<string, number>) =>
  Object.entries(w)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v.toFixed(2)}`)
    .join(', ') || 'none active';

export function formatPgEvidence(e: PgEvidence): string {
  if (!e.available) return `PostgreSQL's statistics: n/a (${e.reason})\n`;
  const out: string[] = [`PostgreSQL, over ${e.seconds.toFixed(1)} s of this scenario (database-wide deltas; pg/evidence.ts says how exact)`];
  out.push('', e.findings.length ? `Findings:\n${e.findings.map((f) => `  - ${f.message}`).join('\n')}` : 'Findings: none');
  out.push(
    '',
    `Sessions (average over ${e.activity.samples} samples, at most ${e.activity.maxSessions} at once): ${
      Object.entries(e.activity.states)
        .map(([k, v]) => `${k} ${v.toFixed(2)}`)
        .join(', ') || 'none'
    }`,
  );
  out.push(`Active sessions by wait event: ${waitsLine(e.activity.waits)}`);
  // Absent in files of older versions; null before PostgreSQL 14, which does not count them.
  if (e.database) out.push(`Sessions opened (pg_stat_database, the harness's own included): ${e.database.sessions === null ? 'n/a (PostgreSQL 14 or later counts them)' : n(e.database.sessions)}`);
  out.push('', 'Statements (pg_stat_statements), by total time:');
  out.push(
    e.statementStats
      ? textTable(
          ['key', 'calls', 'total ms', 'ms/call', 'rows/call', 'blocks/call', 'read from disk', 'temp blocks', 'statement'],
          e.statements.map((s) => [
            s.key,
            n(s.calls),
            n(s.ms, 1),
            n(s.ms / s.calls, 3),
            n(s.rows / s.calls, 1),
            n((s.blocksHit + s.blocksRead) / s.calls, 1),
            `${((100 * s.blocksRead) / Math.max(1, s.blocksHit + s.blocksRead)).toFixed(1)}%`,
            n(s.tempBlocks),
            oneLine(s.query),
          ]),
        )
      : '  n/a: pg_stat_statements is not installed in the served database',
  );
  if (e.variants && Object.keys(e.variants).length) {
    out.push('', 'Statements per variant (each variant alone, one request at a time, after the scenario; statements called once per two requests or more):');
    for (const [variant, v] of Object.entries(e.variants)) {
      const calls = v.statements.reduce((a, st) => a + st.calls, 0);
      out.push(
        `  ${variant}: ${v.requests ? n(calls / v.requests, 2) : 'n/a'} per request over ${v.requests} requests${v.statements.map((st) => `\n    ${n(st.calls / Math.max(1, v.requests), 2)}× ${st.key} ${oneLine(st.query, 120)}`).join('')}`,
      );
    }
  }
  if (e.analyzed?.length) {
    out.push('', `Statistics refreshed before the scenario (ANALYZE of ${e.analyzed.length} table(s) whose statistics were stale):`);
    for (const t of e.analyzed)
      out.push(`  - ${t.table}: ${n(t.liveRows)} rows, ${n(t.modsSinceAnalyze)} changed since ${t.analyzedAt ? `the last analyze (${t.analyzedAt})` : 'it was created (never analyzed)'}`);
  }
  out.push('', 'Tables (pg_stat_user_tables, partitions under their root):');
  out.push(
    textTable(
      ['table', 'seq scans', 'rows by seq scan', 'index scans', 'rows by index', 'rows written', 'live rows', 'size'],
      e.tables.map((t) => [t.table, n(t.seqScans), n(t.seqRows), n(t.idxScans), n(t.idxRows), t.rowsWritten === undefined ? 'n/a' : n(t.rowsWritten), n(t.liveRows), mb(t.bytes)]),
    ),
  );
  for (const p of e.plans) out.push('', `Generic plan (EXPLAIN (GENERIC_PLAN)) of ${p.key}: ${oneLine(p.query, 200)}`, 'plan' in p ? p.plan : `  n/a: ${p.error}`);
  // Older files have no `logged`.
  if (e.logged && !e.logged.available) out.push('', `Plans as they ran (auto_explain): n/a: ${e.logged.reason}`);
  else if (e.logged?.available) {
    out.push(
      '',
      `Plans as they ran (auto_explain, statements over ${e.logged.minDuration}): ${e.logged.logged ? `${n(e.logged.logged)} logged, the slowest ${e.logged.plans.length}:` : 'none logged'}`,
    );
    for (const p of e.logged.plans) out.push('', `${n(p.durationMs, 1)} ms: ${oneLine(p.query, 200)}`, p.plan);
  }
  return `${out.join('\n')}\n`;
}

/** summary.md's PostgreSQL section: per scenario, its findings, its busiest tables and its waits. */
export function pgMarkdown(files: ScenarioFile[]): string {
  const withPg = files.filter((f) => f.pg);
  if (!withPg.length) return '_no PostgreSQL evidence in these results_';
  const absent = withPg.filter((f) => !f.pg!.available);
  if (absent.length === withPg.length) return `_n/a: ${(absent[0]!.pg as { reason: string }).reason}_`;
  const rows = withPg.map((f) => {
    const e = f.pg!;
    if (!e.available) return [f.scenario, 'n/a', '–', '–', '–'];
    const calls = e.statements.reduce((s, x) => s + x.calls, 0);
    const top =
      e.tables
        .filter((t) => t.seqRows > 0)
        .slice(0, 2)
        .map((t) => `${t.table} ${n(t.seqScans)}× / ${n(t.seqRows)} rows`)
        .join('<br>') || '–';
    return [f.scenario, e.findings.map((x) => x.message).join('<br>') || '–', top, waitsLine(e.activity.waits), e.statementStats ? n(calls) : 'n/a'];
  });
  return markdownTable(['scenario', 'findings (wrong whatever the timing)', 'sequential scans', 'active sessions by wait', 'statements run'], rows);
}
