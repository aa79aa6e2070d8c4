/**
 * Anonymizing an imported subset (`pressure dataset import`): which columns can hold personal
 * data (by type, name and content), and a transformation for each that is deterministic and
 * consistent (the same original gives the same value in every table, so joins on it still join)
 * and keeps the format (an email stays an email, a 40-character hex token stays one, a text keeps
 * its length and paragraphs). The fake values are faker's, seeded per original value through a
 * keyed hash (HMAC-SHA-256 with a secret of the import): without the secret, nobody can test a
 * guessed original against them.
 */
import { createHmac } from 'node:crypto';
import { fakerFor } from './streams.js';

export const MASKS = ['email', 'name', 'first_name', 'last_name', 'username', 'phone', 'address', 'token', 'ip', 'text', 'json', 'keep'] as const;
export type Mask = (typeof MASKS)[number];

export type ColumnInfo = { table: string; column: string; type: string; maxLength: number | null; unique: boolean };
export type MaskChoice = { mask: Mask; why: string };

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const PHONE = /\+?\d[\d ().-]{7,}\d/g;

/** Rules on a column's name, first that matches: what it holds. */
const BY_NAME: [RegExp, Mask][] = [
  [/e_?mail/i, 'email'],
  [/^(first_?name|given_?name|forename)$/i, 'first_name'],
  [/^(last_?name|surname|family_?name)$/i, 'last_name'],
  [/^(user_?name|login|handle|nick_?name|screen_?name)$/i, 'username'],
  [/(^|_)(full_?name|display_?name|person_?name|contact_?name)$/i, 'name'],
  [/phone|mobile|^tel$|fax/i, 'phone'],
  [/address|street|^city$|zip|postcode|postal/i, 'address'],
  [/token|secret|password|passwd|hash|salt|api_?key|private_?key|otp/i, 'token'],
  [/(^|_)ip(_?addr(ess)?)?$/i, 'ip'],
];
const TEXTUAL = /^(text|character varying|character|varchar|citext)/;

/**
 * What a column holds, from its type, its name and its values (a sample of the subset's own):
 * a name that says so first; then content (a column most of whose values are emails or phone
 * numbers); then free text (long, or mostly distinct values) is text; what is left (numbers,
 * times, enums, short codes repeated across rows) is kept. `name` itself is a person's name
 * only in a table that also holds an email (a user's), else a title.
 */
export function detectMask(col: ColumnInfo, values: readonly unknown[], tableHasEmail: boolean): MaskChoice {
  if (/^jsonb?$/.test(col.type)) return { mask: 'json', why: 'JSON: every string in it by its content' };
  if (col.type === 'inet' || col.type === 'cidr') return { mask: 'ip', why: `type ${col.type}` };
  // Bytes named like a secret (a token's digest): the same length, other bytes. Other bytes (a file's) are kept.
  if (col.type === 'bytea' && /token|secret|password|passwd|hash|salt|api_?key|private_?key|otp/i.test(col.column)) return { mask: 'token', why: `bytes named ${col.column}` };
  if (!TEXTUAL.test(col.type)) return { mask: 'keep', why: `type ${col.type}` };
  for (const [re, mask] of BY_NAME) if (re.test(col.column)) return { mask, why: `named ${col.column}` };
  if (/^name$/i.test(col.column) && tableHasEmail) return { mask: 'name', why: 'named name, in a table with an email' };
  const strings = values.filter((v): v is string => typeof v === 'string' && v.length > 0);
  if (!strings.length) return { mask: 'keep', why: 'no value in the subset' };
  const share = (re: RegExp) => strings.filter((v) => (v.match(re)?.[0]?.length ?? 0) >= v.trim().length * 0.8).length / strings.length;
  if (share(EMAIL) >= 0.5) return { mask: 'email', why: 'most values are emails' };
  if (share(PHONE) >= 0.5) return { mask: 'phone', why: 'most values are phone numbers' };
  const mean = strings.reduce((a, v) => a + v.length, 0) / strings.length;
  const distinct = new Set(strings).size / strings.length;
  // One word each, mostly distinct (a slug, a code, an external id): the same shape, other characters.
  if (distinct > 0.5 && strings.filter((v) => !/\s/.test(v)).length >= strings.length * 0.9 && (mean >= 8 || col.unique))
    return { mask: 'token', why: 'single words, mostly distinct: identifiers, their shape kept' };
  if (mean >= 24 || (distinct > 0.5 && strings.length >= 10) || col.unique)
    return { mask: 'text', why: mean >= 24 ? `free text (${Math.round(mean)} characters on average)` : 'mostly distinct values' };
  return { mask: 'keep', why: `short values, ${Math.round(distinct * 100)}% distinct: codes or categories` };
}

