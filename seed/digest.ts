/**
 * A content digest of one run's data, per table, read directly from the database: what the rows
 * say, without what differs between two runs of the same seed (surrogate ids, the run ID inside
 * emails, expiry, insertion time, API tokens). Parents are named by content, not by id, so two
 * runs that wrote the same data in another order digest the same.
 */
import pg from 'pg';

/** Per table: the content of one row as text, given the run ID as $1. */
const CONTENT: Record<string, string> = {
  accounts: `SELECT concat_ws('|', a.name, replace(a.email, $1, '')) FROM accounts a WHERE a.test_run_id = $1`,
  api_tokens: `SELECT replace(a.email, $1, '') FROM api_tokens t JOIN accounts a ON a.id = t.account_id WHERE t.test_run_id = $1`,
  projects: `SELECT concat_ws('|', replace(a.email, $1, ''), p.name, p.description, p.created_at)
               FROM projects p JOIN accounts a ON a.id = p.account_id WHERE p.test_run_id = $1`,
  items: `SELECT concat_ws('|', replace(a.email, $1, ''), p.name, p.created_at, i.title, i.body, i.state, i.created_at, i.published_at, i.archived_at)
            FROM items i JOIN projects p ON p.id = i.project_id JOIN accounts a ON a.id = i.account_id WHERE i.test_run_id = $1`,
  comments: `SELECT concat_ws('|', replace(a.email, $1, ''), p.name, i.title, i.created_at, c.author, c.body, c.created_at, pc.body, pc.created_at)
               FROM comments c JOIN items i ON i.id = c.item_id JOIN projects p ON p.id = i.project_id JOIN accounts a ON a.id = c.account_id
               LEFT JOIN comments pc ON pc.id = c.parent_id WHERE c.test_run_id = $1`,
  attachments: `SELECT concat_ws('|', replace(a.email, $1, ''), p.name, i.title, i.created_at, t.filename, t.content_type, t.size_bytes, t.created_at)
                  FROM attachments t JOIN items i ON i.id = t.item_id JOIN projects p ON p.id = i.project_id JOIN accounts a ON a.id = t.account_id
                 WHERE t.test_run_id = $1`,
  tags: `SELECT concat_ws('|', replace(a.email, $1, ''), t.name) FROM tags t JOIN accounts a ON a.id = t.account_id WHERE t.test_run_id = $1`,
  item_tags: `SELECT concat_ws('|', replace(a.email, $1, ''), p.name, i.title, i.created_at, t.name)
                FROM item_tags x JOIN items i ON i.id = x.item_id JOIN projects p ON p.id = i.project_id JOIN tags t ON t.id = x.tag_id
                JOIN accounts a ON a.id = x.account_id WHERE x.test_run_id = $1`,
};

export type Digest = Record<string, { rows: number; md5: string }>;

export async function digestRun(databaseUrl: string, runId: string): Promise<Digest> {
  const c = new pg.Client({ connectionString: databaseUrl, options: '-c TimeZone=UTC' });
  await c.connect();
  try {
    const out: Digest = {};
    for (const [table, sql] of Object.entries(CONTENT)) {
      const { rows } = await c.query<{ n: number; md5: string }>(`SELECT count(*)::int AS n, md5(coalesce(string_agg(x, E'\\n' ORDER BY x), '')) AS md5 FROM (${sql}) AS r(x)`, [runId]);
      out[table] = { rows: rows[0]!.n, md5: rows[0]!.md5 };
    }
    return out;
  } finally {
    await c.end();
  }
}
