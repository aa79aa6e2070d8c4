/**
 * PostgreSQL connection helpers the harness needs for any backend's database: which database a
 * URL names, the same server with another database, and statements on the server's maintenance
 * database (where databases are created and dropped).
 */
import pg from 'pg';

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export const databaseOf = (url: string) => decodeURIComponent(new URL(url).pathname.replace(/^\//, '')) || 'postgres';

/** `postgres://user:***@host:5432/db`: a URL fit for a log line or an error message. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** A column's or a name's identifier, quoted. */
export const ident = (name: string) => pg.escapeIdentifier(name);
/** A table's name, `users` or `schema.users`, quoted part by part. */
export const tableIdent = (name: string) =>
  name
    .split('.')
    .map((part) => pg.escapeIdentifier(part))
    .join('.');

/** Runs `fn` on one connection to `url`, closed after. */
export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>, applicationName = 'pressure-harness'): Promise<T> {
  const c = new pg.Client({ connectionString: url, application_name: applicationName, connectionTimeoutMillis: 10_000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/**
 * Runs `fn` in one read-only transaction on `url` (production's, for parity, fit and import):
 * nothing it runs can write, each statement is cut at `timeoutMs` so that production is never
 * held, and the transaction is rolled back whatever happens. `repeatable`: one snapshot for all
 * of it (a subset whose rows must agree with each other).
 */
export function readOnly<T>(url: string, fn: (c: pg.Client) => Promise<T>, o: { applicationName: string; timeoutMs?: number; repeatable?: boolean }): Promise<T> {
  return withClient(
    url,
    async (c) => {
      await c.query(`BEGIN${o.repeatable ? ' ISOLATION LEVEL REPEATABLE READ' : ''} READ ONLY`);
      try {
        if (o.timeoutMs) await c.query(`SET LOCAL statement_timeout = ${Math.round(o.timeoutMs)}`);
        return await fn(c);
      } finally {
        await c.query('ROLLBACK').catch(() => {});
      }
    },
    o.applicationName,
  );
}

/** One statement on the server's maintenance database (`postgres`); `url` may name any database of it. */
export const adminQuery = <T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []) =>
  withClient(withDatabase(url, 'postgres'), (c) => c.query<T>(sql, params), 'pressure-admin');

/**
 * Marks every statement the harness itself sends (seeding, statistics), right after its first
 * keyword: pg_stat_statements keeps a statement's text from its first token, so a leading comment
 * would be cut off with the marker in it. The harness's own work is then left out of what it
 * reports of the backend's.
 */
export const SQL_MARK = '/* pressure-harness */';
