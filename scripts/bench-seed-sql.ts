/**
 * npm run bench:seed-sql [-- --authors 5700] [--rounds 3]
 *
 * The generic SQL adapter against the simplest way to write the same rows, on a Conduit-shaped
 * domain (examples/conduit: authors with whales, articles, comments) of at least a million rows,
 * in an embedded PostgreSQL of its own (a free port, a temporary folder, removed after).
 *
 * - adapter: seedSql as a suite calls it: plan, keys reserved, chunks generated on worker
 *   threads while earlier ones are written by two connections, foreign keys checked by
 *   PostgreSQL, the ledger, ANALYZE; into conduit's own tables.
 * - raw COPY: the same rows from the same generator on one thread, streamed into one COPY per
 *   table (three at once) into scratch tables with the same columns, checks and indexes and no
 *   foreign keys, keys from counters: COPY's best case, generation included as the adapter's is.
 *
 * Rounds alternate (adapter, raw, adapter, raw, …) on emptied tables and the ratio raw/adapter
 * is the median of the rounds' own: the machine's drift over a minute was larger than the gap
 * measured (see scripts/measure-dataset.ts). Writes bench-results/seed-sql.json.
 */
import { writeJson } from 'pressure-harness/report';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { freePort } from 'pressure-harness/cli';
import { copyValue, defaultThreads, generateDomain, isRef, planDomain, seedSql } from 'pressure-harness/seed';
import { startEmbeddedPostgres } from 'pressure-harness/embedded';
import { domainOf, sqlMapping } from '../examples/conduit/suite/domain.js';
import { failAndExit, flagsOrExit } from './backend.js';

const flags = flagsOrExit('bench:seed-sql', { authors: { type: 'string' }, rounds: { type: 'string' } }, 'npm run bench:seed-sql -- [--authors 1000-100000] [--rounds 1-9]');
const authors = Number(flags.authors ?? 5700);
const rounds = Number(flags.rounds ?? 3);
if (!Number.isInteger(authors) || authors < 1000 || authors > 100_000) failAndExit('bench:seed-sql', `--authors must be a whole number from 1000 to 100000, got ${JSON.stringify(flags.authors)}`);
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 9) failAndExit('bench:seed-sql', `--rounds must be a whole number from 1 to 9, got ${JSON.stringify(flags.rounds)}`);

const SEED = 'bench-seed-sql';
const domain = domainOf(authors);
const plan = planDomain(domain, SEED);
console.log(
  `bench:seed-sql: ${authors} authors, ${plan.total.toLocaleString('en-US')} rows (${Object.entries(plan.rows)
    .map(([e, n]) => `${e} ${n.toLocaleString('en-US')}`)
    .join(', ')})`,
);

