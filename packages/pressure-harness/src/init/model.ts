/**
 * `pressure init`'s domain, from PostgreSQL's catalog alone: which tables become entities, each
 * one's parent, and a factory per column, chosen from its type, its name and its constraints.
 * Pure: the catalog in, a model out, which write.ts prints as TypeScript a person would write.
 *
 * Which tables: the roots the user names, or else every table that points to no other (users,
 * accounts: what everything else hangs under); then every table below them, each under the
 * parent dataset fit would choose (pg/shape.ts parentEdges). A column is left to its default when
 * it has one and says nothing about the data's shape (an id, a version); keys are the SQL
 * adapter's (seed/sql.ts); the parent's column is filled by the adapter; another foreign key to a
 * root picks one of its rows; a nullable one to anything else stays null; a required one to a
 * table that is neither parent nor root cannot be generated, and the table is left out, saying so.
 */
import { EXPIRY_COLUMN, RUN_COLUMN } from '../contract/protocol.js';
import type { Column } from '../pg/columns.js';
import { parentEdges, type CatalogTable, type ForeignKey } from '../pg/shape.js';
import { entityName } from '../seed/fit.js';

/** A column's factory: the expression (of the FieldContext's names) and why it was chosen. */
export type Field = { column: string; code: string; why: string };
export type InitEntity = {
  entity: string;
  table: string;
  parent?: string;
  /** The child's column that holds the parent (several to one table: the adapter must be told). */
  parentColumn?: string;
  fields: Field[];
  /** Columns left to the database, with why. */
  left: { column: string; why: string }[];
  /**
   * The column that holds what the backend checks a credential against: the credential itself
   * (conduit's users.token: a root's unique text column named like one), or its sha256 (app/'s
   * api_tokens.token_hash, named with --credential). `template`: the credential's form, `{token}`
   * standing for a value made from the row's place (the domain's credentialOf).
   */
  credential?: Credential;
  /** Unique text columns: what routes may name a row by (a slug, a username), beside its key. */
  naturalKeys: string[];
  key: string | null;
};
export type Credential = { column: string; template: string; hash: 'sha256' | null };
export type InitModel = { entities: InitEntity[]; skipped: { table: string; why: string }[]; roots: string[] };

/**
 * `--credential <table>.<column>=[sha256:]<template>`: the column, whether it holds the
 * credential's sha256, and its form (`pst_{token}`); a message naming what is wrong otherwise.
 */
export function parseCredential(text: string): { table: string; column: string; template: string; hash: 'sha256' | null } | string {
  const m = /^([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)?)\.([A-Za-z_][\w]*)=(sha256:)?([A-Za-z0-9_.:-]*\{token\}[A-Za-z0-9_.:-]*)$/.exec(text);
  if (!m) return `--credential must be <table>.<column>=[sha256:]<form with {token}>, such as api_tokens.token_hash=sha256:pst_{token} or users.token={token}, got ${JSON.stringify(text)}`;
  return { table: m[1]!, column: m[2]!, template: m[4]!, hash: m[3] ? 'sha256' : null };
}

const TIME = /^(timestamp|date)/;
/**
 * A reference to the row's own root named like a tenant (app/'s items.account_id beside
 * items.project_id): a denormalised owner, which must be the tenant the row belongs to, not any.
 * Named otherwise (conduit's comments.author_id), it is another row of the root: picked.
 */
const TENANT = /^(account|tenant|org|organi[sz]ation|workspace|team|company|customer)_?id$/i;
const TEXT = /^(text|character varying|varchar|character|citext)/;