/** The transformations of one import: `secret` keys the hash every fake value is seeded from. */
export function anonymizer(secret: string): (mask: Mask, value: unknown, maxLength?: number | null) => unknown {
  const digest = (mask: string, v: string) => createHmac('sha256', secret).update(mask).update('\0').update(v).digest();
  const fakers = new Map<string, ReturnType<typeof fakerFor>>();
  const fakerOf = (mask: string, v: string) => {
    let f = fakers.get(mask);
    if (!f) fakers.set(mask, (f = fakerFor('anonymize', mask)));
    const d = digest(mask, v);
    f.seed([d.readUInt32BE(0), d.readUInt32BE(4)]);
    return { faker: f, tag: d.toString('hex', 8, 11) };
  };
  const fit = (s: string, max: number | null | undefined) => (max && s.length > max ? s.slice(0, max) : s);
  /** Same length and the same kind of character at each place: hex stays hex, a digit a digit. */
  const reshape = (v: string): string => {
    // bytea's hex form (\x…): the bytes reshaped, the prefix kept, so that it still reads as bytes.
    const bytes = /^\\x([0-9a-f]+)$/.exec(v);
    if (bytes) return `\\x${reshape(bytes[1]!)}`;
    // As many keyed bytes as the value has characters: HMAC blocks, counted.
    const d = Buffer.concat(Array.from({ length: Math.ceil(v.length / 32) || 1 }, (_, k) => digest('token', `${v}\0${k}`)));
    let i = 0;
    const next = () => d[i++]!;
    const hex = /^[0-9a-f]+$/.test(v) ? '0123456789abcdef' : /^[0-9A-F]+$/.test(v) ? '0123456789ABCDEF' : null;
    return [...v]
      .map((ch) => {
        if (hex && /[0-9a-fA-F]/.test(ch)) return hex[next() % 16]!;
        if (/[0-9]/.test(ch)) return String(next() % 10);
        if (/[a-z]/.test(ch)) return String.fromCharCode(97 + (next() % 26));
        if (/[A-Z]/.test(ch)) return String.fromCharCode(65 + (next() % 26));
        return ch;
      })
      .join('');
  };
  const text = (v: string) => {
    const { faker } = fakerOf('text', v);
    // Paragraph by paragraph, each as long as the original's.
    return v
      .split(/(\n+)/)
      .map((part) => {
        if (!part.trim()) return part;
        let out = '';
        while (out.length < part.length) out += `${out ? ' ' : ''}${faker.lorem.sentence()}`;
        return out.slice(0, part.length);
      })
      .join('');
  };
  /** Emails and phone numbers inside a text, each as its own mask would make it. */
  const inside = (v: string, transform: (mask: Mask, x: unknown) => unknown) => v.replace(EMAIL, (m) => String(transform('email', m))).replace(PHONE, (m) => String(transform('phone', m)));
  const transform = (mask: Mask, value: unknown, maxLength?: number | null): unknown => {
    if (value === null || value === undefined || mask === 'keep') return value;
    if (mask === 'json') {
      // JSON as PostgreSQL prints it (text) or as a value: every string in it by its content.
      const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value;
      const out = mapStrings(parsed, (s) => (s.length >= 24 ? text(s) : inside(s, transform)));
      return typeof value === 'string' ? JSON.stringify(out) : out;
    }
    const v = String(value);
    switch (mask) {
      case 'email': {
        const { faker, tag } = fakerOf('email', v.toLowerCase());
        return fit(
          `${faker.internet
            .username()
            .toLowerCase()
            .replace(/[^a-z0-9._-]/g, '')}.${tag}@example.com`,
          maxLength,
        );
      }
      case 'name':
        return fit(fakerOf('name', v).faker.person.fullName(), maxLength);
      case 'first_name':
        return fit(fakerOf('first_name', v).faker.person.firstName(), maxLength);
      case 'last_name':
        return fit(fakerOf('last_name', v).faker.person.lastName(), maxLength);
      case 'username': {
        const { faker, tag } = fakerOf('username', v);
        const base = faker.internet.username().replace(/[^A-Za-z0-9_.]/g, '');
        return maxLength ? `${base.slice(0, Math.max(1, maxLength - tag.length - 1))}_${tag}` : `${base}_${tag}`;
      }
      case 'phone':
        return reshape(v);
      case 'address':
        return fit(fakerOf('address', v).faker.location.streetAddress(), maxLength);
      case 'token':
        return reshape(v);
      case 'ip': {
        const d = digest('ip', v);
        return v.includes(':') ? `fd00::${d.toString('hex', 0, 2)}:${d.toString('hex', 2, 4)}` : `10.${d[0]}.${d[1]}.${d[2]}`;
      }
      case 'text':
        // Every word replaced, so any email or number in it goes too.
        return fit(text(v), maxLength);
    }
  };
  return transform;
}

/** A JSON value with every string in it mapped. */
function mapStrings(v: unknown, f: (s: string) => string): unknown {
  if (typeof v === 'string') return f(v);
  if (Array.isArray(v)) return v.map((x) => mapStrings(x, f));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mapStrings(x, f)]));
  return v;
}
