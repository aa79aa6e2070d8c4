/**
 * When a series changed: the change points of each scenario × route × metric over the runs the
 * store holds (changepoints.ts), as findings a person can act on: between which runs and commits,
 * by how much, how sure, and the bisect that starts from that pair. Latency is followed on the
 * log scale (a change is a ratio), the other metrics as they are.
 */
import { eDivisive } from './changepoints.js';
import { type HistoryRun, SERIES_METRICS, type SeriesMetric, valueOf } from './record.js';
import { type HistoryStore, recordRun, seriesKeys, seriesOf, type SeriesRow } from './store.js';

export type SeriesChange = {
  scenario: string;
  route: string;
  metric: SeriesMetric;
  /** The first run of the new level, and the last run before it. */
  run: { id: string; commit: string | null; at: string };
  previous: { id: string; commit: string | null; at: string };
  /** The level before and after (geometric mean for latency, mean otherwise), over the neighbouring segments. */
  before: number;
  after: number;
  /** after / before; for the error rate, the difference in points is what reads (ratio of a 0 is ∞). */
  ratio: number;
  pValue: number;
  /** Runs on each side of the change that its level is measured on. */
  runs: { before: number; after: number };
  /** The machine, Node or PostgreSQL (version, settings) differ across the change: it may be the environment, not the code. */
  environmentChanged: boolean;
};

export type ChangeOptions = {
  metrics?: SeriesMetric[];
  /** Smallest relative change reported (default 0.05: ±5%). */
  minChange?: number;
  significance?: number;
};

const DEFAULT_METRICS: SeriesMetric[] = ['p50', 'p95', 'p99', 'queries', 'errors'];
/** Fewest runs a series needs before its change points are looked for: 5 a side. */
export const MIN_RUNS = 10;

/** The change points of one series (rows oldest first), for each metric asked. */
export function changesOf(rows: SeriesRow[], o: ChangeOptions = {}): SeriesChange[] {
  const out: SeriesChange[] = [];
  for (const metric of o.metrics ?? DEFAULT_METRICS) {
    const { log } = SERIES_METRICS[metric];
    const present = rows.map((r) => ({ r, v: valueOf(r, metric) })).filter((x): x is { r: SeriesRow; v: number } => x.v !== null && (!log || x.v > 0));
    if (present.length < MIN_RUNS) continue;
    const values = present.map((x) => (log ? Math.log(x.v) : x.v));
    // A flat series (every night 0 errors, the same query count) has no change to find.
    if (values.every((v) => v === values[0])) continue;
    const key = rows[0]!;
    for (const c of eDivisive(values, { seed: `${key.scenario}|${key.route}|${metric}`, ...(o.significance && { significance: o.significance }) })) {
      const [before, after] = log ? [Math.exp(c.before.mean), Math.exp(c.after.mean)] : [c.before.mean, c.after.mean];
      const ratio = before === 0 ? (after === 0 ? 1 : Number.POSITIVE_INFINITY) : after / before;
      const shift = metric === 'errors' ? Math.abs(after - before) : Math.abs(ratio - 1);
      if (shift < (o.minChange ?? 0.05)) continue;
      const first = present[c.index]!.r;
      const last = present[c.index - 1]!.r;
      // The environment most runs on each side ran on: a change of machine a night off the change point still counts.
      const usual = (from: number, to: number) => mode(present.slice(from, to).map((x) => x.r.fingerprint));
      out.push({
        scenario: key.scenario,
        route: key.route,
        metric,
        run: { id: first.runId, commit: first.commit, at: first.at },
        previous: { id: last.runId, commit: last.commit, at: last.at },
        before,
        after,
        ratio,
        pValue: c.pValue,
        runs: { before: c.before.n, after: c.after.n },
        environmentChanged: usual(c.index - c.before.n, c.index) !== usual(c.index, c.index + c.after.n),
      });
    }
  }
  return out;
}

type StoreSearch = ChangeOptions & { scenarios?: string[]; branch?: string; dataset?: string; limit?: number };

/** The change points of every series in scope, newest first, and the most runs any of those series has (its depth). */
async function searchStore(store: HistoryStore, o: StoreSearch): Promise<{ changes: SeriesChange[]; depth: number }> {
  const scope = { ...(o.branch && { branch: o.branch }), ...(o.dataset && { dataset: o.dataset }) };
  const keys = (await seriesKeys(store, scope)).filter((k) => !o.scenarios || o.scenarios.includes(k.scenario));
  const changes: SeriesChange[] = [];
  for (const k of keys) {
    if (k.runs < MIN_RUNS) continue;
    changes.push(...changesOf(await seriesOf(store, k, { ...scope, ...(o.limit && { limit: o.limit }) }), o));
  }
  changes.sort((a, b) => b.run.at.localeCompare(a.run.at) || a.scenario.localeCompare(b.scenario));
  return { changes, depth: Math.max(0, ...keys.map((k) => k.runs)) };
}

