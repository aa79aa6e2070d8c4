/**
 * Charts of a perf scenario, rendered by Vega-Lite to SVG in Node (no browser, no canvas): the
 * HTML report shows them inline as images, the scenario's HTML page embeds them.
 *
 *   latency over time   p50 / p95 / p99 per second, the concurrency steps marked
 *   distribution        the latency at each percentile, per endpoint (an HDR percentile spectrum)
 *   baseline deltas     each baseline rule's change against the release baseline, in percent
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { decode, percentileMs } from '../load/histogram.js';

/** `level`: the load step, in `levelUnit` (users for a closed model, req/s for an open one). */
export type TimelinePoint = { t: number; p50: number; p95: number; p99: number; requests: number; errors: number; level?: number; levelUnit?: string };
export type Delta = { rule: string; pct: number; ok: boolean };

const WIDTH = 640;
const HEIGHT = 220;

async function render(spec: vl.TopLevelSpec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** p50/p95/p99 per second; where the load steps (a ramp's levels), a rule and its level. */
export async function latencyOverTime(title: string, points: TimelinePoint[]): Promise<string> {
  const long = points.flatMap((p) => (['p50', 'p95', 'p99'] as const).map((q) => ({ t: p.t, percentile: q, ms: p[q] })));
  const steps = points.filter((p, k) => p.level !== undefined && (k === 0 || points[k - 1]!.level !== p.level)).map((p) => ({ t: p.t, label: `${p.level} ${p.levelUnit ?? 'users'}` }));
  return render({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: `${title}: latency over time`, anchor: 'start' },
    width: WIDTH,
    height: HEIGHT,
    layer: [
      {
        data: { values: long },
        mark: { type: 'line', point: false, interpolate: 'monotone' },
        encoding: {
          x: { field: 't', type: 'quantitative', title: 'seconds into the run' },
          y: { field: 'ms', type: 'quantitative', title: 'latency (ms)' },
          color: { field: 'percentile', type: 'nominal', sort: ['p50', 'p95', 'p99'], scale: { range: ['#4c78a8', '#f58518', '#e45756'] } },
        },
      },
      ...(steps.length
        ? [
            { data: { values: steps }, mark: { type: 'rule' as const, strokeDash: [4, 4], color: '#888' }, encoding: { x: { field: 't', type: 'quantitative' as const } } },
            {
              data: { values: steps },
              mark: { type: 'text' as const, align: 'left' as const, dx: 3, dy: -HEIGHT / 2 + 8, color: '#555' },
              encoding: { x: { field: 't', type: 'quantitative' as const }, text: { field: 'label' } },
            },
          ]
        : []),
    ],
  } as vl.TopLevelSpec);
}

const SPECTRUM = [0, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100];

/** Latency at each percentile, per endpoint, from the exact (HDR) histograms. */
export async function distribution(title: string, histograms: Record<string, string>): Promise<string> {
  const values = Object.entries(histograms).flatMap(([endpoint, encoded]) => {
    const h = decode(encoded);
    return SPECTRUM.map((p) => ({ endpoint, percentile: `p${p}`, order: p, ms: percentileMs(h, p) }));
  });
  return render({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: `${title}: latency distribution`, anchor: 'start' },
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'percentile', type: 'ordinal', sort: SPECTRUM.map((p) => `p${p}`), title: 'percentile' },
      y: { field: 'ms', type: 'quantitative', title: 'latency (ms)', scale: { type: 'symlog' } },
      color: { field: 'endpoint', type: 'nominal', title: null },
    },
  } as vl.TopLevelSpec);
}

/** Change against the release baseline, per rule: green within budget, red over. */
export async function baselineDeltas(title: string, tag: string, deltas: Delta[]): Promise<string> {
  return render({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: `${title}: change against baseline ${tag}`, anchor: 'start' },
    width: WIDTH,
    height: Math.max(60, deltas.length * 28),
    data: { values: deltas.map((d) => ({ ...d, verdict: d.ok ? 'within budget' : 'over budget' })) },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'rule', type: 'nominal', title: null, axis: { labelLimit: 360 } },
      x: { field: 'pct', type: 'quantitative', title: 'change (%)' },
      color: { field: 'verdict', type: 'nominal', scale: { domain: ['within budget', 'over budget'], range: ['#54a24b', '#e45756'] }, title: null },
    },
  } as vl.TopLevelSpec);
}

/**
 * One comparison finding, drawn: a shift as both sides' percentile spectra of the metric on that
 * route; anything compared as a number (growth, errors, a scenario's own figure) as two bars.
 */
export async function findingChart(
  title: string,
  f: { kind: string; metric: string; stat: string; unit: string; base: number; candidate: number },
  spectra?: { base: string; candidate: string },
  labels = { base: 'base', candidate: 'candidate' },
): Promise<string> {
  if (f.kind === 'shift' && spectra) return distribution(title, { [labels.base]: spectra.base, [labels.candidate]: spectra.candidate });
  return render({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: title, anchor: 'start' },
    width: WIDTH,
    height: 80,
    data: {
      values: [
        { side: labels.base, value: f.base },
        { side: labels.candidate, value: f.candidate },
      ],
    },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'side', type: 'nominal', title: null, sort: [labels.base, labels.candidate] },
      x: { field: 'value', type: 'quantitative', title: `${f.metric} ${f.stat}${f.unit ? ` (${f.unit})` : ''}` },
      color: { field: 'side', type: 'nominal', scale: { domain: [labels.base, labels.candidate], range: ['#4c78a8', '#e45756'] }, legend: null },
    },
  } as vl.TopLevelSpec);
}
