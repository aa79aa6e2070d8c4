/**
 * Scenario results as a run writes them, for the unit tests that build them by hand (merge,
 * compare, PostgreSQL evidence, the load generator's health): what one attempt of a run always
 * carries, and a whole ScenarioFile around a scenario's raw figures.
 */
import type { ScenarioFile } from 'pressure-harness/report';

/** The fields scenarioFile() and assess() take that a single attempt of a test run always has. */
export const oneAttempt = (runId: string, shard: string | null = null) => ({
  runId,
  shard,
  profile: 'smoke',
  absent: [] as string[],
  attempts: 1,
  history: [],
  timeline: [],
  slowest: [],
  baselineTag: null as string | null,
  details: {},
});

/** A passed ScenarioFile of `raw`, with whatever `extra` sets (PostgreSQL's evidence, say). */
export function fileOf(scenario: string, raw: ScenarioFile['raw'], extra: Partial<ScenarioFile> = {}): ScenarioFile {
  return {
    version: 2,
    scenario,
    runId: 'r',
    shard: null,
    verdict: 'passed',
    profile: 'smoke',
    attempts: 1,
    history: [],
    outcomes: [],
    broken: [],
    absent: [],
    stats: {},
    raw,
    endpoints: {},
    timeline: [],
    slowest: [],
    baseline: null,
    details: {},
    sections: [],
    ...extra,
  };
}
