/**
 * pressure parity --against <production DATABASE_URL>: is the database the suite's runs measure
 * shaped like production? Both read-only, catalogs and statistics only, never a row
 * (pg/parity.ts). Prints what differs and why it matters for latency; --require exits 1 when
 * anything does, for a nightly that must not measure on a database unlike production's.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { parseGauges } from '../load/signals.js';
import { formatParity, parityOf, poolParity, profileDatabase } from '../pg/parity.js';
import { redactUrl } from '../pg/url.js';
import { type FlagSpec, parseFlags, postgresUrlFlag } from './args.js';
import { loadSuite } from './suite.js';

export const parity = {
  name: 'parity',
  summary: "whether the test database is shaped like production's: version, settings, indexes, sizes",
  usage: 'pressure parity --against <production DATABASE_URL> [--database-url <test database>] [--against-metrics <url> [--metrics-url <url>]] [--json <file>] [--require] [-c <config>]',
  about:
    "Profiles two PostgreSQLs read-only, from their catalogs and statistics only (never a row of a table): the server's major version, the settings that move latency (memory, planner costs, parallelism, JIT, durability, planner methods switched off), extensions, the indexes of each table both hold (by what they index, not by name), each table's size by order of magnitude (partitions under their root), and the client sessions connected now (production's pools); with --against-metrics, the configured size of each backend's connection pool from its Prometheus text (a gauge named like db_pool_max_connections or hikaricp_connections_max). Prints each difference with why it matters. The test database is the suite's DATABASE_URL unless --database-url names another. Exits 0 whatever differs, 1 with --require when anything does, 2 on bad flags.",
  example: 'npx pressure parity --against "$PRODUCTION_REPLICA_URL" --require',
  flags: {
    against: { type: 'string', help: "production's DATABASE_URL (a read replica will do): read-only, catalogs and statistics only" },
    'database-url': { type: 'string', help: "the test database (default: the suite's DATABASE_URL)" },
    json: { type: 'string', help: 'also write both profiles and the differences to this file' },
    require: { type: 'boolean', help: 'exit 1 when anything differs' },
    'against-metrics': { type: 'string', help: "production backend's Prometheus text (http(s)://…/metrics): its pool's size compared with the test backend's" },
    'metrics-url': { type: 'string', help: "the test backend's Prometheus text (default: the suite's BASE_URL and METRICS_PATH)" },
  } satisfies FlagSpec,
  async run(argv: string[]): Promise<number> {
    const f = parseFlags('parity', argv, parity.flags, parity.usage);
    postgresUrlFlag(f.problems, 'against', f.against, 'the production database to compare with');
    postgresUrlFlag(f.problems, 'database-url', f['database-url']);
    for (const k of ['against-metrics', 'metrics-url'] as const)
      if (f[k] !== undefined && !/^https?:\/\/./.test(f[k])) f.problems.push(`--${k} must be an http:// or https:// URL, got ${JSON.stringify(f[k])}`);
    if (f['metrics-url'] !== undefined && f['against-metrics'] === undefined) f.problems.push('--metrics-url goes with --against-metrics: the production backend to compare pools with');
    f.done();
    const suite = f['database-url'] === undefined || (f['against-metrics'] !== undefined && f['metrics-url'] === undefined) ? await loadSuite(f.config) : undefined;
    const testUrl = f['database-url'] ?? suite?.use.databaseUrl;
    if (!testUrl) {
      console.error('parity: the suite names no DATABASE_URL; pass --database-url <test database>');
      return 2;
    }
    const read = async (url: string, which: string) => {
      try {
        return await profileDatabase(url);
      } catch (e) {
        throw new Error(`${which} (${redactUrl(url)}) cannot be read: ${(e as Error).message.split('\n')[0]}`);
      }
    };
    const [test, production] = [await read(testUrl, 'the test database'), await read(f.against!, 'the production database')];
    const findings = parityOf(test, production);
    if (f['against-metrics']) {
      const mine = f['metrics-url'] ?? (suite?.use.baseURL ? `${suite.use.baseURL.replace(/\/$/, '')}${suite.use.metricsPath ?? '/metrics'}` : undefined);
      const [here, there] = [mine ? await gaugesAt(mine) : null, await gaugesAt(f['against-metrics'])];
      if (!here) console.error(`parity: the test backend's pool is not compared: ${mine ? `${mine} did not answer with Prometheus text` : 'the suite gives no BASE_URL; pass --metrics-url'}`);
      if (!there) console.error(`parity: production's pool is not compared: ${f['against-metrics']} did not answer with Prometheus text`);
      findings.push(...poolParity(here, there));
    }
    console.log(formatParity(test, production, findings));
    if (f.json) {
      mkdirSync(path.dirname(path.resolve(f.json)), { recursive: true });
      writeFileSync(f.json, `${JSON.stringify({ test, production, findings }, null, 2)}\n`);
    }
    return f.require && findings.length ? 1 : 0;
  },
};

/** A backend's gauges from its Prometheus text, or null where it does not answer with them. */
async function gaugesAt(url: string): Promise<Record<string, number> | null> {
  try {
    const res = await request(url, { signal: AbortSignal.timeout(10_000) });
    const text = await res.body.text();
    return res.statusCode === 200 ? parseGauges(text, Infinity) : null;
  } catch {
    return null;
  }
}
