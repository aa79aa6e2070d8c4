/**
 * `pressure init`'s files: the model and routes printed as the TypeScript a person would write
 * for the suite, each file with a comment that says where it came from and what to edit. Pure:
 * a map of relative path → content (cli/init.ts writes it, all or nothing).
 */
import { redactUrl } from '../pg/url.js';
import type { FittedShape } from '../seed/fit.js';
import { formatFitModule } from '../seed/fit-format.js';
import { type InitEntity, type InitModel, q } from './model.js';
import type { InitRoute } from './routes.js';

export type InitPlan = {
  name: string;
  /** The suite's folder as the user named it (relative to where they run commands): what its README's commands say. */
  dir: string;
  baseUrl: string;
  databaseUrl: string;
  authScheme: string;
  healthPath: string;
  model: InitModel;
  routes: InitRoute[];
  /** Where the routes were learnt: an OpenAPI document's address, or 'probing'. */
  routesFrom: string;
  at: string;
  /** Production's shape, fitted (init --shape-from): written to shape.ts, whose tiers and tails the domain takes. */
  shape?: FittedShape;
};

const FIELD_NAMES = ['faker', 'runId', 'path', 'time', 'values', 'parent', 'pick', 'earlier', 'index'] as const;
const json = (v: unknown) => JSON.stringify(v, null, 2);
/** A property name as TypeScript wants it: bare when it can be. */
const prop = (k: string) => (/^[A-Za-z_$][\w$]*$/.test(k) ? k : q(k));

/** A scenario id from an entity and what it measures: dotted lowercase (budgets/define.ts). */
export const scenarioId = (entity: string, what: string) => `${entity}.${what}`;

export function initFiles(p: InitPlan): Record<string, string> {
  const files: Record<string, string> = {};
  const header = (what: string) => `/**\n * ${what}\n *\n * Written by \`pressure init\` on ${p.at.slice(0, 10)}; yours to edit.\n */\n`;
  files['domain.ts'] = domainFile(p, header);
  if (p.shape) files['shape.ts'] = formatFitModule(p.shape);
  files['fixtures.ts'] = fixturesFile(p, header);
  files['playwright.config.ts'] = configFile(p, header);
  files['global-setup.ts'] =
    `${header("Setup and teardown of every run: the capability probe, then cleanup of this run's rows by its ID (and of expired runs) through the SQL ledger.")}import type { FullConfig } from '@playwright/test';
import { runSetup, type SuiteLifecycle } from 'pressure-harness/lifecycle';
import { rmSync } from 'node:fs';
import { datasetFile, resources } from './fixtures.js';

export const lifecycle: SuiteLifecycle = {
  resources: (o) => (o.databaseUrl ? [resources(o.databaseUrl, (o as unknown as { roots: number }).roots)] : []),
  afterCleanup: async ({ runId }) => rmSync(datasetFile(runId), { force: true }),
};
export default (config: FullConfig) => runSetup(config, lifecycle);
`;
  files['global-teardown.ts'] = `import type { FullConfig } from '@playwright/test';
import { runTeardown } from 'pressure-harness/lifecycle';
import { lifecycle } from './global-setup.js';

export default (config: FullConfig) => runTeardown(config, lifecycle);
`;
  files['tests/seed.setup.ts'] = seedFile(p, header);
  for (const r of p.routes) {
    const spec = correctnessSpec(p, r, header);
    if (spec) files[`tests/correctness/${specName(r)}.spec.ts`] = spec;
  }
  for (const [name, content] of perfSpecs(p, header)) files[`tests/perf/${name}.spec.ts`] = content;
  files[`budgets/${p.name}.budgets.ts`] = budgetsFile(p);
  files['README.md'] = readme(p);
  files['.env'] =
    `# Where this suite finds the backend and its database (read by playwright.config.ts). Not committed: it may hold a password.\nBASE_URL=${p.baseUrl}\nDATABASE_URL=${p.databaseUrl}\n`;
  files['.gitignore'] = '.env\n.run/\ntest-results/\nplaywright-report/\nperf-results/\n';
  return files;
}

const specName = (r: InitRoute) => `${r.entity}${r.parent ? `-by-${r.parent.entity}` : ''}`;