/** The model of the tables under `roots` (names as `table` or `schema.table`; default: tables that point to no other). */
export function initModel(
  catalog: { tables: CatalogTable[]; fks: ForeignKey[] },
  columns: ReadonlyMap<string, Column[]>,
  o: { roots?: string[]; credential?: { table: string; column: string; template: string; hash: 'sha256' | null } } = {},
): InitModel {
  const names = catalog.tables.map((t) => t.name);
  const resolve = (n: string) => names.find((t) => t === n || t.split('.')[1] === n);
  const unknown = (o.roots ?? []).filter((r) => !resolve(r));
  if (unknown.length) throw new Error(`--roots: no table ${unknown.map((r) => `"${r}"`).join(', ')}; the tables are ${names.join(', ')}`);
  const outgoing = (t: string) => catalog.fks.filter((f) => f.child === t && f.parent !== t);
  // Guessed: what nothing else points from and something points to. A table related to no other
  // (a migrations ledger, a job queue's own) is left out unless named.
  const incoming = (t: string) => catalog.fks.some((f) => f.parent === t && f.child !== t);
  const roots = o.roots?.length ? o.roots.map((r) => resolve(r)!) : names.filter((t) => !outgoing(t).length && incoming(t));
  const parents = parentEdges(names, catalog.fks, new Map(catalog.tables.map((t) => [t.name, t.rows])));
  const skipped: InitModel['skipped'] = [];
  const credentialTable = o.credential && resolve(o.credential.table);
  if (o.credential && !credentialTable) throw new Error(`--credential: no table "${o.credential.table}"; the tables are ${names.join(', ')}`);
  if (o.credential && !(columns.get(credentialTable!) ?? []).some((c) => c.name === o.credential!.column))
    throw new Error(`--credential: ${credentialTable} has no column "${o.credential.column}"; its columns: ${(columns.get(credentialTable!) ?? []).map((c) => c.name).join(', ')}`);

  // Tables reachable from the roots, parents first.
  const chosen: string[] = [...roots];
  for (let grew = true; grew;) {
    grew = false;
    for (const t of names) {
      const p = parents.get(t);
      if (!chosen.includes(t) && !roots.includes(t) && p && chosen.includes(p.parent)) {
        chosen.push(t);
        grew = true;
      }
    }
  }
  for (const t of names)
    if (!chosen.includes(t))
      skipped.push({ table: t, why: outgoing(t).length || incoming(t) ? 'not below a root (name it in --roots to include it)' : 'related to no other table (name it in --roots to include it)' });

  const entityOf = new Map(chosen.map((t) => [t, entityName(t, chosen)]));
  const entities: InitEntity[] = [];
  for (const t of chosen) {
    const parentEdge = roots.includes(t) ? undefined : parents.get(t);
    if (parentEdge && !entities.some((e) => e.table === parentEdge.parent)) {
      skipped.push({ table: t, why: `its parent ${parentEdge.parent} was left out` });
      continue;
    }
    const cols = columns.get(t) ?? [];
    const table = catalog.tables.find((x) => x.name === t)!;
    const fields: Field[] = [];
    const left: InitEntity['left'] = [];
    let refused: string | undefined;
    // The credential: named, or a root's unique text column named like one.
    const credential: Credential | undefined =
      credentialTable === t
        ? { column: o.credential!.column, template: o.credential!.template, hash: o.credential!.hash }
        : !o.credential && roots.includes(t)
          ? ((c) => (c ? { column: c.name, template: '{token}', hash: null } : undefined))(cols.find((c) => c.unique && TEXT.test(c.type) && /^(api_?)?(token|access_?token|api_?key)$/i.test(c.name)))
          : undefined;
    const fkOf = (c: string) => catalog.fks.find((f) => f.child === t && f.column === c && f.columns === 1);
    for (const col of cols) {
      const fk = fkOf(col.name);
      if (credential?.column === col.name)
        fields.push({
          column: col.name,
          code: credential.hash ? (col.type === 'bytea' ? '`\\\\x${sha256(credentialOf(runId, path))}`' : 'sha256(credentialOf(runId, path))') : 'credentialOf(runId, path)',
          why: `the credential${credential.hash ? "'s sha256" : ''}: credentialOf(runId, path) is what the suite sends`,
        });
      else if (col.generated) left.push({ column: col.name, why: 'generated by the database' });
      else if (col.name === RUN_COLUMN || col.name === EXPIRY_COLUMN) left.push({ column: col.name, why: "the run's tag: the SQL adapter writes it" });
      else if (col.name === table.key) left.push({ column: col.name, why: 'the key: the SQL adapter assigns it' });
      else if (parentEdge && col.name === parentEdge.column) left.push({ column: col.name, why: `the parent (${parentEdge.parent}): the SQL adapter fills it` });
      else if (fk && fk.parent === t) {
        if (col.nullable) fields.push({ column: col.name, code: 'earlier()', why: `a reference to an earlier ${entityOf.get(t)} under the same parent (or none)` });
        else refused = `${col.name} must reference another row of ${t}, which a generated row cannot be sure of`;
      } else if (fk && fk.parent === rootOf(t) && TENANT.test(col.name))
        fields.push({ column: col.name, code: 'ownRoot(path)', why: `its tenant: the ${fk.parent} row it belongs to through its parents` });
      else if (fk && roots.includes(fk.parent) && entityOf.has(fk.parent)) fields.push({ column: col.name, code: `pick('${entityOf.get(fk.parent)}')`, why: `one of the ${fk.parent} rows` });
      else if (fk && col.nullable) left.push({ column: col.name, why: `a reference to ${fk.parent}, neither parent nor root: left null` });
      else if (fk) refused = `${col.name} must reference ${fk.parent}, which is neither its parent nor a root (name it in --roots)`;
      else if (col.hasDefault && !TIME.test(col.type)) left.push({ column: col.name, why: 'has a default' });
      else {
        const f = factoryFor(col, {
          entity: entityOf.get(t)!,
          hasEmail: cols.some((c) => /e_?mail/i.test(c.name)),
          earlier: fields.map((x) => x.column),
          earlierTimes: fields.filter((x) => TIME.test(cols.find((c) => c.name === x.column)?.type ?? '') && !x.code.endsWith('.slice(0, 10)')).map((x) => x.column),
          parentHasColumn: parentColumnsOf(parentEdge?.parent),
        });
        if (f) fields.push({ column: col.name, ...f });
        else if (col.nullable || col.hasDefault) left.push({ column: col.name, why: `type ${col.type}: no factory, left ${col.hasDefault ? 'to its default' : 'null'}` });
        else refused = `${col.name} (${col.type}, required) has no factory`;
      }
    }
    if (refused) {
      skipped.push({ table: t, why: refused });
      continue;
    }
    // A table whose every column is the database's (a join table of two keys) still needs one field.
    if (!fields.length) {
      skipped.push({ table: t, why: 'no column to generate' });
      continue;
    }
    entities.push({
      entity: entityOf.get(t)!,
      table: t,
      ...(parentEdge && { parent: entityOf.get(parentEdge.parent)! }),
      ...(parentEdge && catalog.fks.filter((f) => f.child === t && f.parent === parentEdge.parent).length > 1 && { parentColumn: parentEdge.column }),
      fields,
      left,
      ...(credential && { credential }),
      naturalKeys: cols.filter((c) => c.unique && TEXT.test(c.type) && c.name !== credential?.column).map((c) => c.name),
      key: table.key,
    });
  }
  return { entities, skipped, roots: roots.filter((r) => entities.some((e) => e.table === r)) };

  /** The root a table's rows belong to, through their parents. */
  function rootOf(t: string, seen = new Set<string>()): string | undefined {
    if (roots.includes(t)) return t;
    const p = parents.get(t)?.parent;
    if (!p || seen.has(t)) return undefined;
    seen.add(t);
    return rootOf(p, seen);
  }

  function parentColumnsOf(parent: string | undefined): string[] {
    return parent ? (columns.get(parent) ?? []).map((c) => c.name) : [];
  }
}