/** The change points of every series of the store (or of `scenarios`), newest first. */
export async function changesInStore(store: HistoryStore, o: StoreSearch = {}): Promise<SeriesChange[]> {
  return (await searchStore(store, o)).changes;
}

function mode(xs: string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
}

const short = (c: string | null) => (c ? c.slice(0, 12) : 'unknown');

/** One change in words; `series: false` leaves out its scenario and route (a page that shows them beside it). */
export function formatChange(c: SeriesChange, o: { series?: boolean } = {}): string {
  const m = SERIES_METRICS[c.metric];
  const fmt = (v: number) => (c.metric === 'errors' ? `${(v * 100).toFixed(2)}%` : `${+v.toPrecision(3)}${m.unit ? ` ${m.unit}` : ''}`);
  const by = c.metric === 'errors' ? `${((c.after - c.before) * 100).toFixed(2)} points` : `${c.ratio >= 1 ? '+' : ''}${((c.ratio - 1) * 100).toFixed(0)}%`;
  return (
    `${o.series === false ? '' : `${c.scenario} ${c.route}: `}${m.label} ${fmt(c.before)} → ${fmt(c.after)} (${by}) from run ${c.run.id} (${c.run.at.slice(0, 10)}), ` +
    `between ${short(c.previous.commit)} and ${short(c.run.commit)}; ${c.runs.before} runs before, ${c.runs.after} after, p = ${c.pValue.toFixed(3)}` +
    (c.environmentChanged ? '; the environment changed across it too (machine, Node or PostgreSQL)' : '')
  );
}

/** The bisect that starts from a change's pair of commits, when both are known and differ. */
export function bisectCommand(c: SeriesChange): string | null {
  if (!c.previous.commit || !c.run.commit || c.previous.commit === c.run.commit) return null;
  return `npx pressure bisect --good ${short(c.previous.commit)} --bad ${short(c.run.commit)} --grep '${c.scenario.replace(/'/g, '')}'`;
}

/** summary.md's part: the changes that involve the latest runs first, each with its bisect. `depth`: the most runs any series searched has. */
export function changesMarkdown(changes: SeriesChange[], o: { where: string; recorded?: string; max?: number; depth?: number }): string {
  const md = ['', '### History', ''];
  md.push(
    `${o.recorded ? `This run was recorded as \`${o.recorded}\` in ${o.where}. ` : `History: ${o.where}. `}Change points: E-divisive means over each series (one false change in 200 flat series).`,
  );
  if (o.depth !== undefined && o.depth < MIN_RUNS)
    return [...md, '', `${o.depth} run${o.depth === 1 ? '' : 's'} of these scenarios recorded so far: change points are looked for from ${MIN_RUNS} on.`, ''].join('\n');
  if (!changes.length) return [...md, '', 'No series changed by 5% or more.', ''].join('\n');
  md.push('');
  for (const c of changes.slice(0, o.max ?? 10)) {
    const cmd = bisectCommand(c);
    md.push(`- ${c.ratio >= 1 ? '▲' : '▼'} ${formatChange(c)}${cmd ? `\n  \`${cmd}\`` : ''}`);
  }
  if (changes.length > (o.max ?? 10)) md.push(`- … and ${changes.length - (o.max ?? 10)} more: \`npx pressure history changes\``);
  return `${md.join('\n')}\n`;
}

/**
 * Records `run` and returns summary.md's History section for it: the series of its scenarios
 * (on its branch and dataset) that changed. The reporter and `pressure history import` both call it.
 */
export async function recordAndExplain(store: HistoryStore, run: HistoryRun): Promise<{ replaced: boolean; markdown: string; changes: SeriesChange[] }> {
  const { replaced } = await recordRun(store, run);
  const { changes, depth } = await searchStore(store, { scenarios: run.scenarios.map((x) => x.scenario), ...(run.code.branch && { branch: run.code.branch }), dataset: run.dataset });
  return { replaced, changes, markdown: changesMarkdown(changes, { where: store.where, recorded: run.id, depth }) };
}