function domainFile(p: InitPlan, header: (s: string) => string): string {
  const e = p.model.entities;
  const cred = e.find((x) => x.credential);
  const childrenOfRoot = new Set(e.filter((x) => x.parent && p.model.roots.includes(e.find((y) => y.entity === x.parent)!.table)).map((x) => x.entity));
  const entity = (x: InitEntity) => {
    const lines: string[] = [];
    // The fitted entry of the table, when production's shape was read (its entity name is the fit's).
    const fitted = p.shape?.tables.find((t) => t.table === x.table);
    lines.push(`    // ${x.table}${x.left.length ? `; left to the database: ${x.left.map((l) => `${l.column} (${l.why})`).join(', ')}` : ''}`);
    lines.push(`    ${x.entity}: {`);
    if (!x.parent) {
      lines.push('      count: roots,');
      if (fitted?.tiers) lines.push("      // Production's tiers (shape.ts), what their children number by (inherited below).", `      tiers: shape.${fitted.entity}.tiers,`);
      else lines.push('      // Many small, some mid-sized, a few whales: what their children number by (tiers are inherited below).', '      tiers: TIERS,');
    } else {
      lines.push(`      parent: '${x.parent}',`);
      if (x.parentColumn) lines.push(`      parentColumn: '${x.parentColumn}',`);
      if (x.credential) lines.push('      // One or two each: every root has a credential its rows are called with.', '      perParent: { byTier: { default: [1, 2] } },');
      else if (fitted?.perParent)
        lines.push(`      // Production's (shape.ts)${fitted.fit ? `, Kolmogorov–Smirnov error ${fitted.fit.ks.parents} over parents` : ''}.`, `      perParent: shape.${fitted.entity}.perParent,`);
      else
        lines.push(
          childrenOfRoot.has(x.entity)
            ? '      perParent: { byTier: PER_TIER },'
            : '      // A long tail: most have a few, some many.\n      perParent: { logNormal: { p50: 2, p95: 12, max: 60 }, zero: 0.2 },',
        );
    }
    lines.push('      fields: {');
    for (const f of x.fields) {
      // A name used as itself, not as a property (`parent!.values` uses parent, not values).
      const used = FIELD_NAMES.filter((n) => new RegExp(`(?<![.\\w])${n}\\b`).test(f.code.replace(/'[^']*'/g, '')));
      lines.push(`        // ${f.why}`);
      lines.push(`        ${prop(f.column)}: (${used.length ? `{ ${used.join(', ')} }` : ''}) => ${f.code},`);
    }
    lines.push('      },');
    lines.push('    },');
    return lines.join('\n');
  };
  const body = e.map(entity).join('\n');
  const mapping = e.map((x) => `  ${x.entity}: { table: ${q(x.table)}${x.parentColumn ? `, parentColumn: ${q(x.parentColumn)}` : ''} },`).join('\n');
  return `${header(
    `The data this suite seeds, read from ${redactUrl(p.databaseUrl)}'s catalog: ${e.map((x) => x.table).join(', ')}.${p.model.skipped.length ? `\n * Left out: ${p.model.skipped.map((s) => `${s.table} (${s.why})`).join('; ')}.` : ''}${p.shape ? "\n *\n * Tiers and tails are production's, fitted from its aggregates into shape.ts; the rest are guesses." : "\n *\n * Counts are guesses: \`pressure init --shape-from <production URL>\` (or \`pressure dataset fit\`) measures them\n * from production's aggregates into a module whose tiers and tails replace TIERS, PER_TIER and logNormal below."}`,
  )}import { createHash } from 'node:crypto';
import { defineDomain, ${body.includes('ownRoot(') ? 'type Ref, ' : ''}type SqlMapping } from 'pressure-harness/seed';${p.shape ? "\nimport { shape } from './shape.js';" : ''}

/** Unique values carry this: unique within the run, and across runs that share the database. */
const tag = (runId: string, path: string) => createHash('sha256').update(\`\${runId}/\${path}\`).digest('hex').slice(0, 12);
${
  body.includes('ownRoot(')
    ? `
/** The root a row belongs to (its path's first two steps): its tenant, for a denormalised owner column. */
const ownRoot = (path: string): Ref => ({ $ref: path.split('/').slice(0, 2).join('/') });
`
    : ''
}${
    cred
      ? `
/** A seeded row's credential, from the run and the row's place: the same in the seed and in the tests that send it. */
export const credentialOf = (runId: string, path: string) => \`${cred.credential!.template.replace('{token}', '${tag(runId, `${path}/credential`)}${tag(runId, `${path}/credential/2`)}')}\`;
${cred.credential!.hash ? "const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');\n" : ''}`
      : ''
  }
${[body.includes('TIERS,') && TIERS_DECL, body.includes('PER_TIER') && PER_TIER_DECL]
  .filter(Boolean)
  .map((d) => `${d}\n`)
  .join('')}export const domainOf = (roots: number) =>
  defineDomain({
${body}
  });

/** Which table each entity is. */
export const sqlMapping: SqlMapping = {
${mapping}
};

/** Columns worth keeping per seeded row: what routes name a row by. */
export const KEPT_COLUMNS: Record<string, string[]> = ${json(Object.fromEntries(e.map((x) => [x.entity, x.naturalKeys])))};
${
  cred
    ? `
/** The credential a seeded ${cred.entity} row holds${cred.credential!.hash ? ' (its sha256, in ' : ' (in '}${cred.table}.${cred.credential!.column}), made from the row's place. */
export const CREDENTIAL = { entity: '${cred.entity}', of: credentialOf } as const;
`
    : `
/** No seeded column is a credential: AUTH_TOKEN (in .env) is sent where a route asks for one. */
export const CREDENTIAL = undefined;
`
}`;
}

const TIERS_DECL = `const TIERS = [
  { label: 'small', share: 0.9, min: 0, max: 5 },
  { label: 'mid', share: 0.08, min: 6, max: 50 },
  { label: 'whale', share: 0.02, min: 500, max: 1000 },
];
`;
const PER_TIER_DECL = `// \`default\`: for tiers of other names (a fitted root's).
const PER_TIER = { small: [0, 5], mid: [6, 50], whale: [500, 1000], default: [0, 5] } as const;
`;

function fixturesFile(p: InitPlan, header: (s: string) => string): string {
  return `${header("The suite's `test`: the harness's fixtures, the run's dataset (seeded once by the seed project) and the credential to call the backend with.")}import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { authHeaders, harnessTest } from 'pressure-harness/fixtures';
import { sqlResources } from 'pressure-harness/seed';
import { CREDENTIAL, domainOf, sqlMapping } from './domain.js';

/** A seeded row: its entity, its place, its tier (inherited from its root), its key and its kept columns. */
export type Row = { entity: string; path: string; parentPath?: string; tier: string; key: string; values: Record<string, string> };
export type Dataset = { rows: Row[]; counts: Record<string, number> };

const here = path.dirname(fileURLToPath(import.meta.url));
export const datasetFile = (runId: string) => path.join(here, '.run', \`dataset-\${runId}.json\`);

/** Where this run's rows are recorded, and how they are removed. */
export const resources = (databaseUrl: string, roots: number) => sqlResources({ databaseUrl, domain: domainOf(roots), mapping: sqlMapping });

type Fixtures = {
  /** The credential of the root a row belongs to (the first root's without a row), else AUTH_TOKEN, else none. */
  credentialFor: (row?: Row) => string | null;
  /** The first root's credential. */
  credential: string | null;
  /** The headers that send a row's credential (none without one). */
  authFor: (row?: Row) => Record<string, string>;
};

export const test = harnessTest.extend<Fixtures, { roots: number; authToken: string | undefined; dataset: Dataset }>({
  roots: [60, { option: true, scope: 'worker' }],
  authToken: [undefined, { option: true, scope: 'worker' }],
  dataset: [async ({ run }, use) => use(JSON.parse(readFileSync(datasetFile(run.runId), 'utf8')) as Dataset), { scope: 'worker', title: 'dataset (seeded by the seed project)' }],
  credentialFor: async ({ dataset, run, authToken }, use) => {
    await use((row) => {
      if (!CREDENTIAL) return authToken ?? null;
      // A tenant's rows are read with that tenant's credential: the one under the same root.
      const root = (row ?? dataset.rows[0]!).path.split('/').slice(0, 2).join('/');
      const holder = dataset.rows.find((r) => r.entity === CREDENTIAL.entity && (r.path === root || r.path.startsWith(\`\${root}/\`)));
      return holder ? CREDENTIAL.of(run.runId, holder.path) : (authToken ?? null);
    });
  },
  credential: async ({ credentialFor }, use) => use(credentialFor()),
  authFor: async ({ credentialFor, authScheme }, use) =>
    use((row) => {
      const c = credentialFor(row);
      return c ? authHeaders(authScheme, c) : {};
    }),
});
export { expect } from 'pressure-harness/fixtures';

/** Rows of an entity, by tier. */
export const rowsOf = (dataset: Dataset, entity: string, tier?: string) => dataset.rows.filter((r) => r.entity === entity && (!tier || r.tier === tier));
/** A whale and a small row of an entity (a small one that has children of \`child\`, when named): what a probe compares. */
export function whaleAndSmall(dataset: Dataset, entity: string, child?: string): { whale: Row; small: Row } | undefined {
  const hasChildren = (r: Row) => !child || dataset.rows.some((c) => c.entity === child && c.parentPath === r.path);
  const whale = rowsOf(dataset, entity, 'whale').find(hasChildren);
  const small = rowsOf(dataset, entity, 'small').find(hasChildren) ?? rowsOf(dataset, entity, 'small')[0];
  return whale && small ? { whale, small } : undefined;
}
/** The first array in a JSON body (\`{ "articles": [...] }\`, \`{ "data": [...] }\`, or the body itself). */
export function listOf(body: unknown): unknown[] | undefined {
  if (Array.isArray(body)) return body;
  if (typeof body === 'object' && body !== null) for (const v of Object.values(body)) if (Array.isArray(v)) return v;
  return undefined;
}
`;
}

function configFile(p: InitPlan, header: (s: string) => string): string {
  return `${header(
    `${p.name}'s suite. \`npx playwright test --project=correctness\` on pull requests, \`--project=perf\` nightly.\n * BASE_URL and DATABASE_URL come from .env (or the environment); SUITE_ROOTS sets how many root rows are seeded.`,
  )}import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from '@playwright/test';
