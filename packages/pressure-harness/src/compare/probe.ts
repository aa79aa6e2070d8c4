/**
 * Scale probes: the same requests at two data sizes in one run (page 1 of a 50-item project and
 * of a 50,000-item one, a small tenant's dashboard and a whale's), and every metric of the larger
 * size compared with the smaller's, as a new version is compared with an old one (compare.ts):
 * no scaling rule is written for any metric. Cost that grows with the data is a finding, unless
 * the scenario says why that metric may grow (`grows`: a whale's dashboard aggregates more rows)
 * and the growth stays within the bound it gives (an exponent or a ceiling; linear by default).
 *
 * The two sizes are variants of one run, their requests interleaved (load/variants.ts), so the
 * moment's noise falls on both alike and one run can fail a shift (CompareOptions.interleaved).
 * Each finding says how fast the cost grows, as the exponent k of cost ∝ size^k between the two
 * points (the empirical growth exponent of Goldsmith, Aiken and Wilkerson, "Measuring Empirical
 * Computational Complexity", FSE 2007): 0 is flat, 1 is linear in the data. PostgreSQL's figures
 * are per scenario, not per variant (the database cannot tell interleaved requests apart), so a
 * probe compares what the requests carry: latency, service and DB time, queries per request,
 * bytes and errors.
 */
import type { ScenarioFile } from '../report/results.js';
import { compareRuns, DEFAULT_RULES } from './compare.js';
import type { CompareRules, Finding, Growth, ProbeFinding, ProbeResult, ScaleProbe } from './types.js';

export type { Growth, ProbeFinding, ProbeResult, ScaleProbe } from './types.js';
import { formatFinding } from './format.js';

/** A probe that cannot be read: the scenario's author gets what is wrong and what is accepted. */
export function checkProbe(p: ScaleProbe, variants: string[]): void {
  const where = `scale probe '${p.dimension}'`;
  if (!p.dimension?.trim()) throw new Error('a scale probe needs a dimension: what differs between its two sizes (e.g. "items in the project")');
  for (const side of ['small', 'large'] as const) {
    const v = p[side];
    if (!v || !variants.includes(v.variant)) throw new Error(`${where}: ${side}.variant '${v?.variant}' is not a variant of this run; its variants are ${variants.join(', ') || 'none'}`);
    if (!Number.isFinite(v.size) || v.size <= 0) throw new Error(`${where}: ${side}.size must be a positive number of ${p.dimension}; got ${v.size}`);
  }
  if (p.large.size <= p.small.size) throw new Error(`${where}: large.size (${p.large.size}) must be above small.size (${p.small.size})`);
  if (p.small.variant === p.large.variant) throw new Error(`${where}: small and large are the same variant ('${p.small.variant}'); a probe needs one variant per size`);
  for (const [metric, g] of Object.entries(p.grows ?? {})) {
    const at = `${where}: grows.${metric}`;
    const why = typeof g === 'string' ? g : g?.why;
    if (typeof why !== 'string' || !why.trim()) throw new Error(`${at} needs a reason: a string, or { why, maxExponent?, ceiling? }`);
    if (typeof g === 'string') continue;
    if (g.maxExponent !== undefined && !(Number.isFinite(g.maxExponent) && g.maxExponent >= 0))
      throw new Error(`${at}.maxExponent must be a number >= 0 (k of cost ∝ size^k: 0 flat, 1 linear); got ${g.maxExponent}`);
    if (g.ceiling !== undefined && !(Number.isFinite(g.ceiling) && g.ceiling > 0)) throw new Error(`${at}.ceiling must be a positive number in the metric's unit; got ${g.ceiling}`);
  }
}

/** A reason alone allows growth up to linear in the dimension. */
export const DEFAULT_MAX_EXPONENT = 1;

const growthOf = (g: string | Growth): Growth => (typeof g === 'string' ? { why: g, maxExponent: DEFAULT_MAX_EXPONENT } : g);

/** In words, the bound of an expected growth that a finding went past; null within it. */
export function pastBound(g: Growth, f: Pick<ProbeFinding, 'candidate' | 'exponent' | 'unit'>): string | null {
  const over: string[] = [];
  if (g.maxExponent !== undefined && (f.exponent === null || f.exponent > g.maxExponent))
    over.push(`${f.exponent === null ? 'grows from nothing' : `grows as size^${f.exponent.toFixed(2)}`}, steeper than the size^${g.maxExponent.toFixed(2)} expected`);
  if (g.ceiling !== undefined && f.candidate > g.ceiling) over.push(`reaches ${round(f.candidate)} ${f.unit}, above the ceiling of ${round(g.ceiling)} ${f.unit} expected`);
  return over.length ? over.join('; ') : null;
}

const round = (n: number) => (Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : String(Math.round(n * 100) / 100));

