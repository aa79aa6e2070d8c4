import pg from 'pg';

/** Anything that runs a query: the pool, or a client inside a transaction. */
export type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

/** Run `fn` in one transaction on one client; roll back on any error. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    client.release();
  }
}

/**
 * APP_FAULTS=tenant_connection: `fn` on a connection of its own, opened for it with the tenant set
 * on the session and closed after, instead of one borrowed from the pool. Each call pays for a
 * PostgreSQL backend to start (a process forked, authentication, catalog caches filled cold).
 */
export async function withOwnConnection<T>(pool: pg.Pool, accountId: string, fn: (db: Queryable) => Promise<T>): Promise<T> {
  const client = new pg.Client(pool.options as pg.ClientConfig);
  await client.connect();
  try {
    await client.query(`SELECT set_config('app.account_id', $1, false)`, [accountId]);
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * The identity sequence of a table's id, looked up by a query of its own: called inside a
 * set-returning query, pg_get_serial_sequence runs per row and costs ten times the nextval it feeds.
 */
export async function idSequence(db: Queryable, table: string): Promise<string> {
  const { rows } = await db.query<{ seq: string | null }>(`SELECT pg_get_serial_sequence($1, 'id') AS seq`, [table]);
  if (!rows[0]?.seq) throw new Error(`table ${table} has no identity sequence on id`);
  return rows[0].seq;
}

/** Reserve `n` ids from a table's identity sequence, so parents and children go in set-based. */
export async function reserveIds(db: Queryable, table: string, n: number): Promise<string[]> {
  if (n === 0) return [];
  const { rows } = await db.query<{ id: string }>(`SELECT nextval($1::regclass)::text AS id FROM generate_series(1, $2)`, [await idSequence(db, table), n]);
  return rows.map((r) => r.id);
}
