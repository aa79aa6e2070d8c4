/**
 * pressure dataset plan|save|restore|list|drop: a suite's seeded data kept as a database, so that
 * a large dataset is generated once and every later run starts from a copy of it in a second
 * (CREATE DATABASE … TEMPLATE …), the seed's approach "snapshot restore".
 *
 * save: the backend the suite declares is started from the working tree on a copy of
 * DATABASE_URL's database ({databaseUrl}: its schema, made by the backend as usual), the suite's
 * seed project runs against it as run `ds-<name>` with RUN_KEEP=1, and the database is kept:
 * its run's rows made permanent (expiry 'infinity', so no reaper takes them), vacuumed and
 * analysed, described in its comment, then renamed to pressure_ds_<name>. Until that rename,
 * nothing replaces a dataset of the same name: a failed save leaves the old one.
 * restore: a copy of it, under a name of its own, and the environment to run on it: the run ID
 * the seed project wrote its files under, RUN_KEEP=1 so that the run leaves them, and
 * `--no-deps` so that nothing seeds again.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { EXPIRY_COLUMN, RUN_COLUMN } from '../contract/protocol.js';
import { adminQuery, databaseOf, redactUrl, SQL_MARK, withClient, withDatabase } from '../pg/url.js';
import { planDomain } from '../seed/domain.js';
import { fitShape } from '../seed/fit.js';
import { formatFit, formatFitModule } from '../seed/fit-format.js';
import { type DataShape, readShape, SAMPLE_PARENTS } from '../pg/shape.js';
import { MASKS } from '../seed/anonymize.js';
import { importFlags, importSubset } from './dataset-import.js';
import { chunkWriter } from '../seed/sql-chunk.js';
import { actionOf, type FlagSpec, intFlag, parseFlags, postgresUrlFlag, UsageError } from './args.js';
import { declaredBackend, startRef } from './compare.js';
import { projectRun } from './runs.js';
import type { Side } from './sides.js';
import { loadSuite, type Suite } from './suite.js';

const ACTIONS = ['plan', 'fit', 'import', 'save', 'restore', 'list', 'drop'] as const;
const NAME = /^[a-z0-9][a-z0-9_]{0,39}$/;
const PREFIX = 'pressure_ds_';
const LEDGER = 'pressure_ledger';

/** What a saved dataset's database says of itself (its COMMENT). */
type Meta = { name: string; runId: string; config: string; commit: string | null; savedAt: string; seconds: number; rows: Record<string, number> };