const dir = mkdtempSync(path.join(tmpdir(), 'bench-seed-sql-'));
chmodSync(dir, 0o755); // the cluster runs as the postgres user, which must reach it
const pgServer = await startEmbeddedPostgres({ dataDir: dir, port: await freePort(), log: () => {}, database: 'bench_sql' });
const db = new pg.Client({ connectionString: pgServer.url });
try {
  await db.connect();
  await db.query(readFileSync(new URL('../examples/conduit/schema.sql', import.meta.url), 'utf8'));
  const tables = Object.values(sqlMapping).map((m) => m.table);
  await db.query('CREATE SCHEMA raw');
  for (const t of tables) await db.query(`CREATE TABLE raw.${t} (LIKE public.${t} INCLUDING ALL EXCLUDING IDENTITY)`);

  /** The adapter, as a suite seeds: workers on the domain's module, nothing kept. */
  const adapter = async (round: number) => {
    await db.query(`TRUNCATE ${tables.join(', ')} RESTART IDENTITY CASCADE`);
    await db.query('DROP TABLE IF EXISTS pressure_ledger');
    await db.query('CHECKPOINT');
    const t0 = performance.now();
    const r = await seedSql({
      databaseUrl: pgServer.url,
      domain,
      mapping: sqlMapping,
      seed: SEED,
      runId: `bench-${round}`,
      ttlSeconds: 3600,
      keep: {},
      generator: { module: new URL('../examples/conduit/suite/domain.ts', import.meta.url), export: 'domainOf', args: [authors] },
    });
    const seconds = (performance.now() - t0) / 1000;
    const written = Object.values(r.rows).reduce((a, b) => a + b, 0);
    const counted = (await db.query<{ n: number }>(`SELECT (${tables.map((t) => `(SELECT count(*) FROM ${t})`).join(' + ')})::int AS n`)).rows[0]!.n;
    if (written !== plan.total || counted !== plan.total) throw new Error(`the adapter wrote ${written} rows (${counted} in the tables), the plan has ${plan.total}`);
    return seconds;
  };

  /** Raw COPY of the same rows: one generator on this thread, one COPY per table at once, keys from counters. */
  const raw = async () => {
    for (const t of tables) await db.query(`TRUNCATE raw.${t}`);
    await db.query('CHECKPOINT');
    const t0 = performance.now();
    const clients = await Promise.all(
      tables.map(async () => {
        const c = new pg.Client({ connectionString: pgServer.url });
        await c.connect();
        return c;
      }),
    );
    try {
      const entities = Object.keys(sqlMapping);
      const streams = entities.map(() => new PassThrough());
      const done = entities.map((e, i) => {
        const t = sqlMapping[e]!.table;
        const fields = Object.keys(domain.entities[e]!.fields);
        const parent = domain.entities[e]!.parent ? [`${domain.entities[e]!.parent === 'author' ? 'author_id' : 'article_id'}`] : [];
        return pipeline(streams[i]!, clients[i]!.query(copyFrom(`COPY raw.${t} (id, ${[...parent, ...fields].join(', ')}) FROM STDIN`)));
      });
      const ids = new Map<string, number>();
      const next: Record<string, number> = {};
      const batches = entities.map(() => [] as string[]);
      const flush = async (i: number) => {
        const s = streams[i]!;
        if (!s.write(`${batches[i]!.join('\n')}\n`)) await new Promise((r) => s.once('drain', r));
        batches[i] = [];
      };
      for (const r of generateDomain(domain, SEED, 'raw')) {
        const i = entities.indexOf(r.entity);
        const id = (next[r.entity] = (next[r.entity] ?? 0) + 1);
        ids.set(r.path, id);
        const vals = [id, ...(r.parentPath ? [ids.get(r.parentPath)] : []), ...Object.values(r.values).map((v) => (isRef(v) ? Number(v.$ref.split('/')[1]) + 1 : v))];
        batches[i]!.push(vals.map(copyValue).join('\t'));
        if (batches[i]!.length >= 2000) await flush(i);
      }
      for (let i = 0; i < entities.length; i++) {
        if (batches[i]!.length) await flush(i);
        streams[i]!.end();
      }
      await Promise.all(done);
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
    const seconds = (performance.now() - t0) / 1000;
    const counted = (await db.query<{ n: number }>(`SELECT (${tables.map((t) => `(SELECT count(*) FROM raw.${t})`).join(' + ')})::int AS n`)).rows[0]!.n;
    if (counted !== plan.total) throw new Error(`raw COPY wrote ${counted} rows, the plan has ${plan.total}`);
    return seconds;
  };

  const measured: { seconds: number; copySeconds: number; ratio: number }[] = [];
  for (let round = 1; round <= rounds; round++) {
    const seconds = await adapter(round);
    const copySeconds = await raw();
    measured.push({ seconds: +seconds.toFixed(2), copySeconds: +copySeconds.toFixed(2), ratio: +(copySeconds / seconds).toFixed(3) });
    console.log(`  round ${round}: adapter ${seconds.toFixed(2)} s, raw COPY ${copySeconds.toFixed(2)} s, ratio ${(copySeconds / seconds).toFixed(3)}`);
  }
  const median = [...measured].sort((a, b) => a.ratio - b.ratio)[Math.floor(measured.length / 2)]!;
  const result = {
    rows: plan.total,
    rowsByEntity: plan.rows,
    authors,
    ratio: median.ratio,
    rowsPerSec: Math.round(plan.total / median.seconds),
    copyRowsPerSec: Math.round(plan.total / median.copySeconds),
    seconds: median.seconds,
    copySeconds: median.copySeconds,
    rounds: measured,
    generatorThreads: defaultThreads(),
    writers: 2,
    notes:
      "ratio = raw COPY seconds / adapter seconds, the median of alternating rounds' own ratios; both include generating the rows with the same domain and seed. " +
      'adapter: seedSql with generator workers (generatorThreads), keys reserved up front, root rows in one transaction, then chunks of ~20,000 rows each in its own transaction on 2 connections, foreign keys enforced, ledger, ANALYZE. ' +
      'raw COPY: one thread generating, three COPYs at once into tables with the same columns, checks and indexes, no foreign keys, no ledger, no ANALYZE.',
  };
  writeJson('bench-results/seed-sql.json', result);
  console.log(`  ratio raw COPY/adapter = ${result.ratio} (target >= 0.8) at ${plan.total.toLocaleString('en-US')} rows; wrote bench-results/seed-sql.json`);
} finally {
  await db.end().catch(() => {});
  await pgServer.stop();
  rmSync(dir, { recursive: true, force: true });
}
