/**
 * Flags of a verb, strict: every unknown flag, missing value and malformed number is named at
 * once, with the verb's usage, and nothing runs. A usage error exits 2; a verb's own failure
 * (a finding, a broken budget) exits 1.
 */
import { parseArgs } from 'node:util';
import { redactUrl } from '../pg/url.js';

export class UsageError extends Error {
  constructor(
    readonly verb: string,
    readonly problems: string[],
    readonly usage: string,
  ) {
    super(`${verb}: ${problems.length === 1 ? problems[0] : `${problems.length} problems:\n  - ${problems.join('\n  - ')}`}\nUsage: ${usage}`);
  }
}

export type FlagSpec = Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string; help: string }>;
type Values<F extends FlagSpec> = { [K in keyof F]?: F[K]['type'] extends 'boolean' ? boolean : F[K]['multiple'] extends true ? string[] : string };

/** Every flag a verb takes also takes -c/--config (the suite's playwright.config) and -h/--help. */
export const COMMON: FlagSpec = {
  config: { type: 'string', short: 'c', help: "the suite's Playwright config (default: playwright.config.ts in the working folder)" },
  help: { type: 'boolean', short: 'h', help: 'this help' },
};

/**
 * The flags, and the problems found in them: a verb adds its own checks to `problems` and throws
 * them all together (done()), so one call names everything wrong at once.
 */
export function parseFlags<F extends FlagSpec>(verb: string, argv: string[], spec: F, usage: string): Values<F & typeof COMMON> & { positionals: string[]; problems: string[]; done(): void } {
  const all = { ...COMMON, ...spec };
  const { tokens, positionals } = parseArgs({
    args: argv,
    options: Object.fromEntries(Object.entries(all).map(([k, v]) => [k, { type: v.type, ...(v.multiple && { multiple: true }), ...(v.short && { short: v.short }) }])),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    const def = all[t.name];
    if (!def) {
      problems.push(
        `unknown flag ${t.rawName}; accepted: ${Object.keys(all)
          .map((k) => `--${k}`)
          .join(', ')}`,
      );
      continue;
    }
    if (def.type === 'string' && t.value === undefined) {
      problems.push(`${t.rawName} needs a value: ${def.help}`);
      continue;
    }
    if (def.type === 'boolean' && t.value !== undefined) {
      problems.push(`${t.rawName} takes no value, got "${t.value}"`);
      continue;
    }
    const v = def.type === 'boolean' ? true : t.value;
    values[t.name] = def.multiple ? [...((values[t.name] as string[] | undefined) ?? []), v] : v;
  }
  return {
    ...(values as Values<F & typeof COMMON>),
    positionals,
    problems,
    done() {
      if (problems.length) throw new UsageError(verb, problems, usage);
    },
  };
}

/** A whole number within bounds, or a problem naming the flag and what it accepts. */
/** The verb's action (`baseline save`, `dataset restore`): one of `actions` and nothing after it, or a problem each. */
export function actionOf<A extends readonly string[]>(problems: string[], positionals: string[], actions: A): A[number] | undefined {
  const [action, ...extra] = positionals;
  if (extra.length) problems.push(`unexpected arguments: ${extra.join(' ')}`);
  if (action !== undefined && actions.includes(action)) return action;
  problems.push(`the action must be one of ${actions.join(', ')}, got ${action === undefined ? 'none' : `"${action}"`}`);
  return undefined;
}

export function intFlag(problems: string[], flag: string, raw: string | undefined, min: number, max: number, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isInteger(n) || n < min || n > max) {
    problems.push(`--${flag} must be a whole number from ${min} to ${max}, got "${raw}"`);
    return fallback;
  }
  return n;
}

/** A --grep pattern that compiles, or a problem saying why not. */
export function grepFlag(problems: string[], raw: string | undefined): RegExp | undefined {
  if (raw === undefined) return undefined;
  try {
    return new RegExp(raw);
  } catch (e) {
    problems.push(`--grep is not a regular expression: ${(e as Error).message}`);
    return undefined;
  }
}

/** `KEY=VALUE` pairs of an environment flag. */
export function envFlag(problems: string[], flag: string, raw: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of raw ?? []) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(v);
    if (m) out[m[1]!] = m[2]!;
    else problems.push(`--${flag} takes KEY=VALUE (such as FEATURE_X=on), got ${JSON.stringify(v)}`);
  }
  return out;
}

/** The help of a verb: its usage, what it does, one example, and its flags. */
export function helpText(o: { usage: string; about: string; example: string; flags: FlagSpec }): string {
  const flags = { ...o.flags, ...COMMON };
  const w = Math.max(...Object.entries(flags).map(([k, v]) => `--${k}${v.short ? `, -${v.short}` : ''}`.length));
  return [
    `Usage: ${o.usage}`,
    '',
    o.about,
    '',
    'Flags:',
    ...Object.entries(flags).map(([k, v]) => `  ${`--${k}${v.short ? `, -${v.short}` : ''}`.padEnd(w)}  ${v.help}`),
    '',
    `Example: ${o.example}`,
  ].join('\n');
}

const POSTGRES_URL = /^postgres(ql)?:\/\/./;

/**
 * A flag that must be a PostgreSQL URL: its problem added (`what` says what it is for when it is
 * missing and required), the URL's password never printed.
 */
export function postgresUrlFlag(problems: string[], flag: string, value: string | undefined, required?: string): void {
  if (value === undefined) {
    if (required) problems.push(`--${flag} is required: ${required} (postgres://…)`);
  } else if (!POSTGRES_URL.test(value)) problems.push(`--${flag} must be a postgres:// or postgresql:// URL, got ${JSON.stringify(redactUrl(value))}`);
}