export const dataset = {
  name: 'dataset',
  summary: 'plan a dataset, save it once as a database, restore copies of it for runs',
  usage:
    'pressure dataset (plan [--seed <s>] | fit --from <production DATABASE_URL> [--tables a,b] [--schemas s] [--sample-above n] [--out <shape.ts>] [--json <file>] | import --from <production DATABASE_URL> --subset <table=share%[+whales:n] | table:filter>… [--to <DATABASE_URL>] [--max-rows n] [--mask table.column=kind]… [--run-id id] [--ttl-hours h] [--secret-env VAR] [--json <file>] [--name <n> [--force]] | save --name <n> [--project seed] [--force] | restore --name <n> [--as <database>] | list | drop --name <n>) [-c <config>]',
  about:
    "fit: production's shape read as aggregates only, never a row (tables' rows, children per parent as a histogram the server computes over each foreign key, sampled with TABLESAMPLE above 100,000 parents; null shares, distinct counts and widths from pg_stats; enum and boolean values' frequencies; text lengths and time spans), fitted to the domain's distributions (tiers for a root's children by penalized likelihood, a log-normal for deeper ones, each with its Kolmogorov–Smirnov error) and scaled to three profiles; --out writes them as a module the domain imports. import: a consistent subset of production (the roots --subset chooses, every row below them, every row they point at) read in one read-only transaction, every column that can hold personal data anonymized (by type, name and content; deterministic and consistent across tables, formats kept; --mask overrides), loaded through the SQL adapter into --to (default DATABASE_URL) as run --run-id with an expiry, all or nothing, then checked: no original value of an anonymized column is left; with --name, into a copy of --to saved as that dataset (restore, list and drop as any other). plan: the rows the suite's declared domain (harnessUse(s, { domain })) makes, by entity and tier, and their size estimated from a generated sample. save: the declared backend started on a copy of DATABASE_URL's database ({databaseUrl}), the suite's seed project run against it as run ds-<name> with RUN_KEEP=1, and the database kept as pressure_ds_<name> (rows made permanent, vacuumed, analysed); an existing dataset is replaced only with --force, and only once the new one is complete. restore: a copy of it, and the environment to run on it without seeding again. list: the saved datasets. drop: removes one.",
  example: 'npx pressure dataset save --name large && npx pressure dataset restore --name large',
  flags: {
    name: { type: 'string', help: 'the dataset: lowercase letters, digits and "_", up to 40 (import: save the subset as this dataset)' },
    seed: { type: 'string', help: "plan: the root seed (default: the suite's SEED)" },
    project: { type: 'string', help: 'save: the project that seeds (default: seed)' },
    force: { type: 'boolean', help: 'save, import --name: replace a dataset of the same name' },
    as: { type: 'string', help: 'restore: the name of the copy (default: pressure_run_<name>_<time>)' },
    from: { type: 'string', help: "fit, import: production's DATABASE_URL (a read replica will do), read-only; fit reads aggregates only" },
    tables: { type: 'string', help: "fit: only these tables, comma-separated (table or schema.table; default: all but the system's)" },
    schemas: { type: 'string', help: 'fit: only these schemas, comma-separated' },
    out: { type: 'string', help: 'fit: write the fitted shape as a TypeScript module here (a .ts file)' },
    json: { type: 'string', help: 'fit, import: also write what was read and done as JSON here' },
    subset: {
      type: 'string',
      multiple: true,
      help: 'import: roots to start from: users=5% (a sampled share), users:<SQL condition>, users=5%+whales:2 (and the 2 users with most children), users+whales:2:<SQL condition>; repeatable',
    },
    to: { type: 'string', help: "import: the database to load into (default: the suite's DATABASE_URL)" },
    'max-rows': { type: 'string', help: 'import: the most rows the subset may hold, 1 to 5,000,000 (default 50,000): past it, nothing is loaded' },
    mask: { type: 'string', multiple: true, help: `import: how a column is anonymized, table.column=kind or column=kind, kind one of ${MASKS.join(', ')}; repeatable` },
    'run-id': { type: 'string', help: 'import: the run the rows belong to (default: import-<time>)' },
    'ttl-hours': { type: 'string', help: 'import: when the rows expire, 1 to 8,760 hours (default 24)' },
    'secret-env': { type: 'string', help: 'import: the environment variable holding the key of the anonymizing hash (default: a new random key, so two imports map values differently)' },
    'sample-above': { type: 'string', help: 'fit: tables of more rows than this are sampled (TABLESAMPLE) to about this many, 100 to 10,000,000 (default 100,000)' },
  } satisfies FlagSpec,
  async run(argv: string[]): Promise<number> {
    const f = parseFlags('dataset', argv, dataset.flags, dataset.usage);
    const problems = f.problems;
    const action = actionOf(problems, f.positionals, ACTIONS);
    const named = action === 'save' || action === 'restore' || action === 'drop';
    if (named && !f.name) problems.push(`${action} needs --name <dataset>`);
    if (f.name !== undefined && !named && action !== 'import') problems.push('--name goes with save, restore, drop and import');
    if (f.name !== undefined && !NAME.test(f.name)) problems.push(`--name must be lowercase letters, digits and "_", starting with a letter or digit, up to 40, got "${f.name}"`);
    if (f.as !== undefined && (action !== 'restore' || !/^[a-z_][a-z0-9_]{0,62}$/.test(f.as)))
      problems.push(action !== 'restore' ? '--as goes with restore' : `--as must be a database name of lowercase letters, digits and "_", got "${f.as}"`);
    if (f.seed !== undefined && action !== 'plan') problems.push('--seed goes with plan');
    if (f.project !== undefined && action !== 'save') problems.push('--project goes with save');
    if (f.force && action !== 'save' && !(action === 'import' && f.name !== undefined)) problems.push('--force goes with save, or import with --name');
    const only = (which: string, keys: readonly (keyof typeof f)[]) => {
      const given = keys.filter((k) => f[k] !== undefined);
      if (given.length) problems.push(`${given.map((k) => `--${String(k)}`).join(', ')} go${given.length === 1 ? 'es' : ''} with ${which}`);
    };
    if (action !== 'fit') only('fit', ['tables', 'schemas', 'out', 'sample-above']);
    if (action !== 'import') only('import', ['subset', 'to', 'max-rows', 'mask', 'run-id', 'ttl-hours', 'secret-env']);
    if (action !== 'fit' && action !== 'import') only('fit and import', ['from', 'json']);
    if (action === 'fit') postgresUrlFlag(problems, 'from', f.from, 'the production database whose shape is fitted (read-only, aggregates only)');
    if (action === 'import') postgresUrlFlag(problems, 'from', f.from, 'the production database a subset is read from (read-only)');
    postgresUrlFlag(problems, 'to', f.to);
    if (f.out !== undefined && !f.out.endsWith('.ts')) problems.push(`--out must name a .ts file, got "${f.out}"`);
    const csv = (v: string | undefined) =>
      v
        ?.split(',')
        .map((x) => x.trim())
        .filter(Boolean);
    for (const k of ['tables', 'schemas'] as const) if (f[k] !== undefined && !csv(f[k])!.length) problems.push(`--${k} must name at least one, comma-separated`);
    const sampleAbove = intFlag(problems, 'sample-above', f['sample-above'], 100, 10_000_000, SAMPLE_PARENTS);
    const importOptions = action === 'import' ? importFlags(problems, f) : undefined;
    f.done();
    if (importOptions) {
      const to = f.to ?? (await loadSuite(f.config)).use.databaseUrl;
      return f.name !== undefined && to
        ? saveImport(to, f.name, f.force === true, (into) => importSubset({ ...importOptions, to: into, json: f.json }), importOptions.runId, importOptions.from)
        : importSubset({ ...importOptions, to, json: f.json });
    }
    if (action === 'fit') return fit({ from: f.from!, tables: csv(f.tables), schemas: csv(f.schemas), out: f.out, json: f.json, sampleAbove });
    const suite = await loadSuite(f.config);
    if (action === 'plan') return plan(suite, f.seed);
    const server = suite.use.databaseUrl;
    if (!server) throw new UsageError('dataset', [`${action} keeps datasets as databases beside the suite's: set DATABASE_URL (${suite.configFile} gives none)`], dataset.usage);
    if (action === 'list') return list(server);
    if (action === 'drop') return drop(server, f.name!);
    if (action === 'restore') return restore(suite, server, f.name!, f.as);
    return save(suite, server, f.name!, f.project ?? 'seed', f.force === true);
  },
};

