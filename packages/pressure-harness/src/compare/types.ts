/**
 * What a comparison is made of and what it says, as types only: the rules, a finding, a
 * comparison, PostgreSQL's rules, a scale probe and its result. compare.ts, pg.ts and probe.ts
 * make them, report/ prints them and results.ts stores them; none of those import each other
 * for a type.
 */
import type { IndexDiff } from '../pg/schema.js';

export type Severity = 'fail' | 'warn';

export type ShiftRule = {
  /** Interleaved sides (scale probes): the Vargha–Delaney A at or past which a significant shift is a finding (0.64: "medium"). */
  minEffect: number;
  /** The p50 or p95 of the candidate over the base's, at or past which it is a finding; on rounds, a finding fails when all its interval is past it. */
  minRatio: number;
  /** …and by at least this much, in the metric's unit (shifts of a few µs are not news). */
  minDelta: number;
  /** Interleaved sides: a finding fails when its effect and ratio reach these; else it warns. */
  failEffect: number;
  /**
   * …and on rounds, the size of shift the evidence is tuned to (the mixture's spread is its
   * logarithm): evidence for a shift this big builds fastest.
   */
  failRatio: number;
};
export type GrowthRule = {
  /** Candidate over base at or past which growth is a finding. */
  minRatio: number;
  /** …and fails. */
  failRatio: number;
};
export type CompareRules = {
  /** The false discovery rate the tests are held to (Benjamini–Hochberg). */
  fdr: number;
  shift: ShiftRule;
  counts: GrowthRule;
  bytes: GrowthRule;
  /** New failures: a rise of the error rate by this much (absolute) with at least `minErrors` errors. */
  errors: { minRise: number; minErrors: number; severity: Severity };
  singles: GrowthRule & { severity: Severity };
  /**
   * The mix of a route's answers: a status whose share moved by `minShift` (0.05: 5 points) and
   * by at least `minRequests` answers is a finding (409s that became 200s: the route now does
   * something else). Absent: DEFAULT_RULES' values.
   */
  statuses?: { minShift: number; minRequests: number; severity: Severity };
  /** PostgreSQL's own figures per scenario (pg.ts). */
  pg: PgRules;
  /**
   * The backend's memory gauges (those whose name matches one of `gauges`): unlike the other
   * gauges, which say what saturated and warn, memory that grows past `failRatio` on the same
   * requests is a regression of its own (a cache that never evicts, a leak) and fails, when the
   * whole interval is past `minRatio`. Absent: DEFAULT_RULES' values.
   */
  memory?: GrowthRule & { gauges: string[] };
  /**
   * The backend's queue gauges (those whose name matches one of `gauges`: clients waiting for a
   * pool's connection, jobs waiting for a worker): a queue where no base round had one, in every
   * round of the candidate, sure by the test and past the singles' `minRatio`, is a capacity
   * regression even when latency has not moved yet, and fails. A queue the base also had (a
   * saturating ramp's) warns as any other gauge. Absent: DEFAULT_RULES' values.
   */
  queues?: { gauges: string[] };
  /** Per metric name, rules that replace the kind's. */
  metrics?: Record<string, Partial<ShiftRule> | Partial<GrowthRule>>;
  /** `scenario`, `scenario/route` or `scenario/route/metric` to leave out (a route known to vary). */
  ignore?: string[];
};

export type PgMetric =
  | 'pg_statements_per_req'
  | 'pg_blocks_per_req'
  | 'pg_temp_blocks_per_req'
  | 'pg_seq_rows_per_req'
  | 'pg_rows_written_per_req'
  | 'pg_sessions_per_req'
  | 'pg_blocks_per_call'
  | 'pg_rows_per_call'
  | 'pg_wait_sessions'
  | 'pg_state_sessions'
  | 'pg_plan';

export type PgRules = {
  /** Growth past which a figure is a finding, and fails. */
  growth: GrowthRule;
  /**
   * The same for one statement's figures per call. They warn by default: a statement's plan can
   * flip between two runs of one version (a run's fresh tables have no statistics until
   * autovacuum analyzes them), and clean rounds here differed 9× in the blocks one dashboard
   * query read per call. The totals per request fail: a plan that flips there is news.
   */
  perCall: GrowthRule;
  /** Per metric, the least change that counts, in its unit (a few blocks more is not news). */
  minDelta: Record<PgMetric, number>;
  /** A statement is compared per call when it ran at least this often on each side. */
  minCalls: number;
  /** A shape finding the base did not have. */
  shapes: Severity;
  /**
   * A statement whose plan changed between the sides (every round of each agreeing) warns; it
   * fails when the candidate's plan scans a table of at least `planSeqScanRows` live rows
   * sequentially and the base's did not. Absent: DEFAULT_PG_RULES' value.
   */
  planSeqScanRows?: number;
};

