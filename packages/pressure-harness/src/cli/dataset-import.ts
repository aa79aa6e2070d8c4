/**
 * pressure dataset import: the seed's approach "export production data, anonymize it, import it",
 * tagged like any run. A consistent subset read from production in one read-only transaction
 * (pg/subset.ts), every column that can hold personal data anonymized (seed/anonymize.ts), loaded
 * through the SQL adapter (seed/import.ts → seedSql) as a run with an expiry: new keys, every
 * reference rewired, all or nothing. Then checked: no original value of an anonymized column, and
 * no original email, appears in the database loaded into.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { RUN_ID_PATTERN } from '../config/settings.js';
import { parseRoot, readSubset, type Subset, type SubsetRoot } from '../pg/subset.js';
import { ident, redactUrl, SQL_MARK, tableIdent, withClient } from '../pg/url.js';
import { MASKS, type Mask } from '../seed/anonymize.js';
import { formatImport, importPlan, type ImportPlan } from '../seed/import.js';
import { seedSql } from '../seed/sql.js';
import { intFlag } from './args.js';

export type ImportOptions = { from: string; roots: SubsetRoot[]; maxRows: number; ttlHours: number; masks: Record<string, Mask>; runId: string; secret: string };

/** The import's flags checked, every problem added; the options when none. */
export function importFlags(
  problems: string[],
  f: { from?: string; subset?: string[]; 'max-rows'?: string; mask?: string[]; 'run-id'?: string; 'ttl-hours'?: string; 'secret-env'?: string },
): ImportOptions {
  const roots: SubsetRoot[] = [];
  if (!f.subset?.length) problems.push('import needs --subset: where the subset starts, such as users=5% or users:<SQL condition>');
  for (const s of f.subset ?? []) {
    const r = parseRoot(s);
    if (typeof r === 'string') problems.push(`--subset ${r}`);
    else roots.push(r);
  }
  const masks: Record<string, Mask> = {};
  for (const m of f.mask ?? []) {
    const x = /^([A-Za-z_][\w.]*)=(\w+)$/.exec(m);
    if (!x || !(MASKS as readonly string[]).includes(x[2]!)) problems.push(`--mask must be table.column=kind or column=kind, kind one of ${MASKS.join(', ')}, got "${m}"`);
    else masks[x[1]!] = x[2] as Mask;
  }
  const runId = f['run-id'] ?? `import-${Date.now().toString(36)}`;
  if (!RUN_ID_PATTERN.test(runId)) problems.push(`--run-id must be 4-64 lowercase letters, digits and dashes, starting with a letter or digit, got "${runId}"`);
  let secret = randomBytes(32).toString('hex');
  if (f['secret-env'] !== undefined) {
    const v = process.env[f['secret-env']];
    if (!v || v.length < 16) problems.push(`--secret-env ${f['secret-env']}: the variable must hold a key of 16 characters or more; it is ${v ? `${v.length} long` : 'not set'}`);
    else secret = v;
  }
  return {
    from: f.from ?? '',
    roots,
    maxRows: intFlag(problems, 'max-rows', f['max-rows'], 1, 5_000_000, 50_000),
    ttlHours: intFlag(problems, 'ttl-hours', f['ttl-hours'], 1, 8760, 24),
    masks,
    runId,
    secret,
  };
}

const message = (e: unknown) => (e as Error).message.split('\n').slice(0, 6).join('\n  ');

export async function importSubset(o: ImportOptions & { to: string | undefined; json?: string }): Promise<number> {
  if (!o.to) {
    console.error("dataset import: no database to load into: pass --to <DATABASE_URL>, or run it where the suite's config gives DATABASE_URL");
    return 2;
  }
  let subset: Subset;
  try {
    subset = await readSubset(o.from, { roots: o.roots, maxRows: o.maxRows });
  } catch (e) {
    console.error(`dataset import: ${redactUrl(o.from)} cannot be read, nothing loaded: ${message(e)}`);
    return 1;
  }
  const plan = importPlan(subset, { secret: o.secret, masks: o.masks });
  const expires = new Date(Date.now() + o.ttlHours * 3_600_000).toISOString();
  try {
    // One chunk: a reference may point at any row written before it (a comment at its author).
    await seedSql({ databaseUrl: o.to, domain: plan.domain, mapping: plan.mapping, seed: 'import', runId: o.runId, ttlSeconds: o.ttlHours * 3600, keep: {}, chunkRows: Number.MAX_SAFE_INTEGER });
  } catch (e) {
    console.error(`dataset import: loading into ${redactUrl(o.to)} failed, nothing kept: ${message(e)}`);
    return 1;
  }
  const absent = await originalsFound(o.to, plan);
  console.log(formatImport(plan.report, { from: redactUrl(o.from), runId: o.runId, expires, absent }));
  console.log(`dataset import: the rows are run ${o.runId}'s: the suite's cleanup removes them by that run ID, and any run's sweep once they expire`);
  if (o.json) {
    mkdirSync(path.dirname(path.resolve(o.json)), { recursive: true });
    writeFileSync(`${o.json}.tmp`, `${JSON.stringify({ from: redactUrl(o.from), to: redactUrl(o.to), runId: o.runId, expires, report: plan.report, absent }, null, 2)}\n`);
    renameSync(`${o.json}.tmp`, o.json);
  }
  return absent.found.length ? 1 : 0;
}

/**
 * Every original value of an anonymized column looked for in its column of the database loaded
 * into (all of it, not only the run's rows), and every original email inside every anonymized
 * column: none may be there.
 */
async function originalsFound(url: string, plan: ImportPlan): Promise<{ checked: number; found: string[] }> {
  const found: string[] = [];
  let checked = 0;
  const emails = [...new Set(plan.originals.filter((x) => x.mask === 'email').flatMap((x) => x.values.map((v) => v.toLowerCase())))];
  await withClient(url, async (c) => {
    for (const g of plan.originals) {
      checked += g.values.length;
      const col = tableIdent(g.table);
      for (let i = 0; i < g.values.length; i += 1000) {
        const { rows } = await c.query<{ v: string }>(`SELECT ${SQL_MARK} ${ident(g.column)}::text AS v FROM ${col} WHERE ${ident(g.column)}::text = ANY($1::text[]) LIMIT 3`, [
          g.values.slice(i, i + 1000),
        ]);
        found.push(...rows.map(() => `${g.table}.${g.column}`));
      }
      // Emails inside a text's or a JSON's values: each email-looking word of it, against the
      // originals (an email, a token or a name column holds one value, checked above).
      if (emails.length && (g.mask === 'text' || g.mask === 'json')) {
        const { rows } = await c.query<{ e: string }>(
          `SELECT ${SQL_MARK} DISTINCT lower(m[1]) AS e FROM ${col}, regexp_matches(${ident(g.column)}::text, '([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,})', 'g') AS m WHERE lower(m[1]) = ANY($1::text[]) LIMIT 3`,
          [emails],
        );
        found.push(...rows.map(() => `${g.table}.${g.column} (an email inside)`));
      }
    }
  });
  return { checked, found };
}