/**
 * fit: production's shape read (pg/shape.ts), fitted (seed/fit.ts), printed, and written where
 * asked; the module only once everything is read and fitted, so a failed read writes nothing.
 */
async function fit(o: { from: string; tables?: string[]; schemas?: string[]; out?: string; json?: string; sampleAbove: number }): Promise<number> {
  let shape: DataShape;
  try {
    shape = await readShape(o.from, { ...(o.tables && { tables: o.tables }), ...(o.schemas && { schemas: o.schemas }), sampleAbove: o.sampleAbove });
  } catch (e) {
    console.error(`dataset fit: ${redactUrl(o.from)} cannot be read: ${(e as Error).message.split('\n')[0]}`);
    return 1;
  }
  if (!shape.tables.length) {
    console.error(`dataset fit: ${redactUrl(o.from)} has no table to fit${o.schemas ? ` in ${o.schemas.join(', ')}` : ''}`);
    return 1;
  }
  const fitted = fitShape(shape);
  console.log(formatFit(fitted));
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    writeFileSync(`${file}.tmp`, text);
    renameSync(`${file}.tmp`, file);
  };
  if (o.json) write(o.json, `${JSON.stringify({ shape, fitted }, null, 2)}\n`);
  if (o.out) {
    write(o.out, formatFitModule(fitted));
    console.log(`dataset fit: wrote ${o.out}`);
  }
  return 0;
}

