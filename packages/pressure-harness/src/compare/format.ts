/**
 * A comparison as people read it: each finding one line, like a diagnosis
 * (`dashboard.hydrate ordinary_warm: latency p95 18 → 79 ms (+61 ms, 99% confident, A 0.93); service time moved, DB time did not`),
 * and compare.md around them.
 */
import { formatIndexDiff } from '../pg/schema.js';
import type { Comparison, Finding } from './types.js';

const num = (x: number, unit: string) => {
  const v = Math.abs(x) >= 100 ? Math.round(x).toLocaleString('en-US') : String(+x.toFixed(x < 1 && x > -1 ? 3 : 1));
  return unit && unit !== '' ? `${v} ${unit}` : v;
};
const pct = (x: number) => `${+(x * 100).toFixed(x >= 0.99 && x < 1 ? 1 : 0)}%`;
const times = (x: number) => `×${x.toFixed(2)}`;

/** How sure a shift is, in terms a user can check: its interval and rounds, or why none is known. */
function shiftEvidence(f: Finding): string {
  if (f.interval && f.rounds) return `${pct(f.confidence ?? 0)} confident, interval ${times(f.interval[0])}–${times(f.interval[1])}, ${f.rounds[0]}+${f.rounds[1]} rounds`;
  if (f.rounds) return `${f.rounds[0]}+${f.rounds[1]} rounds: no confidence without a second round on a side`;
  return `${pct(f.confidence ?? 0)} confident, A ${f.effect?.toFixed(2)}`;
}
const NAMES: Record<string, string> = {
  latency_ms: 'latency',
  service_ms: 'service time',
  db_ms: 'DB time',
  bytes_per_req: 'bytes per request',
  error_rate: 'error rate',
  pg_statements_per_req: 'statements per request',
  pg_blocks_per_req: 'shared blocks per request',
  pg_temp_blocks_per_req: 'temp blocks per request',
  pg_seq_rows_per_req: 'rows read by sequential scans per request',
  pg_rows_written_per_req: 'rows written per request',
  pg_sessions_per_req: 'sessions opened per request',
  pg_blocks_per_call: 'shared blocks per call',
  pg_rows_per_call: 'rows per call',
  pg_wait_sessions: 'average sessions waiting',
  pg_state_sessions: 'average sessions in that state',
  knee: 'knee (highest load within the objective)',
};
const nameOf = (metric: string) => NAMES[metric] ?? metric;

export function formatFinding(f: Finding): string {
  const where = f.route ? `${f.scenario} ${f.route}` : f.scenario;
  const delta = f.candidate - f.base;
  const sign = delta >= 0 ? '+' : '−';
  const change = Number.isFinite(delta) ? ` (${sign}${num(Math.abs(delta), f.unit)}` : ' (';
  let text = `${where}: ${nameOf(f.metric)} ${f.stat} ${num(f.base, f.unit)} → ${num(f.candidate, f.unit)}${change}`;
  if (f.kind === 'shift' || f.interval) {
    text += `, ${shiftEvidence(f)})`;
    if (f.moved && Object.keys(f.moved).length) {
      const moved = Object.entries(f.moved)
        .filter(([, v]) => v)
        .map(([k]) => nameOf(k));
      const still = Object.entries(f.moved)
        .filter(([, v]) => !v)
        .map(([k]) => nameOf(k));
      text += `; ${[moved.length ? `${moved.join(' and ')} moved` : '', still.length ? `${still.join(' and ')} did not` : ''].filter(Boolean).join(', ')}`;
    }
  } else if (f.kind === 'errors') {
    text += `; ${Object.entries(f.classes ?? {})
      .map(([k, [x, y]]) => `${k} ${x} → ${y}`)
      .join(', ')})`;
  } else if (f.kind === 'shape') {
    return f.metric === 'pg_plan' ? `${where}: ${f.message}` : `${where}: new in the candidate: ${f.message}`;
  } else if (f.kind === 'mix') {
    return `${where}: statuses ${f.message}: the route answers otherwise (${f.stat} ${num(f.base, '%')} → ${num(f.candidate, '%')})`;
  } else text += ')';
  if (f.message) text += `: \`${f.message}\``;
  if (f.cause) text += `; probable cause: ${f.cause}`;
  return text;
}

