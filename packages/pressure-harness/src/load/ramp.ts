/**
 * Step ramps: the load climbs 1 → 5 → 20 → 50 (by default), holding each step. Adaptive ramps
 * judge every step against thresholds (error rate, share of 429/503 answers, p95); a step that
 * breaks one is not climbed past: the ramp steps back to the previous level to confirm it still
 * holds, and stops there. If the backend struggles at the lower level too, it steps back further,
 * never adding load, and the first level that holds again is the knee; if none does, it fails
 * fast. The result names the knee: the highest step that stayed in budget.
 *
 * Steps chosen ahead stop where someone guessed the backend would: a ramp whose every step held
 * says only that the knee is above its last one. `extend` keeps climbing past the last step
 * (×factor each time, up to `max`) until a step breaks; the step back confirms the level below,
 * and `refine` more steps bisect the gap between the two (on the log scale, as levels are), so the
 * knee is the highest level within the objective to a ratio of factor^(1/2^refine), where the
 * backend saturates, and not the last level someone wrote down.
 */
import { runLoad, type BreachRule, type EngineOptions, type RunResult } from './engine.js';
import { createHistogram, percentileMs } from './histogram.js';

export type Thresholds = { maxErrorRate: number; maxThrottledShare: number; maxP95Ms: number };

export type RampOptions = Pick<EngineOptions, 'baseUrl' | 'next' | 'guards'> & {
  model: 'closed' | 'open';
  /** Concurrency (closed) or requests per second (open) of each step. */
  steps?: number[];
  holdMs: number;
  /** When given, the ramp is adaptive (see above); without, it climbs every step. */
  adaptive?: Thresholds;
  /** Adaptive only: climb past the last step until one breaks (see above). The guards' maxConcurrency must allow `max`. */
  extend?: { max: number; factor?: number; refine?: number };
  rules?: BreachRule[];
};

export type StepResult = { level: number; requests: number; errorRate: number; throttledShare: number; p95: number; withinBudget: boolean; why?: string; run: RunResult };
export type RampResult = { steps: StepResult[]; knee: number | null; verdict: string };

export const DEFAULT_STEPS = [1, 5, 20, 50];

function judge(level: number, run: RunResult, t: Thresholds | undefined): StepResult {
  const latency = createHistogram();
  let requests = 0;
  let errors = 0;
  for (const m of Object.values(run.routes)) {
    latency.add(m.latency);
    requests += m.requests;
    errors += m.errors;
  }
  const throttled = run.timeline.reduce((a, s) => a + s.throttled, 0);
  const step = { level, requests, errorRate: errors / Math.max(1, requests), throttledShare: throttled / Math.max(1, requests), p95: percentileMs(latency, 95), run };
  const why = !t
    ? undefined
    : step.throttledShare > t.maxThrottledShare
      ? `429/503 share ${step.throttledShare.toFixed(3)} > ${t.maxThrottledShare}`
      : step.errorRate > t.maxErrorRate
        ? `error rate ${step.errorRate.toFixed(3)} > ${t.maxErrorRate}`
        : step.p95 > t.maxP95Ms
          ? `p95 ${step.p95} ms > ${t.maxP95Ms} ms`
          : run.stoppedBy.startsWith('abort:')
            ? run.stoppedBy
            : undefined;
  return { ...step, withinBudget: why === undefined, ...(why && { why }) };
}

export async function runRamp(o: RampOptions): Promise<RampResult> {
  const levels = o.steps ?? DEFAULT_STEPS;
  if (!levels.length || levels.some((l, k) => !(l > 0) || (k > 0 && l <= levels[k - 1]!))) {
    throw new Error(`ramp: steps must be increasing numbers above 0, got ${JSON.stringify(levels)}`);
  }
  const hold = (level: number) =>
    runLoad({
      baseUrl: o.baseUrl,
      next: o.next,
      guards: o.guards,
      rules: o.rules,
      connections: Math.max(1, Math.min(o.model === 'closed' ? level : Math.ceil(level), o.guards.maxConcurrency)),
      shape: o.model === 'closed' ? { model: 'closed', concurrency: Math.min(level, o.guards.maxConcurrency), durationMs: o.holdMs } : { model: 'open', rate: level, durationMs: o.holdMs },
    });
  const ext = o.adaptive && o.extend ? { factor: 2, refine: 1, ...o.extend } : undefined;
  if (ext && (!(ext.factor > 1) || !(ext.max > levels.at(-1)!) || !Number.isInteger(ext.refine) || ext.refine < 0 || ext.max > o.guards.maxConcurrency))
    throw new Error(
      `ramp: extend needs factor > 1, max above the last step (${levels.at(-1)}) and within the guards' maxConcurrency (${o.guards.maxConcurrency}), refine a whole number ≥ 0; got ${JSON.stringify(o.extend)}`,
    );
  const steps: StepResult[] = [];
  let knee: number | null = null;
  const planned = [...levels];
  for (let k = 0; k < planned.length; k++) {
    const step = judge(planned[k]!, await hold(planned[k]!), o.adaptive);
    steps.push(step);
    if (step.withinBudget) {
      knee = step.level;
      // Every step held: climb on, until one breaks or the ceiling is reached.
      if (ext && k === planned.length - 1 && step.level < ext.max) planned.push(Math.min(ext.max, Math.round(step.level * ext.factor)));
      continue;
    }
    if (!o.adaptive) continue;
    if (k === 0) return { steps, knee: null, verdict: `the first step (${step.level}) already broke the budget: ${step.why}; failing fast` };
    // Back down a level at a time until one holds again: a backend still draining what the broken
    // step queued can miss at the level below it, and still hold one further down, which is then
    // its knee; failing fast where none holds.
    let back = judge(planned[k - 1]!, await hold(planned[k - 1]!), o.adaptive);
    steps.push(back);
    const missed: StepResult[] = [];
    for (let j = k - 2; !back.withinBudget && j >= 0; j--) {
      missed.push(back);
      back = judge(planned[j]!, await hold(planned[j]!), o.adaptive);
      steps.push(back);
    }
    if (!back.withinBudget) {
      return {
        steps,
        knee: null,
        verdict: `${step.level} broke the budget (${step.why}) and stepping back to ${[...missed, back].map((m) => m.level).join(', then ')} did not help (${back.why}): failing fast`,
      };
    }
    if (missed.length) {
      const was = missed.map((m) => `${m.level} (${m.why})`).join(', ');
      return { steps, knee: back.level, verdict: `${step.level} broke the budget (${step.why}); stepping back, ${was} did not hold again, ${back.level} did: the knee is ${back.level}` };
    }
    // Between the level that held and the one that broke: bisect, on the log scale.
    let [lo, hi] = [back.level, step.level];
    for (let r = 0; ext && r < ext.refine; r++) {
      const mid = Math.round(Math.sqrt(lo * hi));
      if (mid <= lo || mid >= hi) break;
      const probe = judge(mid, await hold(mid), o.adaptive);
      steps.push(probe);
      if (probe.withinBudget) lo = mid;
      else hi = mid;
    }
    return {
      steps,
      knee: lo,
      verdict: `${step.level} broke the budget (${step.why}); stepped back to ${back.level}, which held${lo > back.level ? `, and ${lo} held too` : ''}${hi < step.level ? `, ${hi} did not` : ''}: the knee is ${lo}`,
    };
  }
  if (ext && knee === ext.max) return { steps, knee, verdict: `every step held, up to the ceiling ${knee}: the knee is above it` };
  return { steps, knee, verdict: knee === planned.at(-1) ? `every step held, up to ${knee}` : `highest step within budget: ${knee ?? 'none'}` };
}
