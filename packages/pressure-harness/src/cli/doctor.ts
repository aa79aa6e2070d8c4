/**
 * pressure doctor: what the backend under a suite offers the harness, probed as a run probes it,
 * with the exact steps that switch on each absent capability. Absent is not an error (a run goes
 * on with what exists); doctor exits 1 only when the backend does not answer at all.
 */
import { CAPABILITIES, CAPABILITY_FIXES, formatCapabilities, probeCapabilities } from '../lifecycle/capabilities.js';
import { type FlagSpec, parseFlags } from './args.js';
import { loadSuite } from './suite.js';

export const doctor = {
  name: 'doctor',
  summary: "what the backend offers the harness, and how to switch on what it lacks",
  usage: 'pressure doctor [--base-url <url>] [-c <config>]',
  about:
    "Probes the backend the suite points at (its BASE_URL and DATABASE_URL, or --base-url) for what the harness can use: a health route, evidence headers, the run endpoints, Prometheus metrics, the database and pg_stat_statements. Prints the table a run prints, then, for each absent capability, the steps that switch it on. Exits 1 only when the backend does not answer.",
  example: 'BASE_URL=http://127.0.0.1:8080 DATABASE_URL=postgres://… npx pressure doctor',
  flags: { 'base-url': { type: 'string', help: "the backend's URL (default: the suite's BASE_URL)" } } satisfies FlagSpec,
  async run(argv: string[]): Promise<number> {
    const f = parseFlags('doctor', argv, doctor.flags, doctor.usage);
    f.done();
    const suite = await loadSuite(f.config);
    const baseUrl = (f['base-url'] ?? suite.use.baseURL ?? '').replace(/\/+$/, '');
    if (!baseUrl) {
      console.error(`doctor: ${suite.configFile} names no baseURL; pass --base-url <url>`);
      return 2;
    }
    let caps;
    try {
      caps = await probeCapabilities({
        baseUrl,
        healthPath: suite.use.healthPath ?? '/healthz',
        metricsPath: suite.use.metricsPath ?? '/metrics',
        serviceToken: suite.use.serviceToken ?? '',
        databaseUrl: suite.use.databaseUrl,
        timeoutMs: 10_000,
      });
    } catch (e) {
      console.error(`doctor: ${(e as Error).message}`);
      return 1;
    }
    console.log(formatCapabilities(caps));
    const absent = caps.list.filter((c) => !c.present);
    for (const c of absent) console.log(`\n${CAPABILITIES[c.id].name} (${c.detail}):\n${CAPABILITY_FIXES[c.id].map((s, i) => `  ${i + 1}. ${s}`).join('\n')}`);
    console.log(`\n${caps.list.length - absent.length} of ${caps.list.length} capabilities present.${absent.length ? ' Every run goes on without the rest: their metrics are n/a.' : ''}`);
    return 0;
  },
};