/** Each finding on a line of its own, failing ones marked: what the command line prints. */
export const findingLines = (fs: Finding[]): string[] => fs.map((f) => `  ${f.severity === 'fail' ? 'FAIL' : 'warn'} ${formatFinding(f)}`);

export function compareMarkdown(c: Comparison): string {
  const lines: string[] = [];
  const fails = c.findings.filter((f) => f.severity === 'fail');
  const warns = c.findings.filter((f) => f.severity === 'warn');
  lines.push(`# ${c.candidate.label} against ${c.base.label}`, '');
  const d = c.decision;
  lines.push(
    `${c.compared} metrics compared (${c.tested} by a shift test, false discovery rate held at ${c.rules.fdr * 100}%), ` +
      `${c.base.rounds} + ${c.candidate.rounds} rounds: **${fails.length} failing, ${warns.length} warning**${c.improvements.length ? `, ${c.improvements.length} improved` : ''}.`,
    '',
  );
  if (d) {
    lines.push(`**Rounds:** ${d.rounds[0]} + ${d.rounds[1]}; ${d.decided ? 'decided' : 'not decided'}: ${d.why}${c.stopped ? `. Stopped: ${c.stopped}` : ''}.`, '');
    if (d.openExamples?.length) lines.push(`Open, among others: ${d.openExamples.join(', ')}.`, '');
    lines.push(`*Method:* ${d.method}. An interval is the candidate's percentile over the base's.`, '');
  }
  // A changed plan carries both plans, folded under it.
  const withPlans = (f: Finding) =>
    f.plans
      ? [
          `- ${formatFinding(f)}`,
          '  <details><summary>both plans</summary>',
          '',
          '  Base:',
          '',
          '  ```',
          ...f.plans.base.split('\n').map((l) => `  ${l}`),
          '  ```',
          '',
          '  Candidate:',
          '',
          '  ```',
          ...f.plans.candidate.split('\n').map((l) => `  ${l}`),
          '  ```',
          '  </details>',
        ]
      : [`- ${formatFinding(f)}`];
  const list = (title: string, fs: Finding[]) => {
    if (!fs.length) return;
    lines.push(`## ${title}`, '', ...fs.flatMap(withPlans), '');
  };
  if (c.environment?.length)
    lines.push('## ⚠️ The two sides ran on different environments', '', ...c.environment.map((d) => `- ${d}`), '', 'A difference in latency may come from these, not from the code.', '');
  if (d?.figures?.length) {
    lines.push("## Capacity and the scenarios' own figures", '', '| scenario | figure | base rounds | candidate rounds | candidate / base |', '| --- | --- | --- | --- | --- |');
    for (const x of d.figures) lines.push(`| ${x.scenario} | ${nameOf(x.metric)} | ${x.base.join(', ')} | ${x.candidate.join(', ')} | ${times(x.interval[0])}–${times(x.interval[1])} |`);
    lines.push('');
    // What saturated: the gauges that rose where a figure fell, from the backend's own signals.
    const gauges = c.findings.filter((f) => f.kind === 'signal');
    if (gauges.length)
      lines.push(`What the backend's gauges say rose: ${gauges.map((g) => `${g.scenario} ${g.metric} ${g.stat} ${num(g.base, g.unit)} → ${num(g.candidate, g.unit)}`).join('; ')}.`, '');
  }
  list('Failing', fails);
  list('Warnings', warns);
  list('Improved', c.improvements);
  if (c.unmatched.length) lines.push('## Only on one side', '', ...c.unmatched.map((u) => `- ${u}`), '');
  if (c.schema?.length) lines.push('## Schema differences (indexes)', '', ...c.schema.map((d) => `- ${formatIndexDiff(d)}`), '');
  lines.push('## Every route', '', '| scenario | route | p50 base → candidate | p95 base → candidate | requests |', '| --- | --- | --- | --- | --- |');
  for (const r of c.routes) {
    lines.push(`| ${r.scenario} | ${r.route} | ${r.base.p50} → ${r.candidate.p50} ms | ${r.base.p95} → ${r.candidate.p95} ms | ${r.base.requests} / ${r.candidate.requests} |`);
  }
  lines.push('');
  return lines.join('\n');
}
