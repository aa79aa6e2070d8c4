/**
 * What a perf run ran on: the machine (Node, CPUs, memory) and, where the harness may read the
 * database, PostgreSQL's version and the settings that move latency (durability, memory,
 * connections). Recorded with every scenario's result, printed in summary.md, and compared
 * between two sides: a write measured with fsync off is not a write measured with it on.
 */
import { availableParallelism, totalmem } from 'node:os';
import { SQL_MARK, withClient } from './url.js';

/** PostgreSQL settings that move latency, read with SHOW. */
export const PG_SETTINGS = ['fsync', 'synchronous_commit', 'full_page_writes', 'shared_buffers', 'work_mem', 'effective_cache_size', 'max_connections', 'jit'] as const;

export type Environment = {
  node: string;
  cpus: number;
  memoryGb: number;
  platform: string;
  /** PostgreSQL's version and settings, or why they are n/a. */
  postgres: { version: string; settings: Partial<Record<(typeof PG_SETTINGS)[number], string>> } | { absent: string };
};

export async function captureEnvironment(databaseUrl: string | undefined): Promise<Environment> {
  const machine = { node: process.version, cpus: availableParallelism(), memoryGb: Math.round(totalmem() / 2 ** 30), platform: `${process.platform}-${process.arch}` };
  if (!databaseUrl) return { ...machine, postgres: { absent: "DATABASE_URL is not set: PostgreSQL's settings are n/a" } };
  try {
    return await withClient(databaseUrl, async (c) => {
      const version = (await c.query<{ v: string }>(`SELECT ${SQL_MARK} current_setting('server_version') AS v`)).rows[0]!.v;
      const { rows } = await c.query<{ name: string; value: string }>(`SELECT ${SQL_MARK} name, current_setting(name) AS value FROM pg_settings WHERE name = ANY($1)`, [[...PG_SETTINGS]]);
      return { ...machine, postgres: { version, settings: Object.fromEntries(rows.map((r) => [r.name, r.value])) } };
    });
  } catch (e) {
    return { ...machine, postgres: { absent: `the database did not answer: ${(e as Error).message}` } };
  }
}

/** Settings that make writes cheaper than any production database's: said beside every result. */
export function durabilityOff(e: Environment): string[] {
  if (!('settings' in e.postgres)) return [];
  const s = e.postgres.settings;
  return (['fsync', 'synchronous_commit', 'full_page_writes'] as const).filter((k) => s[k] === 'off').map((k) => `${k}=off`);
}

/** One line per fact, for the summary. */
export function describeEnvironment(e: Environment): string[] {
  const lines = [`Node ${e.node} on ${e.platform}, ${e.cpus} CPUs, ${e.memoryGb} GB`];
  if ('absent' in e.postgres) lines.push(`PostgreSQL: n/a (${e.postgres.absent})`);
  else {
    const s = e.postgres.settings;
    lines.push(
      `PostgreSQL ${e.postgres.version}: ${PG_SETTINGS.filter((k) => s[k] !== undefined)
        .map((k) => `${k}=${s[k]}`)
        .join(', ')}`,
    );
    const off = durabilityOff(e);
    if (off.length) lines.push(`durability off (${off.join(', ')}): writes are cheaper here than on a production database`);
  }
  return lines;
}

/** What differs between two sides' environments in something that moves latency, in words; empty when alike or unknown. */
export function environmentDifferences(base: Environment | undefined, candidate: Environment | undefined): string[] {
  if (!base || !candidate) return [];
  const out: string[] = [];
  const major = (v: string) => v.replace(/^v/, '').split('.')[0];
  if (major(base.node) !== major(candidate.node)) out.push(`Node ${base.node} → ${candidate.node}`);
  if (base.cpus !== candidate.cpus) out.push(`CPUs ${base.cpus} → ${candidate.cpus}`);
  if ('version' in base.postgres && 'version' in candidate.postgres) {
    if (major(base.postgres.version) !== major(candidate.postgres.version)) out.push(`PostgreSQL ${base.postgres.version} → ${candidate.postgres.version}`);
    for (const k of PG_SETTINGS) {
      const [b, c] = [base.postgres.settings[k], candidate.postgres.settings[k]];
      if (b !== undefined && c !== undefined && b !== c) out.push(`${k} ${b} → ${c}`);
    }
  }
  return out;
}