/** The plan's rows by entity and tier, and bytes per row measured on a generated sample (the first chunk of each root). */
function plan(suite: Suite, seedFlag: string | undefined): number {
  const domain = suite.use.domain;
  if (!domain) throw new UsageError('dataset', [`${suite.configFile} declares no domain: pass harnessUse(settings, { domain: domainOf(…) }) so that plan knows what the suite seeds`], dataset.usage);
  const seed = seedFlag ?? suite.use.seedRoot ?? 'pressure-suite';
  const p = planDomain(domain, seed, { chunkRows: 5_000 });
  // Bytes: COPY text of a sample, every field written, keys stood in by counters.
  const tables = Object.fromEntries(
    domain.order.map((e) => [
      e,
      {
        table: e,
        key: { kind: 'uuid' as const },
        pk: 'id',
        ...(domain.entities[e]!.parent && { parentColumn: 'parent' }),
        fields: Object.keys(domain.entities[e]!.fields).map((x) => ({ field: x, column: x })),
        runTagged: true,
      },
    ]),
  );
  const write = chunkWriter(domain, { seed, runId: 'plan', expires: new Date(0).toISOString(), tables, keep: {} });
  const sampled: Record<string, { rows: number; bytes: number }> = {};
  for (const root of domain.order.filter((e) => !domain.entities[e]!.parent)) {
    const first = p.chunks.find((c) => c.root === root);
    if (!first) continue;
    for (const part of ['roots', 'below'] as const) {
      const out = write({ ...first, part, offsets: {} });
      for (const [e, b] of Object.entries(out.copy)) {
        const s = (sampled[e] ??= { rows: 0, bytes: 0 });
        s.rows += out.rows[e] ?? 0;
        s.bytes += b.byteLength;
      }
    }
  }
  const fmt = (n: number) => n.toLocaleString('en-US');
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  let total = 0;
  console.log(`dataset plan of ${suite.configFile} (seed "${seed}"): ${fmt(p.total)} rows in ${p.chunks.length} chunks`);
  for (const e of domain.order) {
    const n = p.rows[e] ?? 0;
    const s = sampled[e];
    const bytes = s && s.rows ? (s.bytes / s.rows) * n : 0;
    total += bytes;
    const tiers = Object.entries(p.byTier[e] ?? {})
      .map(([t, k]) => `${t} ${fmt(k)}`)
      .join(', ');
    console.log(
      `  ${e.padEnd(16)} ${fmt(n).padStart(12)} rows  ~${mb(bytes).padStart(10)} of data  (${tiers})${s ? `, ${Math.round(s.bytes / Math.max(1, s.rows))} B a row from ${fmt(s.rows)} generated` : ''}`,
    );
  }
  console.log(`  about ${mb(total)} of row data before indexes and PostgreSQL's own overhead (typically 1.5-3× on disk)`);
  return 0;
}

const dsDatabase = (name: string) => `${PREFIX}${name}`;

async function existing(server: string): Promise<{ database: string; meta: Meta | null }[]> {
  const { rows } = await adminQuery<{ datname: string; comment: string | null }>(
    server,
    `SELECT ${SQL_MARK} d.datname, shobj_description(d.oid, 'pg_database') AS comment FROM pg_database d WHERE d.datname LIKE $1 ORDER BY d.datname`,
    [`${PREFIX}%`],
  );
  return rows.map((r) => {
    let meta: Meta | null = null;
    try {
      meta = r.comment ? (JSON.parse(r.comment) as Meta) : null;
    } catch {
      meta = null;
    }
    return { database: r.datname, meta };
  });
}

