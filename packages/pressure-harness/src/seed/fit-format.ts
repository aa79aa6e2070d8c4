/**
 * A fitted shape (fit.ts) said two ways: lines for a person, and a TypeScript module a suite's
 * domain imports (`perParent: shape.articles.perParent`), meant to be read and edited.
 */
import type { Tier } from './distributions.js';
import { FIT_PROFILES, type FittedShape, type FittedTable } from './fit.js';

const pct = (x: number) => `${+(x * 100).toFixed(x < 0.01 ? 2 : 1)}%`;
const int = (n: number) => n.toLocaleString('en-US');
const ks = (f: { ks: { parents: number; children: number } }, children: string) => `fit error ${f.ks.parents.toFixed(3)} over parents, ${f.ks.children.toFixed(3)} over ${children}`;
const tierText = (tiers: readonly Tier[]) => tiers.map((t) => `${t.label} ${pct(t.share)} ${int(t.min)}–${int(t.max)}`).join(', ');
const bare = (table: string) => table.split('.')[1] ?? table;

function countText(t: FittedTable, byName: Map<string, FittedTable>): string {
  if (!t.perParent || !t.fit) return '';
  const parent = [...byName.values()].find((p) => p.entity === t.parent)!;
  const how =
    'byTier' in t.perParent
      ? `by ${bare(parent.table)}'s tier: ${tierText(parent.tiers ?? [])}`
      : `log-normal: median ${t.perParent.logNormal.p50}, 95th percentile ${t.perParent.logNormal.p95}, at most ${int(t.perParent.logNormal.max)}${t.perParent.zero ? `, ${pct(t.perParent.zero)} with none` : ''}`;
  const sample = t.fit.sampled < 1 ? `, from ${pct(t.fit.sampled)} of ${bare(parent.table)} sampled` : '';
  return `; per ${bare(parent.table)} (${t.via}), ${how} (${ks(t.fit, bare(t.table))}; ${int(t.fit.parents)} parents${sample})`;
}

/** What was read and what was fitted, a line a table. */
export function formatFit(f: FittedShape): string {
  const byName = new Map(f.tables.map((t) => [t.table, t]));
  const lines = [`dataset fit: ${f.from}, ${f.tables.length} tables, aggregates only (no row left the server)`];
  for (const t of f.tables) {
    const refs = t.refs.map((r) => `; picks ${bare(r.table)} by ${r.column}`).join('');
    lines.push(`  ${t.entity} (${t.table}): ${int(t.rows.production)} rows${t.parent ? countText(t, byName) : ', a root'}${refs}`);
  }
  lines.push(
    `  rows by profile: ${Object.keys(FIT_PROFILES)
      .map((p) => `${p} ${int(f.tables.reduce((a, t) => a + t.rows[p as keyof typeof FIT_PROFILES], 0))}`)
      .join(', ')} (production ${int(f.tables.reduce((a, t) => a + t.rows.production, 0))})`,
  );
  for (const s of f.skipped) lines.push(`  skipped ${s}`);
  return lines.join('\n');
}

/** A string as a single-quoted literal. */
const str = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
const key = (k: string) => (/^[A-Za-z_$][\w$]*$/.test(k) ? k : str(k));
const inline = (v: unknown): string => {
  if (Array.isArray(v)) return `[${v.map(inline).join(', ')}]`;
  if (v && typeof v === 'object') {
    const e = Object.entries(v);
    return e.length ? `{ ${e.map(([k, x]) => `${key(k)}: ${inline(x)}`).join(', ')} }` : '{}';
  }
  return typeof v === 'string' ? str(v) : JSON.stringify(v);
};
/** A value as TypeScript a person would write: on one line where it fits in 100 columns, else one entry a line. */
function literal(v: unknown, indent: string): string {
  const one = inline(v);
  if (indent.length + one.length <= 100 || !v || typeof v !== 'object') return one;
  const inner = `${indent}  `;
  if (Array.isArray(v)) return `[\n${v.map((x) => `${inner}${literal(x, inner)},`).join('\n')}\n${indent}]`;
  return `{\n${Object.entries(v)
    .map(([k, x]) => `${inner}${key(k)}: ${literal(x, inner)},`)
    .join('\n')}\n${indent}}`;
}

/** The module `--out` writes: one entry per table, keyed by entity. */
export function formatFitModule(f: FittedShape): string {
  const entries = f.tables.map((t) => {
    const body = [
      `    table: '${t.table}',`,
      `    /** Production's rows, and each profile's: ${Object.entries(FIT_PROFILES)
        .map(([p, n]) => `${p} ${int(n)}`)
        .join(', ')} rows of the largest root table, the shape kept. */`,
      `    rows: ${literal(t.rows, '    ')},`,
    ];
    if (t.tiers) body.push(`    tiers: ${literal(t.tiers, '    ')} satisfies Tier[],`);
    if (t.parent) body.push(`    parent: '${t.parent}',`, `    via: '${t.via}',`);
    if (t.perParent && t.fit)
      body.push(
        `    /** ${ks(t.fit, 'rows')} (Kolmogorov–Smirnov: 0 is the same distribution); ${int(t.fit.parents)} parents read. */`,
        `    perParent: ${literal(t.perParent, '    ')} satisfies ChildCount,`,
      );
    if (t.refs.length) body.push(`    /** Other foreign keys: rows picked from another table, per picked row. */`, `    refs: ${literal(t.refs, '    ')},`);
    body.push(`    columns: ${literal(t.columns, '    ')},`);
    return `  ${t.entity}: {\n${body.join('\n')}\n  },`;
  });
  return `/**
 * The shape of ${f.from}, fitted by \`pressure dataset fit\` on ${f.at.slice(0, 10)}: aggregates only
 * (rows per table, children per parent, null shares, distinct counts, text lengths, time spans),
 * no row. Use it in the suite's domain: a root's \`count: shape.<root>.rows.medium\` and
 * \`tiers: shape.<root>.tiers\`, a child's \`perParent: shape.<child>.perParent\`. Edit freely; run
 * the command again to fit anew.
 */
import type { ChildCount, Tier } from 'pressure-harness/seed';

export const shape = {
${entries.join('\n')}
};
`;
}
