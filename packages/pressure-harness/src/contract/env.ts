/**
 * Environment validation shared by the harness (playwright.config.ts) and the reference app.
 *
 * Each variable is a zod schema whose `.describe()` text says what it accepts. Parsing reports
 * every bad variable at once, in the form `NAME must be <accepted>, got "<actual>"`, so a user
 * fixes their .env in one pass instead of one error per run.
 */
import { z } from 'zod';

export class SettingsError extends Error {
  constructor(
    message: string,
    readonly problems: string[],
  ) {
    super(message);
    this.name = 'SettingsError';
  }
}

export type EnvShape = Record<string, z.ZodType>;
export type Env = Record<string, string | undefined>;

/** A TCP port, 1–65535. */
export const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback).describe('a TCP port from 1 to 65535');

/** A whole number within [min, max]. */
export const int = (min: number, max: number, fallback: number) => z.coerce.number().int().min(min).max(max).default(fallback).describe(`a whole number from ${min} to ${max}`);

/** An optional whole number within [min, max]: unset means "the profile decides". */
export const optionalInt = (min: number, max: number) => z.coerce.number().int().min(min).max(max).optional().describe(`a whole number from ${min} to ${max}`);

/** An optional number within [0, 1]. */
export const optionalFraction = () => z.coerce.number().min(0).max(1).optional().describe('a number from 0 to 1, such as 0.05');

/** One of a fixed set of words. */
export const oneOf = <const T extends readonly [string, ...string[]]>(values: T, fallback: T[number]) =>
  z
    .enum(values)
    .default(fallback as never)
    .describe(`one of ${values.map((v) => `"${v}"`).join(' | ')}`);

export const postgresUrl = () =>
  z
    .string()
    .regex(/^postgres(ql)?:\/\/\S+$/)
    .optional()
    .describe('a PostgreSQL connection URL such as postgres://user:pass@127.0.0.1:5432/db');

/**
 * Parse `env` against `shape`. Empty strings count as unset, so `FOO= npx …` means "default".
 * Throws one SettingsError naming every bad variable.
 */
export function parseEnv<S extends EnvShape>(where: string, shape: S, env: Env): { [K in keyof S]: z.output<S[K]> } {
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(shape)) input[key] = env[key] === '' ? undefined : env[key];
  const result = z.object(shape).safeParse(input);
  if (result.success) return result.data as { [K in keyof S]: z.output<S[K]> };

  const problems: string[] = [];
  const seen = new Set<string>();
  for (const issue of result.error.issues) {
    const key = String(issue.path[0] ?? '');
    if (seen.has(key)) continue;
    seen.add(key);
    const accepted = shape[key]?.description ?? issue.message;
    problems.push(`${key} must be ${accepted}, got ${JSON.stringify(input[key])}`);
  }
  throw new SettingsError(formatProblems(where, problems), problems);
}

export function formatProblems(where: string, problems: string[]): string {
  return [
    `${where}: ${problems.length} invalid setting${problems.length === 1 ? '' : 's'}`,
    ...problems.map((p) => `  - ${p}`),
    'Recommended fix: set them in the environment or in .env (see .env.example for every setting).',
  ].join('\n');
}

/** An optional non-empty text (a token, a name): unset means "none". */
export const optionalText = (what: string) => z.string().min(1).optional().describe(what);