/** A TypeScript string literal of `s`, single-quoted as the written files quote. */
export const q = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/**
 * A column's factory as an expression of the FieldContext (faker, runId, path, time, values…).
 * Values that must be unique carry a tag of the run and the row's path (`tag(runId, path)`,
 * which the domain module defines): unique within the run and across runs sharing a database.
 */
export function factoryFor(col: Column, ctx: { entity: string; hasEmail: boolean; earlier: string[]; parentHasColumn: string[]; earlierTimes?: string[] }): { code: string; why: string } | undefined {
  const n = col.name.toLowerCase();
  const limit = Math.min(col.maxLength ?? Infinity, col.maxLengthCheck ?? Infinity);
  const fit = (code: string, typical: number) => (Number.isFinite(limit) && limit < typical ? `${code}.slice(0, ${limit})` : code);
  // Unique: the run's tag at the end, kept when the limit cuts (the start goes instead).
  const txt = (code: string, typical: number) => (col.unique ? `\`\${${code}}_\${tag(runId, path)}\`${Number.isFinite(limit) ? `.slice(-${limit})` : ''}` : fit(code, typical));
  const minLen = col.minLength ?? 0;
  const pad = (code: string) => (minLen > 1 ? `${code}.padEnd(${minLen}, 'x')` : code);

  if (col.values?.length)
    return { code: `faker.helpers.arrayElement([${col.values.map(q).join(', ')}])`, why: col.type.includes('(') || !TEXT.test(col.type) ? `enum ${col.type}` : 'the values its CHECK allows' };
  if (col.type === 'boolean') return { code: 'faker.datatype.boolean()', why: 'boolean' };
  if (TIME.test(col.type)) {
    // A row's times in the order of its columns (created, then published, then archived: what
    // CHECKs like published_at >= created_at ask); the first after the parent's time of its name.
    const before = [...(ctx.earlierTimes ?? [])].pop();
    const after = before ? `values.${before} as string` : ctx.parentHasColumn.includes(col.name) ? `parent!.values.${col.name} as string` : '';
    const code = `time(${after})`;
    return {
      code: col.type === 'date' ? `${code}.slice(0, 10)` : code,
      why: `a time in the six months before the reference date${after.startsWith('parent') ? `, after its parent's ${col.name}` : before ? `, after its ${before}` : ''}`,
    };
  }
  if (/^(smallint|integer|bigint)$/.test(col.type)) {
    const lo = Math.ceil(col.min ?? 0);
    const hi = Math.floor(col.max ?? (col.type === 'smallint' ? 100 : 1000));
    return { code: col.unique ? `${lo} + index` : `faker.number.int({ min: ${lo}, max: ${hi} })`, why: `${col.type}${col.min !== undefined || col.max !== undefined ? ', within its CHECK' : ''}` };
  }
  if (/^(numeric|real|double precision)/.test(col.type)) return { code: `faker.number.float({ min: ${col.min ?? 0}, max: ${col.max ?? 1000}, fractionDigits: 2 })`, why: col.type };
  if (col.type === 'uuid') return { code: 'faker.string.uuid()', why: 'uuid' };
  if (/^jsonb?$/.test(col.type)) return { code: 'JSON.stringify({ note: faker.lorem.words(3), score: faker.number.int(100) })', why: 'JSON: a small object' };
  if (col.type === 'inet') return { code: 'faker.internet.ipv4()', why: 'inet' };
  // bytea's hex input form (`\\x…`): a digest's 32 bytes.
  if (col.type === 'bytea') return { code: "`\\\\x${faker.string.hexadecimal({ length: 64, casing: 'lower', prefix: '' })}`", why: 'bytea: 32 bytes' };
  if (!TEXT.test(col.type)) return undefined;

  // Text, by name first.
  if (/e_?mail/.test(n))
    return { code: col.unique ? '`${tag(runId, path)}@${runId}.test.invalid`' : 'faker.internet.email()', why: `named ${col.name}: an email${col.unique ? ', unique (tagged by run)' : ''}` };
  if (/^(user_?name|login|handle|nick_?name|screen_?name)$/.test(n)) return { code: txt('faker.internet.username()', 20), why: `named ${col.name}: a username` };
  if (/slug/.test(n)) return { code: txt('faker.helpers.slugify(faker.lorem.words(3)).toLowerCase()', 30), why: `named ${col.name}: a slug` };
  if (/(token|secret|api_?key|password|passwd|hash|salt)/.test(n))
    return { code: txt(`faker.string.hexadecimal({ length: 40, casing: 'lower', prefix: '' })`, 40), why: `named ${col.name}: an opaque string` };
  if (/^(first_?name|given_?name)$/.test(n)) return { code: fit('faker.person.firstName()', 12), why: `named ${col.name}` };
  if (/^(last_?name|surname|family_?name)$/.test(n)) return { code: fit('faker.person.lastName()', 12), why: `named ${col.name}` };
  if (/(^|_)(full_?name|display_?name)$/.test(n) || (n === 'name' && ctx.hasEmail)) return { code: txt('faker.person.fullName()', 24), why: `named ${col.name}: a person's name` };
  if (/(^|_)(url|link|website|homepage|avatar|image)$/.test(n)) return { code: txt('faker.internet.url()', 30), why: `named ${col.name}: a URL` };
  if (/phone|mobile/.test(n)) return { code: txt('faker.phone.number()', 20), why: `named ${col.name}: a phone number` };
  if (/^(city)$/.test(n)) return { code: fit('faker.location.city()', 20), why: `named ${col.name}` };
  if (/^(country)$/.test(n)) return { code: fit('faker.location.country()', 20), why: `named ${col.name}` };
  if (/address|street/.test(n)) return { code: txt('faker.location.streetAddress()', 30), why: `named ${col.name}: an address` };
  if (/(^|_)(body|content|description|text|bio|about|summary|notes?|message|comment)$/.test(n))
    return { code: pad(fit(`faker.lorem.paragraphs({ min: 1, max: 4 }, '\\n\\n')`, 400)), why: `named ${col.name}: paragraphs of text` };
  if (/(^|_)(title|subject|headline)$/.test(n)) return { code: pad(txt('faker.lorem.sentence({ min: 3, max: 9 })', 60)), why: `named ${col.name}: a sentence` };
  if (/(^|_)(name|label)$/.test(n)) return { code: pad(txt('faker.commerce.productName()', 30)), why: `named ${col.name}: a short name` };
  if (/(^|_)(code|sku|ref|key)$/.test(n)) return { code: txt(`faker.string.alphanumeric({ length: 8, casing: 'upper' })`, 8), why: `named ${col.name}: a code` };
  // Any other text: a few words, as long as its limit lets them be.
  return { code: pad(txt('faker.lorem.words(3)', 20)), why: `text${Number.isFinite(limit) ? ` of at most ${limit} characters` : ''}` };
}