import { config as loadDotenv } from 'dotenv';
import { int, optionalText } from 'pressure-harness/contract';
import { harnessUse, loadHarnessSettings, perfReporter } from 'pressure-harness/config';
import type { HarnessOptions } from 'pressure-harness/fixtures';
import { domainOf } from './domain.js';

const here = path.dirname(fileURLToPath(import.meta.url));
loadDotenv({ path: path.join(here, '.env'), quiet: true });
const s = loadHarnessSettings(process.env, {
  where: '${p.name} suite settings',
  suite: { SUITE_ROOTS: int(1, 1_000_000, 60), AUTH_TOKEN: optionalText('a credential the backend accepts, sent as AUTH_SCHEME <token>') },
  defaultBaseUrl: () => ${q(p.baseUrl)},
  defaults: { AUTH_SCHEME: ${q(p.authScheme)}, HEALTH_PATH: ${q(p.healthPath)} },
  root: here,
  baselinesDir: 'budgets/baselines',
  budgetsDir: 'budgets',
});
if (!s.databaseUrl) throw new Error('${p.name} suite settings: DATABASE_URL is not set; the suite seeds through it (set it in ' + path.join(here, '.env') + ')');

export default defineConfig<{}, HarnessOptions & { roots: number; authToken: string | undefined }>({
  globalSetup: './global-setup.ts',
  globalTeardown: './global-teardown.ts',
  fullyParallel: true,
  retries: 0,
  workers: s.workers,
  reporter: [['list'], ['html', { open: 'never', outputFolder: path.join(here, 'playwright-report') }], perfReporter(s.perf)],
  outputDir: path.join(here, 'test-results'),
  use: {
    ...harnessUse(s, { databaseUrl: s.databaseUrl, datasetLabel: \`\${s.suite.SUITE_ROOTS} roots\`, domain: domainOf(s.suite.SUITE_ROOTS) }),
    roots: s.suite.SUITE_ROOTS,
    authToken: s.suite.AUTH_TOKEN,
  },
  projects: [
    { name: 'seed', testMatch: /seed\\.setup\\.ts/ },
    { name: 'correctness', testDir: './tests/correctness', dependencies: ['seed'] },
    { name: 'perf', testDir: './tests/perf', dependencies: ['seed'], fullyParallel: false, workers: 1, timeout: 10 * 60_000 },
  ],
});
`;
}

function seedFile(p: InitPlan, header: (s: string) => string): string {
  const keep = Object.fromEntries(p.model.entities.map((e) => [e.entity, e.parent ? 5 : 'all']));
  return `${header("The run's dataset, seeded once before any test through SQL (COPY, parents first), every row recorded under the run's ID for cleanup.")}import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { seedSql } from 'pressure-harness/seed';
import { domainOf, KEPT_COLUMNS, sqlMapping } from '../domain.js';
import { datasetFile, test, type Dataset } from '../fixtures.js';

test('seed the run dataset', async ({ run, databaseUrl, roots }, testInfo) => {
  const r = await seedSql({ domain: domainOf(roots), databaseUrl: databaseUrl!, mapping: sqlMapping, seed: run.seed, runId: run.runId, ttlSeconds: run.ttlSeconds, keep: ${JSON.stringify(keep).replace(/"/g, "'").replace(/,/g, ', ').replace(/:/g, ': ')} });
  const rows: Dataset['rows'] = r.generated.map((g) => ({
    entity: g.entity,
    path: g.path,
    ...(g.parentPath && { parentPath: g.parentPath }),
    tier: g.tier,
    key: r.keys.get(g.path)!,
    values: Object.fromEntries((KEPT_COLUMNS[g.entity] ?? []).map((c) => [c, String(g.values[c])])),
  }));
  mkdirSync(path.dirname(datasetFile(run.runId)), { recursive: true });
  writeFileSync(datasetFile(run.runId), JSON.stringify({ rows, counts: r.rows } satisfies Dataset));
  testInfo.annotations.push({ type: 'dataset', description: \`\${Object.entries(r.rows).map(([k, v]) => \`\${v} \${k}\`).join(', ')} in \${r.seconds} s\` });
});
`;
}

/** The path of a route for a row, as a template literal's body (no backticks): its parameter filled with the row's key or column. */
const pathBody = (r: InitRoute) => (r.parent ? r.path.replace(`{${r.parent.param}}`, `\${encodeURIComponent(valueOf(parent, ${q(r.parent.column)}))}`) : r.path);
/** The same as an expression: a template literal where it has a parameter, else a string. */
const pathFor = (r: InitRoute) => (r.parent ? `\`${pathBody(r)}\`` : q(r.path));
/** valueOf: a row's key when the route names it by its key, else the kept column. */
const valueOfLine = (p: InitPlan, r: InitRoute) => {
  const key = p.model.entities.find((e) => e.entity === r.parent?.entity)?.key ?? 'id';
  return `const valueOf = (row: Row, column: string) => (column === ${q(key)} ? row.key : row.values[column]!);\n`;
};
/** `{ a, b }` of the names a body uses, in the order given. */
const uses = (body: string, names: string[]) => `{ ${names.filter((n) => new RegExp(`\\b${n}\\b`).test(body)).join(', ')} }`;

function correctnessSpec(p: InitPlan, r: InitRoute, header: (s: string) => string): string | undefined {
  const who = !r.auth ? 'null' : r.parent ? 'credentialFor(parent)' : 'credential';
  const parentLine = (tier?: string) => (r.parent ? `    const parent = ${tier ? `rowsOf(dataset, '${r.parent.entity}', '${tier}')[0] ?? ` : ''}rowsOf(dataset, '${r.parent.entity}')[0]!;\n` : '');
  const tests: string[] = [];
  // A route that needs a credential, where no seeded column is one: skipped, saying what to set, until AUTH_TOKEN is.
  const gate = r.auth && !p.model.entities.some((e) => e.credential) ? "    test.skip(!credential, 'needs a credential: set AUTH_TOKEN in .env');\n" : '';
  const t = (title: string, body: string) => tests.push(`  test(${q(title)}, async (${uses(gate + body, ['apiFor', 'dataset', 'credential', 'credentialFor'])}) => {\n${gate}${body}  });\n`);
  if (r.list) {
    t(
      `should list ${r.entity} as JSON with 200`,
      `${parentLine()}    const res = await (await apiFor(${who})).get(${pathFor(r)});
    expect(res.status(), await res.text()).toBe(200);
    expect(listOf(await res.json())).toBeDefined();
`,
    );
    if (r.paged)
      t(
        `should page with ${r.paged.limit} and ${r.paged.offset} without repeats`,
        `${parentLine('whale')}    const api = await apiFor(${who});
    const page = async (offset: number) => {
      const res = await api.get(\`${pathBody(r)}?${r.paged.limit}=5&${r.paged.offset}=\${offset}\`);
      expect(res.status(), await res.text()).toBe(200);
      return listOf(await res.json())!.map((x) => JSON.stringify(x));
    };
    const [first, second] = [await page(0), await page(5)];
    expect(first.length).toBeLessThanOrEqual(5);
    expect(first.filter((x) => second.includes(x))).toEqual([]);
`,
      );
  }
  if (r.create) {
    t(
      'should refuse an empty body with a 4xx, not a 5xx',
      `${parentLine()}    const res = await (await apiFor(${who})).post(${pathFor(r)}, { data: {} });
    expect(res.status(), await res.text()).toBeGreaterThanOrEqual(400);
    expect(res.status()).toBeLessThan(500);
`,
    );
    if (r.create.body !== undefined)
      t(
        'should create one from a valid body',
        `${parentLine()}    const res = await (await apiFor(${who})).post(${pathFor(r)}, { data: BODY });
    expect(res.status(), await res.text()).toBeGreaterThanOrEqual(200);
    expect(res.status()).toBeLessThan(300);
`,
      );
  }
  if (!tests.length) return undefined;
  const all = tests.join('\n');
  const imports = ['expect', 'listOf', 'rowsOf', 'test'].filter((n) => new RegExp(`\\b${n}\\(`).test(all) || n === 'test');
  return `${header(`${r.entity} through ${r.path} (${r.from === 'openapi' ? 'from the OpenAPI document' : 'seen answering'}): listed${r.paged ? ', paged' : ''}${r.create ? ', refusing a bad body' : ''}${r.create?.body !== undefined ? ', written' : ''}.`)}import { ${imports.join(', ')}${r.parent ? ', type Row' : ''} } from '../../fixtures.js';
${r.parent ? `\n${valueOfLine(p, r)}` : ''}${r.create?.body !== undefined ? `\n/** A valid body, drawn from the route's schema. */\nconst BODY = ${json(r.create.body)};\n` : ''}
test.describe(${q(r.path)}, () => {
${all}});
`;
}

function perfSpecs(p: InitPlan, header: (s: string) => string): [string, string][] {
  const out: [string, string][] = [];
  // Only what the file uses, as a person would import it.
  const imports = (body: string) => {
    const fixtures = ['rowsOf', 'test', 'whaleAndSmall'].filter((n) => n === 'test' || new RegExp(`\\b${n}\\(`).test(body));
    const load = ['runBurst', 'runVariants', 'timelineOf'].filter((n) => new RegExp(`\\b${n}\\(`).test(body));
    return `${/authHeaders\(/.test(body) ? "import { authHeaders } from 'pressure-harness/fixtures';\n" : ''}import { ${load.join(', ')} } from 'pressure-harness/load';
import { ${fixtures.join(', ')}${/\bRow\b/.test(body) ? ', type Row' : ''} } from '../../fixtures.js';
`;
  };
  const file = (doc: string, body: string) => `${header(doc)}${imports(body)}\n${body}`;
  const gateOf = (r: InitRoute) => (r.auth && !p.model.entities.some((e) => e.credential) ? "  test.skip(!credential, 'needs a credential: set AUTH_TOKEN in .env');\n" : '');
  const args = (body: string) => uses(body, ['perf', 'dataset', 'credential', 'authFor']);
  const directChild = (entity: string) => p.model.roots.includes(p.model.entities.find((e) => e.entity === p.model.entities.find((x) => x.entity === entity)?.parent)?.table ?? '');
  for (const r of p.routes.filter((x) => x.list)) {
    const valueOf = r.parent ? valueOfLine(p, r) : '';
    const headers = r.auth ? `headers: authFor(${r.parent ? 'parent' : ''})` : 'headers: {}';
    if (r.parent) {
      const id = scenarioId(r.entity, `whale_vs_small_${r.parent.entity}`);
      const inner = `${gateOf(r)}  const pair = whaleAndSmall(dataset, '${r.parent.entity}', '${r.entity}') ?? whaleAndSmall(dataset, '${r.parent.entity}');
  test.skip(!pair, 'the dataset has no whale and small ${r.parent.entity} (raise SUITE_ROOTS)');
  const to = (parent: Row) => () => ({ path: ${pathFor(r)}, ${headers} });
  const variants = { whale: to(pair!.whale), small: to(pair!.small) };
  await perf.scenario(ID, async () => {
    const run = await test.step(ID, () => runVariants(variants, { baseUrl: perf.baseUrl, concurrency: 4, perVariant: 200 }));
    return { routes: run.routes, wallMs: run.wallMs, timeline: timelineOf(run, 0, 4), variants };
  });
`;
      out.push([
        id.replace(/\./g, '-'),
        file(
          `${id}: ${r.path} for a whale's ${r.parent.entity} and a small one's, interleaved: a whale's page must cost what a small one's does.`,
          `${valueOf}const ID = '${id}';\n\ntest(ID, async (${args(inner)}) => {\n${inner}});\n`,
        ),
      ]);
    }
    if (r.paged) {
      const id = scenarioId(r.entity, r.parent ? `deep_pagination_${r.parent.entity}` : 'deep_pagination');
      // A whale's own rows under a root's direct child number 500 to 1,000; deeper, a long tail of at most 60.
      const deep = r.parent
        ? `  const parent = rowsOf(dataset, '${r.parent.entity}', 'whale')[0] ?? rowsOf(dataset, '${r.parent.entity}')[0]!;
  // Inside a whale's own rows (${directChild(r.entity) ? '500 to 1,000' : 'a long tail of at most 60'}: domain.ts).
  const deep = ${directChild(r.entity) ? 300 : 40};`
        : `  // Near the end of the rows this run seeded.
  const deep = Math.max(LIMIT, Math.floor(((dataset.counts['${r.entity}'] ?? 0) * 0.9) / LIMIT) * LIMIT);`;
      const inner = `${gateOf(r)}${deep}
  const at = (offset: number) => () => ({ path: \`${pathBody(r)}?${r.paged.limit}=\${LIMIT}&${r.paged.offset}=\${offset}\`, ${headers} });
  const variants = { page_1: at(0), deep: at(deep) };
  await perf.scenario(ID, async () => {
    const run = await test.step(ID, () => runVariants(variants, { baseUrl: perf.baseUrl, concurrency: 4, perVariant: 200 }));
    return { routes: run.routes, wallMs: run.wallMs, timeline: timelineOf(run, 0, 4), details: { deepOffset: deep }, variants };
  });
`;
      out.push([
        id.replace(/\./g, '-'),
        file(
          `${id}: the first page of ${r.path} against a deep one: OFFSET reads every row it skips.`,
          `${valueOf}const ID = '${id}';\nconst LIMIT = 20;\n\ntest(ID, async (${args(inner)}) => {\n${inner}});\n`,
        ),
      ]);
    }
    if (!r.parent && !r.paged) {
      const id = scenarioId(r.entity, 'list');
      const inner = `${gateOf(r)}  const variants = { list: () => ({ path: ${q(r.path)}, ${headers} }) };
  await perf.scenario(ID, async () => {
    const run = await test.step(ID, () => runVariants(variants, { baseUrl: perf.baseUrl, concurrency: 4, perVariant: 300 }));
    return { routes: run.routes, wallMs: run.wallMs, timeline: timelineOf(run, 0, 4) };
  });
`;
      out.push([id.replace(/\./g, '-'), file(`${id}: ${r.path} under steady concurrent load.`, `const ID = '${id}';\n\ntest(ID, async (${args(inner)}) => {\n${inner}});\n`)]);
    }
  }
  for (const r of p.routes.filter((x) => x.create?.body !== undefined)) {
    const id = scenarioId(r.entity, 'burst_writes');
    const inner = `${gateOf(r)}${r.parent ? `  const parent = rowsOf(dataset, '${r.parent.entity}', 'small')[0] ?? rowsOf(dataset, '${r.parent.entity}')[0]!;\n` : ''}  await perf.scenario(ID, async () => {
    const run = await test.step(ID, () =>
      runBurst({
        baseUrl: perf.baseUrl,
        rate: RATE,
        seconds: SECONDS,
        next: () => ({
          route: 'POST ${r.path}',
          method: 'POST',
          path: ${pathFor(r)},
          headers: { ${r.auth ? `...authFor(${r.parent ? 'parent' : ''}), ` : ''}'content-type': 'application/json' },
          body: JSON.stringify(BODY),
        }),
      }),
    );
    return { routes: run.routes, wallMs: run.wallMs, timeline: timelineOf(run) };
  });
`;
    out.push([
      id.replace(/\./g, '-'),
      file(
        `${id}: POST ${r.path} at a fixed rate (open model: latency from each intended start), a valid body drawn from its schema.`,
        `${r.parent ? valueOfLine(p, r) : ''}const ID = '${id}';\nconst [RATE, SECONDS] = [40, 5];\nconst BODY = ${json(r.create!.body)};\n\ntest(ID, async (${args(inner)}) => {\n${inner}});\n`,
      ),
    ]);
  }
  return out;
}

function budgetsFile(p: InitPlan): string {
  const b: string[] = [];
  for (const r of p.routes) {
    if (r.list && r.parent)
      b.push(`    // A whale's page may cost at most three times a small one's (or 5 ms more).
    '${scenarioId(r.entity, `whale_vs_small_${r.parent.entity}`)}': { error_rate: ['rate == 0'], latency_ms: ['p(95) < 500'], scaling: ['latency_ms p(95) whale / small <= 3 floor 5'] },`);
    if (r.list && r.paged)
      b.push(`    // A deep page may cost at most four times the first (or 5 ms more): keyset paging keeps it near 1.
    '${scenarioId(r.entity, r.parent ? `deep_pagination_${r.parent.entity}` : 'deep_pagination')}': { error_rate: ['rate == 0'], 'latency_ms@page_1': ['p(95) < 250'], scaling: ['latency_ms p(95) deep / page_1 <= 4 floor 5'] },`);
    if (r.list && !r.parent && !r.paged) b.push(`    '${scenarioId(r.entity, 'list')}': { error_rate: ['rate == 0'], latency_ms: ['p(95) < 500'] },`);
    if (r.create?.body !== undefined) b.push(`    '${scenarioId(r.entity, 'burst_writes')}': { error_rate: ['rate == 0'], latency_ms: ['p(95) < 500'] },`);
  }
  return `import { defineBudgets } from 'pressure-harness/budgets';

/**
 * Budgets per scenario, with defaults generous enough for a busy CI machine: tighten them once a
 * few nightly runs show what this backend does (\`pressure baseline save\` keeps a run to compare with).
 * Written by \`pressure init\` on ${p.at.slice(0, 10)}; yours to edit.
 */
export default defineBudgets(
  {
${b.join('\n')}
  },
  'budgets/${p.name}.budgets.ts',
);
`;
}

function readme(p: InitPlan): string {
  return `# ${p.name}: a pressure suite

Written by \`pressure init\` on ${p.at.slice(0, 10)} from ${redactUrl(p.databaseUrl)}'s catalog and ${p.routesFrom}. Every file is yours to edit.

\`\`\`sh
npx playwright test -c ${p.dir}/playwright.config.ts --project=correctness   # pull requests
npx playwright test -c ${p.dir}/playwright.config.ts --project=perf          # nightly
\`\`\`

- \`domain.ts\`: the data seeded for each run (${p.model.entities.map((e) => `${e.entity} → ${e.table}`).join(', ')}), every row recorded under the run's ID and removed after it.${p.model.skipped.length ? ` Left out: ${p.model.skipped.map((s) => `${s.table} (${s.why})`).join('; ')}.` : ''}
- \`tests/correctness/\`: per route, listed, paged and refusing a bad body.
- \`tests/perf/\`: ${p.routes.length ? 'whale against small, deep pages, write bursts, where the routes allow' : 'none: no route was found; add scenarios by hand'}.
- \`budgets/\`: defaults to tighten.
- \`.env\`: BASE_URL and DATABASE_URL (not committed).

Routes found: ${p.routes.map((r) => `${r.list ? 'GET' : ''}${r.list && r.create ? '/' : ''}${r.create ? 'POST' : ''} ${r.path}${r.auth ? ' (needs a credential)' : ''}`).join('; ') || 'none'}.
`;
}