/** k of cost ∝ size^k through the two points, to 2 decimals; null without a positive base. */
export function growthExponent(base: number, candidate: number, factor: number): number | null {
  if (!(base > 0) || !(candidate > 0) || !(factor > 1)) return null;
  return Math.round((Math.log(candidate / base) / Math.log(factor)) * 100) / 100;
}

/** One probe of a scenario's run: the larger size's route compared with the smaller's. */
export function probeScale(scenario: string, raw: ScenarioFile['raw'], probe: ScaleProbe, rules: CompareRules = DEFAULT_RULES): ProbeResult {
  checkProbe(probe, Object.keys(raw.routes));
  const route = `${probe.small.variant} → ${probe.large.variant}`;
  const side = (variant: string): Pick<ScenarioFile, 'scenario' | 'raw'> => ({ scenario, raw: { ...raw, routes: { [route]: raw.routes[variant]! }, singles: {} } });
  const factor = probe.large.size / probe.small.size;
  const c = compareRuns(
    { label: `${probe.small.size} ${probe.dimension}`, rounds: [[side(probe.small.variant)]] },
    { label: `${probe.large.size} ${probe.dimension}`, rounds: [[side(probe.large.variant)]] },
    rules,
    { interleaved: true },
  );
  const findings: ProbeFinding[] = [];
  const expected: ProbeFinding[] = [];
  // Another mix of statuses between the sizes is said once, beside the findings (differs).
  for (const f of c.findings.filter((x) => x.metric !== 'status_mix')) {
    const declared = probe.grows?.[f.metric];
    const allowed = declared !== undefined ? growthOf(declared) : f.metric === 'bytes_per_req' && !probe.equalPayloads ? PAGE_FILLS : undefined;
    const g: ProbeFinding = { ...f, exponent: growthExponent(f.base, f.candidate, factor) };
    const beyond = allowed && pastBound(allowed, g);
    if (!allowed) findings.push(g);
    else if (beyond) findings.push({ ...g, expected: allowed.why, beyond });
    else expected.push({ ...g, severity: 'warn', expected: allowed.why });
  }
  const differs = differences(raw.routes[probe.small.variant]!, raw.routes[probe.large.variant]!);
  return { dimension: probe.dimension, small: probe.small, large: probe.large, factor, compared: c.compared, findings, expected, ...(differs.length && { differs }) };
}

/** Bytes of a page that fills with the data: bounded by the page, not by a slope. */
const PAGE_FILLS: Growth = { why: 'a page holds more, or longer, rows at the larger size (set equalPayloads when the two answer alike)' };

/** Bytes per request beyond a quarter apart, or another mix of statuses: the two sizes did not answer alike. */
function differences(small: ScenarioFile['raw']['routes'][string], large: ScenarioFile['raw']['routes'][string]): string[] {
  const out: string[] = [];
  const per = (r: typeof small) => (r.requests ? r.bytes / r.requests : 0);
  const [b, l] = [per(small), per(large)];
  if (b > 0 && l > 0 && (l / b > 1.25 || b / l > 1.25)) out.push(`bytes per request ${count(Math.round(b))} → ${count(Math.round(l))} B`);
  const mix = (r: typeof small) =>
    Object.entries(r.statuses ?? {})
      .filter(([, n]) => n / Math.max(1, r.requests) >= 0.01)
      .map(([k]) => k)
      .sort()
      .join('/');
  if (mix(small) !== mix(large)) out.push(`statuses ${mix(small) || 'none'} → ${mix(large) || 'none'}`);
  return out;
}

const count = (n: number) => n.toLocaleString('en-US');

/** One line: the comparison's words, then how fast it grows with the data. */
export function formatProbeFinding(p: Pick<ProbeResult, 'dimension' | 'small' | 'large' | 'differs'>, f: ProbeFinding): string {
  const growth = f.exponent === null ? 'from nothing' : `as size^${f.exponent.toFixed(2)}`;
  const unlike = f.metric !== 'bytes_per_req' && p.differs?.length ? `; not like for like: the sizes also differ in ${p.differs.join(', ')}` : '';
  const why = f.beyond ? `; beyond what is expected (${f.expected}): ${f.beyond}` : f.expected ? `, expected: ${f.expected}` : '';
  return `${formatFinding(f)}; grows ${growth} with ${p.dimension} (${count(p.small.size)} → ${count(p.large.size)})${why}${unlike}`;
}

/** Every finding of a probe, then its expected growth, each as a verdict and a line: what summaries and annotations print. */
export const probeLines = (r: ProbeResult): { verdict: 'fail' | 'warn' | 'expected'; text: string }[] => [
  ...r.findings.map((f) => ({ verdict: f.severity, text: formatProbeFinding(r, f) })),
  ...r.expected.map((f) => ({ verdict: 'expected' as const, text: formatProbeFinding(r, f) })),
];

export const probeFailing = (r: ProbeResult) => r.findings.filter((f) => f.severity === 'fail');
