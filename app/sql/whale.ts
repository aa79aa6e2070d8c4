/**
 * Server-side generation of a whale account: the client sends a compact spec (item count per
 * project, comment depth, rates) and text banks made by faker; PostgreSQL writes every row in a
 * handful of set-based statements. Values depend only on (seed, position): project k, item j,
 * comment c. Never on generated ids, so two runs with one seed hold the same content.
 */
import type { Queryable } from './db.js';
import { reserveIds } from './db.js';
import type { RowCounts } from './testdata.js';

export type WhaleSpec = {
  runId: string;
  ttlSeconds: number;
  seed: string;
  accountId: string;
  authorName: string;
  itemCounts: number[];
  commentDepth: number;
  attachmentRate: number;
  tagsPerItem: number;
  /** Reference date the history counts back from (ISO). */
  referenceDate: string;
  bank: { projectNames: string[]; titles: string[]; paragraphs: string[]; comments: string[]; words: string[] };
};

/** h(path): a non-negative 31-bit number from the seed and a position path. */
const H = (path: string) => `((hashtextextended($1::text || ':' || ${path}, 0) & 2147483647)::int)`;

export async function generateWhale(db: Queryable, s: WhaleSpec): Promise<Partial<RowCounts>> {
  const tag = `$2::text, now() + make_interval(secs => $3)`;
  // Text banks as temp tables: an indexed lookup per pick, instead of scanning array params.
  await db.query(`CREATE TEMP TABLE whale_bank (kind text, k int, t text, PRIMARY KEY (kind, k)) ON COMMIT DROP`);
  await db.query(
    `INSERT INTO whale_bank SELECT kind, k - 1, t FROM (
       SELECT 'project' AS kind, * FROM unnest($1::text[]) WITH ORDINALITY AS u(t, k) UNION ALL
       SELECT 'title', * FROM unnest($2::text[]) WITH ORDINALITY UNION ALL
       SELECT 'paragraph', * FROM unnest($3::text[]) WITH ORDINALITY UNION ALL
       SELECT 'comment', * FROM unnest($4::text[]) WITH ORDINALITY UNION ALL
       SELECT 'word', * FROM unnest($5::text[]) WITH ORDINALITY) b`,
    [s.bank.projectNames, s.bank.titles, s.bank.paragraphs, s.bank.comments, s.bank.words],
  );
  const n = {
    project: s.bank.projectNames.length,
    title: s.bank.titles.length,
    paragraph: s.bank.paragraphs.length,
    comment: s.bank.comments.length,
    word: s.bank.words.length,
  };
  const base = [s.seed, s.runId, s.ttlSeconds, s.accountId];
  const projectIds = await reserveIds(db, 'projects', s.itemCounts.length);

  // Projects: created over the 180 days before the reference date.
  await db.query(
    `INSERT INTO projects (id, test_run_id, expires_at, account_id, name, description, created_at, updated_at)
     OVERRIDING SYSTEM VALUE
     SELECT p.id, ${tag}, $4, pn.t || ' ' || (p.k)::text, pd.t,
            $6::timestamptz - make_interval(days => 180 - (${H("'p' || p.k")} % 170), hours => 8 + ${H("'ph' || p.k")} % 10),
            $6::timestamptz - make_interval(days => 180 - (${H("'p' || p.k")} % 170), hours => 8 + ${H("'ph' || p.k")} % 10)
       FROM unnest($5::bigint[]) WITH ORDINALITY AS p(id, k)
       JOIN whale_bank pn ON pn.kind = 'project' AND pn.k = ${H("'pn' || p.k")} % ${n.project}
       JOIN whale_bank pd ON pd.kind = 'paragraph' AND pd.k = ${H("'pd' || p.k")} % ${n.paragraph}`,
    [...base, projectIds, s.referenceDate],
  );

  // Items, first into a temp table that keeps each item's position (project k, item j): the
  // comments, attachments and tags below join on it instead of re-deriving positions.
  await db.query(
    `CREATE TEMP TABLE whale_items ON COMMIT DROP AS
     SELECT nextval(pg_get_serial_sequence('items', 'id')) AS id, x.*,
            CASE WHEN x.state <> 'draft' THEN x.created + make_interval(hours => 1 + x.h % 72) END AS published,
            CASE WHEN x.state = 'archived' THEN x.created + make_interval(hours => 73 + x.h % 720) END AS archived
       FROM (
         SELECT p.id AS project_id, p.k, j, p.k || '/' || j AS pos, t.t AS title,
                (SELECT string_agg(b.t, E'\\n\\n' ORDER BY q)
                   FROM generate_series(0, ${H("'ib' || p.k || '/' || j")} % 6) q
                   JOIN whale_bank b ON b.kind = 'paragraph' AND b.k = ${H("'ip' || p.k || '/' || j || '/' || q")} % ${n.paragraph}) AS body,
                CASE WHEN ${H("'is' || p.k || '/' || j")} % 100 < 25 THEN 'draft'
                     WHEN ${H("'is' || p.k || '/' || j")} % 100 < 90 THEN 'published' ELSE 'archived' END AS state,
                pr.created_at + make_interval(days => ${H("'id' || p.k || '/' || j")} % 170, hours => ${H("'ih' || p.k || '/' || j")} % 10,
                                              secs => (${H("'is2' || p.k || '/' || j")} % 3600000) / 1000.0) AS created,
                ${H("'ix' || p.k || '/' || j")} AS h
           FROM unnest($2::bigint[], $3::int[]) WITH ORDINALITY AS p(id, cnt, k)
           JOIN projects pr ON pr.id = p.id
           CROSS JOIN LATERAL generate_series(1, p.cnt) AS j
           JOIN whale_bank t ON t.kind = 'title' AND t.k = ${H("'it' || p.k || '/' || j")} % ${n.title}
       ) x`,
    [s.seed, projectIds, s.itemCounts],
  );
  const items = await db.query(
    `INSERT INTO items (id, test_run_id, expires_at, account_id, project_id, title, body, state, created_at, updated_at, published_at, archived_at)
     OVERRIDING SYSTEM VALUE
     SELECT id, $1, now() + make_interval(secs => $2), $3, project_id, title, body, state, created,
            GREATEST(created, published, archived), published, archived
       FROM whale_items`,
    [s.runId, s.ttlSeconds, s.accountId],
  );

  // Comments: 0..2·depth per item; comment c replies to c-1 unless c starts a new chain, so no
  // reply chain is deeper than commentDepth.
  let comments = 0;
  if (s.commentDepth > 0) {
    const r = await db.query(
      `WITH c AS (
         SELECT nextval(pg_get_serial_sequence('comments', 'id')) AS id, it.id AS item_id, c,
                it.created + make_interval(hours => c * (1 + ${H("'ch' || it.pos || '/' || c")} % 48)) AS created,
                ${H("'cb' || it.pos || '/' || c")} % ${n.comment} AS body_k
           FROM whale_items it CROSS JOIN LATERAL generate_series(1, ${H("'cn' || it.pos")} % ${2 * s.commentDepth + 1}) AS c)
       INSERT INTO comments (id, test_run_id, expires_at, account_id, item_id, parent_id, author, body, created_at)
       OVERRIDING SYSTEM VALUE
       SELECT c.id, ${tag}, $4, c.item_id,
              CASE WHEN (c.c - 1) % $5 <> 0 THEN lag(c.id) OVER (PARTITION BY c.item_id ORDER BY c.c) END,
              $6, b.t, c.created
         FROM c JOIN whale_bank b ON b.kind = 'comment' AND b.k = c.body_k`,
      [...base, s.commentDepth, s.authorName],
    );
    comments = r.rowCount ?? 0;
  }

  let attachments = 0;
  if (s.attachmentRate > 0) {
    const r = await db.query(
      `INSERT INTO attachments (test_run_id, expires_at, account_id, item_id, filename, content_type, size_bytes, created_at)
       SELECT ${tag}, $4, it.id,
              w.t || '-' || a || (ARRAY['.pdf', '.png', '.csv', '.docx', '.zip'])[1 + ${H("'ae' || it.pos || '/' || a")} % 5],
              (ARRAY['application/pdf', 'image/png', 'text/csv', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'application/zip'])[1 + ${H("'ae' || it.pos || '/' || a")} % 5],
              floor(1000 * exp((${H("'as' || it.pos || '/' || a")} % 9000) / 1000.0))::bigint,
              it.created + make_interval(mins => ${H("'at' || it.pos || '/' || a")} % 5000)
         FROM whale_items it CROSS JOIN LATERAL generate_series(1, 1 + ${H("'ac' || it.pos")} % 3) AS a
         JOIN whale_bank w ON w.kind = 'word' AND w.k = ${H("'aw' || it.pos || '/' || a")} % ${n.word}
        WHERE ${H("'ar' || it.pos")} % 10000 < $5`,
      [...base, Math.round(s.attachmentRate * 10000)],
    );
    attachments = r.rowCount ?? 0;
  }

  let tags = 0;
  let itemTags = 0;
  if (s.tagsPerItem > 0) {
    const vocabulary = Math.min(n.word, 40);
    const t = await db.query(
      `INSERT INTO tags (test_run_id, expires_at, account_id, name)
       SELECT $1, now() + make_interval(secs => $2), $3, t FROM (SELECT DISTINCT lower(t) AS t FROM whale_bank WHERE kind = 'word' AND k < $4) w`,
      [s.runId, s.ttlSeconds, s.accountId, vocabulary],
    );
    tags = t.rowCount ?? 0;
    const it = await db.query(
      `WITH tg AS (SELECT id, (row_number() OVER (ORDER BY name) - 1)::int AS r, count(*) OVER ()::int AS n FROM tags WHERE account_id = $4)
       INSERT INTO item_tags (test_run_id, expires_at, account_id, item_id, tag_id)
       SELECT ${tag}, $4, it.id, tg.id
         FROM whale_items it CROSS JOIN LATERAL generate_series(0, ${H("'tn' || it.pos")} % ($5 + 1) - 1) AS q
         JOIN tg ON tg.r = (${H("'ts' || it.pos")} + q) % tg.n`,
      [...base, s.tagsPerItem],
    );
    itemTags = it.rowCount ?? 0;
  }

  return { projects: projectIds.length, items: items.rowCount ?? 0, comments, attachments, tags, item_tags: itemTags };
}