async function list(server: string): Promise<number> {
  const all = (await existing(server)).filter((d) => !d.database.endsWith('_building'));
  if (!all.length) console.log(`no saved datasets on ${redactUrl(withDatabase(server, 'postgres'))}`);
  for (const d of all) {
    const m = d.meta;
    const rows = m ? Object.values(m.rows).reduce((a, b) => a + b, 0) : 0;
    console.log(
      `${d.database.slice(PREFIX.length)}\t${m ? `${rows.toLocaleString('en-US')} rows, run ${m.runId}, saved ${m.savedAt}${m.commit ? ` at ${m.commit.slice(0, 12)}` : ''}, from ${m.config}` : '(no description)'}`,
    );
  }
  return 0;
}

async function drop(server: string, name: string): Promise<number> {
  const db = dsDatabase(name);
  if (!(await existing(server)).some((d) => d.database === db)) {
    console.error(`dataset: no dataset "${name}" (database ${db}); see pressure dataset list`);
    return 1;
  }
  await adminQuery(server, `DROP DATABASE ${pg.escapeIdentifier(db)} WITH (FORCE)`);
  console.log(`dataset: dropped ${name} (database ${db})`);
  return 0;
}

async function restore(suite: Suite, server: string, name: string, as: string | undefined): Promise<number> {
  const found = (await existing(server)).find((d) => d.database === dsDatabase(name));
  if (!found) {
    console.error(`dataset: no dataset "${name}" on ${redactUrl(withDatabase(server, 'postgres'))}; see pressure dataset list, or save it with pressure dataset save --name ${name}`);
    return 1;
  }
  const copy = as ?? `pressure_run_${name}_${Date.now().toString(36)}`;
  const t0 = performance.now();
  await adminQuery(server, `CREATE DATABASE ${pg.escapeIdentifier(copy)} TEMPLATE ${pg.escapeIdentifier(found.database)} STRATEGY FILE_COPY`);
  const url = withDatabase(server, copy);
  const runId = found.meta?.runId ?? `ds-${name.replace(/_/g, '-')}`;
  console.log(`dataset: restored ${name} as database ${copy} in ${((performance.now() - t0) / 1000).toFixed(2)} s. Run on it, without seeding again:`);
  console.log(
    `  DATABASE_URL='${url}' RUN_ID=${runId} RUN_KEEP=1 npx playwright test -c ${path.relative(process.cwd(), suite.configFile) || suite.configFile} --project=${suite.perfProject} --no-deps`,
  );
  console.log(`  (the backend must serve that database; drop the copy after: DROP DATABASE ${copy})`);
  return 0;
}

