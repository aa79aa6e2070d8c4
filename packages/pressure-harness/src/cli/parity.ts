/**
 * pressure parity --against <production DATABASE_URL>: is the database the suite's runs measure
 * shaped like production? Both read-only, catalogs and statistics only, never a row
 * (pg/parity.ts). Prints what differs and why it matters for latency; --require exits 1 when
 * anything does, for a nightly that must not measure on a database unlike production's.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { formatParity, parityOf, profileDatabase } from '../pg/parity.js';
import { redactUrl } from '../pg/url.js';
import { type FlagSpec, parseFlags, postgresUrlFlag } from './args.js';
import { loadSuite } from './suite.js';

export const parity = {
  name: 'parity',
  summary: "whether the test database is shaped like production's: version, settings, indexes, sizes",
  usage: 'pressure parity --against <production DATABASE_URL> [--database-url <test database>] [--json <file>] [--require] [-c <config>]',
  about:
    "Profiles two PostgreSQLs read-only, from their catalogs and statistics only (never a row of a table): the server's major version, the settings that move latency (memory, planner costs, parallelism, JIT, durability, planner methods switched off), extensions, the indexes of each table both hold (by what they index, not by name), each table's size by order of magnitude (partitions under their root), and the client sessions connected now (production's pools). Prints each difference with why it matters. The test database is the suite's DATABASE_URL unless --database-url names another. Exits 0 whatever differs, 1 with --require when anything does, 2 on bad flags.",
  example: 'npx pressure parity --against "$PRODUCTION_REPLICA_URL" --require',
  flags: {
    against: { type: 'string', help: "production's DATABASE_URL (a read replica will do): read-only, catalogs and statistics only" },
    'database-url': { type: 'string', help: "the test database (default: the suite's DATABASE_URL)" },
    json: { type: 'string', help: 'also write both profiles and the differences to this file' },
    require: { type: 'boolean', help: 'exit 1 when anything differs' },
  } satisfies FlagSpec,
  async run(argv: string[]): Promise<number> {
    const f = parseFlags('parity', argv, parity.flags, parity.usage);
    postgresUrlFlag(f.problems, 'against', f.against, 'the production database to compare with');
    postgresUrlFlag(f.problems, 'database-url', f['database-url']);
    f.done();
    const testUrl = f['database-url'] ?? (await loadSuite(f.config)).use.databaseUrl;
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
    console.log(formatParity(test, production, findings));
    if (f.json) {
      mkdirSync(path.dirname(path.resolve(f.json)), { recursive: true });
      writeFileSync(f.json, `${JSON.stringify({ test, production, findings }, null, 2)}\n`);
    }
    return f.require && findings.length ? 1 : 0;
  },
};
