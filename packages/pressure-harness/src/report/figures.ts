/**
 * The figures a budget may name beside its requests' metrics, derived once per scenario from the
 * evidence the run already gathered: PostgreSQL's own statistics (pg/evidence.ts) and the
 * backend's gauges (load/signals.ts). A pure step: what was measured in, figures out.
 *
 *   pg_rows_written_per_req             all tables; @<schema.table> for one (a table nothing touched is 0)
 *   pg_sessions_per_req                 sessions the database opened (PostgreSQL 14+)
 *   pg_lock_wait_sessions               average sessions waiting on a Lock:* event
 *   gauge@<name>                        a gauge's mean, max and min (a heap's floor) over the scenario
 *
 * Where the evidence exists but cannot speak for this scenario (a window shorter than the
 * counters' flush, too few activity samples), the figure is n/a with the reason, never 0.
 */
import type { Measured } from '../budgets/define.js';
import type { SignalSummary } from '../load/signals.js';
import { single, type MetricValues } from '../metrics/registry.js';
import type { PgEvidence } from '../pg/evidence.js';
import { ACTIVITY_MIN_SAMPLES, COUNTERS_MIN_SECONDS } from '../pg/windows.js';

const na = (why: string): MetricValues => ({ na: why });

/** One run's (one shard's) evidence of the scenario, and how many requests it made. */
export type EvidencePart = { pg?: PgEvidence; signals?: Record<string, SignalSummary>; requests: number };

/**
 * The figures of each part, the worse standing where shards of a scenario each measured (as a
 * merge of shards keeps the worse of a scenario's own figures): every part's counters are the
 * whole database's over its own window, so adding them would count one write twice.
 */
export function evidenceFigures(parts: readonly EvidencePart[]): Measured {
  const out: Measured = { '*': {} };
  for (const m of parts.map(partFigures))
    for (const [variant, metrics] of Object.entries(m))
      for (const [metric, v] of Object.entries(metrics)) {
        const had = (out[variant] ??= {})[metric];
        out[variant][metric] =
          !had || had.na !== undefined ? v : v.na !== undefined ? had : { ...had, mean: Math.max(had.mean ?? -Infinity, v.mean ?? -Infinity), max: Math.max(had.max ?? -Infinity, v.max ?? -Infinity) };
      }
  return out;
}

function partFigures(o: EvidencePart): Measured {
  const out: Measured = { '*': {} };
  const put = (variant: string, metric: string, v: MetricValues) => ((out[variant] ??= {})[metric] = v);
  const pg = o.pg?.available ? o.pg : undefined;
  if (pg && o.requests > 0) {
    const perReq = (n: number, unit: string) => single(n / o.requests, unit);
    const short = `the scenario's ${pg.seconds.toFixed(1)} s are shorter than the ${COUNTERS_MIN_SECONDS} s PostgreSQL takes to flush an idle backend's counters`;
    const counted = pg.seconds >= COUNTERS_MIN_SECONDS;
    if (pg.tables.every((t) => t.rowsWritten !== undefined)) {
      put(
        '*',
        'pg_rows_written_per_req',
        counted
          ? perReq(
              pg.tables.reduce((n, t) => n + (t.rowsWritten ?? 0), 0),
              'rows',
            )
          : na(short),
      );
      for (const t of pg.tables) put(t.table, 'pg_rows_written_per_req', counted ? perReq(t.rowsWritten ?? 0, 'rows') : na(short));
      for (const t of pg.quietTables ?? []) put(t, 'pg_rows_written_per_req', counted ? single(0, 'rows') : na(short));
    }
    if (pg.database) put('*', 'pg_sessions_per_req', pg.database.sessions === null ? na('PostgreSQL counts sessions from version 14') : counted ? perReq(pg.database.sessions, 'sessions') : na(short));
    put(
      '*',
      'pg_lock_wait_sessions',
      pg.activity.samples >= ACTIVITY_MIN_SAMPLES
        ? single(
            Object.entries(pg.activity.waits).reduce((n, [w, v]) => n + (w.startsWith('Lock:') ? v : 0), 0),
            'sessions',
          )
        : na(`${pg.activity.samples} samples of pg_stat_activity, fewer than the ${ACTIVITY_MIN_SAMPLES} an average needs`),
    );
  }
  for (const [name, g] of Object.entries(o.signals ?? {})) put(name, 'gauge', { mean: g.mean, max: g.max, ...(g.min !== undefined && { min: g.min }), unit: '' });
  return out;
}
