/**
 * How a perf run ended, classed as k6 separates threshold failures from script and
 * infrastructure errors, so a red run says whose problem it is:
 *   passed               every scenario met its budget
 *   budget broken        a scenario ran and missed a budget: the code under test
 *   error in a test      a scenario did not finish for a reason of its own: the suite
 *   backend unreachable  the backend stopped answering (refused, reset, timed out): the environment
 *   bad settings         the run never started: a setting was refused
 * The worst class present is the run's.
 */
import { projectsNamed } from '../config/projects.js';

export const OUTCOMES = ['passed', 'budget broken', 'error in a test', 'backend unreachable', 'bad settings'] as const;
export type RunOutcome = (typeof OUTCOMES)[number];
export type Problem = { test: string; outcome: RunOutcome; message: string };

const UNREACHABLE = /stopped answering|ECONNREFUSED|ECONNRESET|EPIPE|socket hang up|other side closed|UND_ERR_SOCKET|UND_ERR_CONNECT|fetch failed|does not answer|connect ETIMEDOUT/;

/** One failed perf test's class: its scenario's verdict says budget; its error says which other. */
export function classify(test: string, message: string, scenarioFailed: boolean): Problem {
  const outcome: RunOutcome = UNREACHABLE.test(message) ? 'backend unreachable' : scenarioFailed ? 'budget broken' : 'error in a test';
  return { test, outcome, message: message.split('\n').filter(Boolean).slice(0, 3).join(' ').slice(0, 400) };
}

export const worst = (problems: Problem[]): RunOutcome => problems.reduce<RunOutcome>((w, p) => (OUTCOMES.indexOf(p.outcome) > OUTCOMES.indexOf(w) ? p.outcome : w), 'passed');

/** Whether the command line runs `project`: named by --project, or no project named at all (every project runs). */
export function projectRequested(project: string, argv: string[] = process.argv): boolean {
  const named = projectsNamed(argv);
  return named.length === 0 ? argv.includes('test') : named.includes(project);
}
