/**
 * The environment of a suite run started from another process (a benchmark, verify:faults, a
 * harness test): a run of its own. Nothing of the outer run is inherited (its run ID, faults,
 * baseline), CI is set so that it starts its own backend instead of reusing one, and the HTML
 * report is never opened. `extra` comes last: a caller sets what its run is about.
 */
export function nestedRunEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, CI: '1', RUN_ID: '', APP_FAULTS: '', PERF_BASELINE: '', PLAYWRIGHT_HTML_OPEN: 'never', ...extra };
}
