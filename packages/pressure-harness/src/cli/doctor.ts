/**
 * pressure doctor: what the backend under a suite offers the harness, probed as a run probes it,
 * with the exact steps that switch on each absent capability. Absent is not an error (a run goes
 * on with what exists); doctor exits 1 only when the backend does not answer at all.
 */
import { CAPABILITIES, CAPABILITY_FIXES, formatCapabilities, probeCapabilities } from '../lifecycle/capabilities.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type FlagSpec, parseFlags } from './args.js';
import { startRef } from './compare.js';
import type { Side } from './sides.js';
import { loadSuite } from './suite.js';

export const doctor = {
  name: 'doctor',
  summary: 'what the backend offers the harness, and how to switch on what it lacks',
  usage: 'pressure doctor [--base-url <url>] [-c <config>]',
  about:
    'Probes the backend the suite points at (its BASE_URL and DATABASE_URL, or --base-url) for what the harness can use: a health route, evidence headers, the run endpoints, Prometheus metrics, the database and pg_stat_statements. When nothing answers there and the suite declares how its backend starts, doctor starts it from the working tree for the probe (ports and database of its own) and stops it after. Prints the table a run prints, then, for each absent capability, the steps that switch it on. Exits 1 only when the backend does not answer.',
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
    const probe = (url: string, databaseUrl: string | undefined) =>
      probeCapabilities({
        baseUrl: url,
        healthPath: suite.use.healthPath ?? '/healthz',
        metricsPath: suite.use.metricsPath ?? '/metrics',
        serviceToken: suite.use.serviceToken ?? '',
        databaseUrl,
        timeoutMs: 10_000,
      });
    let caps;
    try {
      caps = await probe(baseUrl, suite.use.databaseUrl);
    } catch (e) {
      // Nothing running there: the backend the suite declares, started for the probe, as a run would.
      if (f['base-url'] || !suite.use.backend) {
        console.error(`doctor: ${(e as Error).message}`);
        return 1;
      }
      console.log(`doctor: nothing answers at ${baseUrl}; starting the backend ${suite.configFile} declares (${suite.use.backend.command})`);
      const work = mkdtempSync(path.join(tmpdir(), 'pressure-doctor-'));
      let side: Side | undefined;
      try {
        side = await startRef(suite, suite.use.backend, 'doctor', null, {}, work);
        caps = await probe(side.url, side.databaseUrl ?? suite.use.databaseUrl);
      } catch (err) {
        console.error(`doctor: ${(err as Error).message}`);
        return 1;
      } finally {
        await side?.stop();
        rmSync(work, { recursive: true, force: true });
      }
    }
    console.log(formatCapabilities(caps));
    const absent = caps.list.filter((c) => !c.present);
    for (const c of absent) console.log(`\n${CAPABILITIES[c.id].name} (${c.detail}):\n${CAPABILITY_FIXES[c.id].map((s, i) => `  ${i + 1}. ${s}`).join('\n')}`);
    console.log(`\n${caps.list.length - absent.length} of ${caps.list.length} capabilities present.${absent.length ? ' Every run goes on without the rest: their metrics are n/a.' : ''}`);
    return 0;
  },
};