async function save(suite: Suite, server: string, name: string, project: string, force: boolean): Promise<number> {
  const target = dsDatabase(name);
  const building = `${target}_building`;
  if (await refuseExisting(server, name, force)) return 1;
  if (!suite.projects.includes(project))
    throw new UsageError(
      'dataset',
      [`${suite.configFile} has no project named "${project}" to seed with; its projects: ${suite.projects.join(', ') || 'none'} (name one with --project)`],
      dataset.usage,
    );
  const spec = declaredBackend(suite, 'dataset', dataset.usage);
  if (![spec.url, spec.databaseUrl ?? '', ...Object.values(spec.env ?? {})].some((t) => t.includes('{databaseUrl}'))) {
    throw new UsageError(
      'dataset',
      [`save keeps the database the backend served: ${suite.configFile} must give its backend {databaseUrl} (a copy of DATABASE_URL's database), in its env or databaseUrl`],
      dataset.usage,
    );
  }
  const runId = `ds-${name.replace(/_/g, '-')}`;
  const work = mkdtempSync(path.join(tmpdir(), 'pressure-dataset-'));
  let side: Side | undefined;
  let kept: string | undefined;
  const t0 = performance.now();
  try {
    side = await startRef(suite, spec, 'dataset', null, {}, work);
    console.log(`dataset: seeding ${name} with the ${project} project as run ${runId}…`);
    const r = await projectRun(suite, project, { BASE_URL: side.url, DATABASE_URL: side.databaseUrl!, RUN_ID: runId, RUN_KEEP: '1', PERF_BASELINE: '' }, work);
    if (r.exit !== 0) {
      console.error(`dataset: the ${project} project failed (exit ${r.exit})${r.failures.length ? `:\n  - ${r.failures.join('\n  - ')}` : ''}; nothing was saved`);
      return 1;
    }
    kept = side.keepDatabase();
    await side.stop(); // the backend stops; its database stays
    side = undefined;
    const seconds = (performance.now() - t0) / 1000;
    const rows = await settle(kept!, runId);
    if (!Object.keys(rows).length) {
      console.error(
        `dataset: the ${project} project passed but left no rows of run ${runId} (no row with ${RUN_COLUMN} = ${runId}, no ${LEDGER} entry): a dataset is what the seed writes through DATABASE_URL, tagged with the run; nothing was saved`,
      );
      return 1;
    }
    await adminQuery(server, `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(building)} WITH (FORCE)`);
    await adminQuery(server, `ALTER DATABASE ${pg.escapeIdentifier(databaseOf(kept!))} RENAME TO ${pg.escapeIdentifier(building)}`);
    kept = withDatabase(server, building);
    const meta: Meta = { name, runId, config: suite.configFile, commit: commitOf(suite.root), savedAt: new Date().toISOString(), seconds: +seconds.toFixed(1), rows };
    await publish(server, building, target, meta);
    kept = undefined;
    const total = Object.values(rows).reduce((a, b) => a + b, 0);
    console.log(
      `dataset: saved ${name} as database ${target}: ${total.toLocaleString('en-US')} rows, seeded as run ${runId} (${Object.entries(rows)
        .map(([t, n]) => `${t} ${n.toLocaleString('en-US')}`)
        .join(', ')}) in ${seconds.toFixed(1)} s`,
    );
    console.log(`  restore a copy for a run: npx pressure dataset restore --name ${name}`);
    return 0;
  } finally {
    await side?.stop();
    // A save that failed after keeping the database removes it: no half-made dataset stays.
    if (kept) await adminQuery(server, `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(databaseOf(kept))} WITH (FORCE)`).catch(() => {});
    rmSync(work, { recursive: true, force: true });
  }
}

/** An existing dataset of the name, kept unless --force says replace it: says so and returns true. */
async function refuseExisting(server: string, name: string, force: boolean): Promise<boolean> {
  const target = dsDatabase(name);
  if (force || !(await existing(server)).some((d) => d.database === target)) return false;
  console.error(`dataset: "${name}" exists (database ${target}); pass --force to replace it once the new one is complete, or pressure dataset drop --name ${name}`);
  return true;
}

/** A complete dataset, built in `building`, described and only now put in place of an older one of its name. */
async function publish(server: string, building: string, target: string, meta: Meta): Promise<void> {
  await adminQuery(server, `COMMENT ON DATABASE ${pg.escapeIdentifier(building)} IS ${pg.escapeLiteral(JSON.stringify(meta))}`);
  await adminQuery(server, `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(target)} WITH (FORCE)`);
  await adminQuery(server, `ALTER DATABASE ${pg.escapeIdentifier(building)} RENAME TO ${pg.escapeIdentifier(target)}`);
}