export type Finding = {
  scenario: string;
  /** The route key (template and variant); null for a scenario's own figure. */
  route: string | null;
  metric: string;
  kind: 'shift' | 'growth' | 'errors' | 'single' | 'signal' | 'shape' | 'mix';
  severity: Severity;
  /** The statistic compared: p50/p95 for a shift, mean/max/rate/value otherwise. */
  stat: string;
  unit: string;
  base: number;
  candidate: number;
  /** Shifts: 1 − the adjusted level (e-BH on rounds; BH on requests for interleaved sides), and the effect size A. */
  confidence?: number;
  effect?: number;
  /**
   * Shifts judged on rounds: the candidate's percentile over the base's, as an interval (a
   * confidence sequence at the rules' level, widened for the findings selected), and the rounds
   * a side it rests on.
   */
  interval?: [number, number];
  rounds?: [number, number];
  /** A latency shift: which other time metrics of the route shifted too (service time, DB time). */
  moved?: Record<string, boolean>;
  /** For errors: the classes that rose. */
  classes?: Record<string, [number, number]>;
  /** What the figures alone do not say: a shape finding's words, a statement's text. */
  message?: string;
  /** What differs between the two sides that likely explains it (an index one side lacks), where the comparison could see their schemas. */
  cause?: string;
  /** A changed plan: both sides' plans as EXPLAIN printed them. */
  plans?: { base: string; candidate: string };
};

/** Where the shift tests stand after the rounds so far: what a sequential comparison stops on. */
export type Decision = {
  /** The method, in words with its sources. */
  method: string;
  /** Rounds a side. */
  rounds: [number, number];
  /** Shift tests (route × metric × percentile), and how many are neither found nor ruled out. */
  tested: number;
  open: number;
  openExamples?: string[];
  /** Every test settled, or a shift failing: more rounds would change no verdict worth having. */
  decided: boolean;
  why: string;
  /** The prior of the run-to-run variances (log scale), and its degrees of freedom (null: infinite). */
  prior?: { s2: number; df: number | null };
  /**
   * Each scenario's own figures (a knee: the highest load that kept the objective) round by round
   * on each side, and the candidate's over the base's as an interval: capacity side by side,
   * whether it moved or not.
   */
  figures?: { scenario: string; metric: string; base: number[]; candidate: number[]; interval: [number, number] }[];
};

export type Comparison = {
  base: { label: string; rounds: number; scenarios: string[] };
  candidate: { label: string; rounds: number; scenarios: string[] };
  rules: CompareRules;
  /** How many metrics were compared, and how many of those by a test (the FDR's family: routes × noisy metrics, and scalars judged on rounds). */
  compared: number;
  tested: number;
  findings: Finding[];
  /** The shift tests' state (absent for interleaved sides): decided, or how many are open. */
  decision?: Decision;
  /** Why the rounds stopped where they did, when they ran here (pressure compare with URLs or refs). */
  stopped?: string;
  /** Significant improvements (the mirror of a finding): reported, never failing. */
  improvements: Finding[];
  /** Scenarios or routes only one side has. */
  unmatched: string[];
  /** What differs between the two sides' environments in something that moves latency (pg/environment.ts): a warning beside every finding. */
  environment?: string[];
  /** Indexes that differ between the two sides' databases, where the comparison started both (git refs). */
  schema?: IndexDiff[];
  /** Per scenario and route, p95 base → candidate, for the table. */
  routes: { scenario: string; route: string; base: { p50: number; p95: number; requests: number }; candidate: { p50: number; p95: number; requests: number } }[];
};

export type ScaleProbe = {
  /** What differs between the two sizes, in words the report prints: 'items in the project'. */
  dimension: string;
  /** The variant measured at the smaller size, and that size in the dimension's unit. */
  small: { variant: string; size: number };
  /** The variant measured at the larger size: the same request, more data behind it. */
  large: { variant: string; size: number };
  /**
   * Metrics that may grow with the data, each with the reason the report prints beside it and
   * how far: a reason alone allows growth up to linear in the dimension (size^1); a Growth
   * names its own bound. Growth past the bound is a finding again, so that "expected" never
   * excuses a page that went from 10 ms to 1.4 s.
   */
  grows?: Record<string, string | Growth>;
  /**
   * The two sizes answer payloads alike (pages equally full, the same fields): only then is a
   * growth of bytes per request a finding. By default a page that fills with the data (5 rows of
   * a small tenant, 20 of a whale) grows its bytes without any cost growing: reported, not failing.
   */
  equalPayloads?: boolean;
};

/** Why a metric may grow with the data, and how far. */
export type Growth = {
  why: string;
  /** The steepest growth expected, as k of cost ∝ size^k between the two sizes (0 flat, 1 linear). */
  maxExponent?: number;
  /** The most the larger size may reach, in the metric's unit (ms, queries, bytes), whatever the slope. */
  ceiling?: number;
};

export type ProbeFinding = Finding & {
  /** k of cost ∝ size^k between the two sizes; null where the smaller size's figure is 0. */
  exponent: number | null;
  /** Why this metric may grow (the probe's `grows`): reported, never failing while within its bound. */
  expected?: string;
  /** The expected growth's bound this finding went past, in words: then it is a finding again. */
  beyond?: string;
};

export type ProbeResult = {
  dimension: string;
  small: { variant: string; size: number };
  large: { variant: string; size: number };
  /** large.size / small.size. */
  factor: number;
  /** Metrics compared between the two sizes. */
  compared: number;
  /** Cost that grew with the data and should not have. */
  findings: ProbeFinding[];
  /** Growth the scenario said to expect, with its reason. */
  expected: ProbeFinding[];
  /** What else differs between the two sizes' requests (their bytes, their statuses): a finding is then not like for like. Absent in files of older versions. */
  differs?: string[];
};