/**
 * import --name: the subset saved as a dataset like the others. The database loaded into is copied
 * first (its schema, and whatever reference data it holds; CREATE DATABASE … TEMPLATE, which
 * PostgreSQL refuses while anyone is connected to it), the subset imported into the copy as its
 * run, its rows made permanent, and the copy renamed pressure_ds_<name>: restore, list and drop
 * then treat it as any saved dataset. A failed import leaves no copy, and the old dataset of the
 * name stays until the new one is complete.
 */
async function saveImport(to: string, name: string, force: boolean, load: (into: string) => Promise<number>, runId: string, from: string): Promise<number> {
  const target = dsDatabase(name);
  const building = `${target}_building`;
  if (await refuseExisting(to, name, force)) return 1;
  const t0 = performance.now();
  await adminQuery(to, `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(building)} WITH (FORCE)`);
  try {
    await adminQuery(to, `CREATE DATABASE ${pg.escapeIdentifier(building)} TEMPLATE ${pg.escapeIdentifier(databaseOf(to))}`);
  } catch (e) {
    console.error(
      `dataset import --name: ${databaseOf(to)} cannot be copied to build the dataset in (${(e as Error).message}); PostgreSQL copies a database only while nobody is connected to it: stop the backend serving it, or pass --to a database with the same schema that nobody uses`,
    );
    return 1;
  }
  let done = false;
  try {
    const code = await load(withDatabase(to, building));
    if (code !== 0) return code;
    const rows = await settle(withDatabase(to, building), runId);
    const meta: Meta = { name, runId, config: `dataset import from ${redactUrl(from)}`, commit: null, savedAt: new Date().toISOString(), seconds: +((performance.now() - t0) / 1000).toFixed(1), rows };
    await publish(to, building, target, meta);
    done = true;
    console.log(`dataset: saved the imported subset as ${name} (database ${target}, run ${runId}); restore a copy for a run: npx pressure dataset restore --name ${name}`);
    return 0;
  } finally {
    if (!done) await adminQuery(to, `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(building)} WITH (FORCE)`).catch(() => {});
  }
}

/**
 * The run's rows made permanent (no reaper takes them), the database vacuumed and analysed.
 * Returns the rows of every table of the database (the seed's, the schema's own reference data),
 * or an empty record when nothing of the run is there.
 */
async function settle(url: string, runId: string): Promise<Record<string, number>> {
  return withClient(url, async (c) => {
    let ofRun = 0;
    const tagged = await c.query<{ t: string }>(
      `SELECT ${SQL_MARK} format('%I.%I', c.table_schema, c.table_name) AS t FROM information_schema.columns c JOIN information_schema.columns e USING (table_schema, table_name)
        WHERE c.column_name = $1 AND e.column_name = $2 AND c.table_schema NOT IN ('pg_catalog', 'information_schema') GROUP BY 1 ORDER BY 1`,
      [RUN_COLUMN, EXPIRY_COLUMN],
    );
    for (const { t } of tagged.rows) {
      ofRun += (await c.query(`UPDATE ${SQL_MARK} ${t} SET ${pg.escapeIdentifier(EXPIRY_COLUMN)} = 'infinity' WHERE ${pg.escapeIdentifier(RUN_COLUMN)} = $1`, [runId])).rowCount ?? 0;
    }
    if ((await c.query(`SELECT to_regclass($1) AS t`, [LEDGER])).rows[0]?.t) {
      ofRun += (await c.query(`UPDATE ${SQL_MARK} ${LEDGER} SET expires_at = 'infinity' WHERE run_id = $1`, [runId])).rowCount ?? 0;
    }
    if (!ofRun) return {};
    await c.query('VACUUM (ANALYZE)');
    const { rows } = await c.query<{ t: string; n: string }>(
      `SELECT ${SQL_MARK} format('%I.%I', schemaname, relname) AS t, n_live_tup::text AS n FROM pg_stat_user_tables WHERE relname <> $1 AND n_live_tup > 0 ORDER BY n_live_tup DESC`,
      [LEDGER],
    );
    return Object.fromEntries(rows.map((r) => [r.t, Number(r.n)]));
  });
}

function commitOf(dir: string): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}
