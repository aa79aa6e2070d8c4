/**
 * Server-side generation of a whale account: the client sends a compact spec (item count per
 * project, comment depth, rates) and text banks made by faker; PostgreSQL writes every row in a
 * handful of set-based statements. Values depend only on (seed, position): project k, item j,
 * comment c. Never on generated ids or on how the work was sliced, so two runs with one seed
 * hold the same content.
 */
import type pg from 'pg';
import type { Queryable } from './db.js';
import { idSequence, inTransaction, reserveIds } from './db.js';
import { bulkLoadMode } from './partitions.js';
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

/** h(path): a non-negative 31-bit number from the seed ($1) and a position path. */
const H = (path: string) => `((hashtextextended($1::text || ':' || ${path}, 0) & 2147483647)::int)`;

/**
 * Splits projects into `n` contiguous slices of about equal item count: each slice is written
 * by its own transaction on its own connection, so a whale uses every core the database has.
 */
export function sliceProjects(itemCounts: number[], n: number): { first: number; counts: number[] }[] {
  const total = itemCounts.reduce((a, b) => a + b, 0);
  const slices: { first: number; counts: number[] }[] = [];
  let first = 0;
  let acc = 0;
  for (let i = 0; i < itemCounts.length; i++) {
    acc += itemCounts[i]!;
    if (slices.length < n - 1 && i + 1 < itemCounts.length && acc >= (total * (slices.length + 1)) / n) {
      slices.push({ first, counts: itemCounts.slice(first, i + 1) });
      first = i + 1;
    }
  }
  slices.push({ first, counts: itemCounts.slice(first) });
  return slices;
}

/**
 * Writes the whale's rows: its tag vocabulary first, then the project slices in parallel. Each
 * step commits on its own; on failure the caller removes the account (cleanupRun by account),
 * so nothing partial survives.
 */
export async function generateWhale(pool: pg.Pool, s: WhaleSpec, parallel = 2): Promise<Partial<RowCounts>> {
  const tags = s.tagsPerItem > 0 ? await inTransaction(pool, (c) => createTags(c, s)) : 0;
  // Per-row foreign-key triggers off where allowed: every reference below is made by the same
  // statements from rows they have just written (ids reserved from the sequences), so the keys
  // hold by construction; the correctness suite checks them on generated whales.
  const parts = await Promise.all(sliceProjects(s.itemCounts, parallel).map((slice) => inTransaction(pool, async (c) => (await bulkLoadMode(c), generateSlice(c, s, slice)))));
  const total: Partial<RowCounts> = { tags };
  for (const part of parts) {
    for (const [k, v] of Object.entries(part) as [keyof RowCounts, number][]) total[k] = (total[k] ?? 0) + v;
  }
  return total;
}

/** The account's tag vocabulary: the first words of its bank, lower-cased. */
async function createTags(db: Queryable, s: WhaleSpec): Promise<number> {
  const t = await db.query(
    `INSERT INTO tags (test_run_id, expires_at, account_id, name)
     SELECT $1, now() + make_interval(secs => $2), $3, w FROM (SELECT DISTINCT lower(unnest($4::text[])) AS w) d`,
    [s.runId, s.ttlSeconds, s.accountId, s.bank.words.slice(0, 40)],
  );
  return t.rowCount ?? 0;
}

async function loadBank(db: Queryable, s: WhaleSpec) {
  // Text banks as a temp table: an indexed lookup per pick, instead of scanning array params.
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
  return { project: s.bank.projectNames.length, title: s.bank.titles.length, paragraph: s.bank.paragraphs.length, comment: s.bank.comments.length, word: s.bank.words.length };
}

/** One slice: projects first+1 … first+counts.length (global 1-based positions) and their rows. */
async function generateSlice(db: Queryable, s: WhaleSpec, slice: { first: number; counts: number[] }): Promise<Partial<RowCounts>> {
  const n = await loadBank(db, s);
  const tag = `$2::text, now() + make_interval(secs => $3)`;
  const base = [s.seed, s.runId, s.ttlSeconds, s.accountId];
  const projectIds = await reserveIds(db, 'projects', slice.counts.length);

  // Projects: created over the 180 days before the reference date.
  await db.query(
    `INSERT INTO projects (id, test_run_id, expires_at, account_id, name, description, created_at, updated_at)
     OVERRIDING SYSTEM VALUE
     SELECT p.id, ${tag}, $4, pn.t || ' ' || p.k::text, pd.t, p.created, p.created
       FROM (SELECT u.id, u.k + $7 AS k,
                    $6::timestamptz - make_interval(days => 180 - (${H("'p' || (u.k + $7)")} % 170), hours => 8 + ${H("'ph' || (u.k + $7)")} % 10) AS created
               FROM unnest($5::bigint[]) WITH ORDINALITY AS u(id, k)) p
       JOIN whale_bank pn ON pn.kind = 'project' AND pn.k = ${H("'pn' || p.k")} % ${n.project}
       JOIN whale_bank pd ON pd.kind = 'paragraph' AND pd.k = ${H("'pd' || p.k")} % ${n.paragraph}`,
    [...base, projectIds, s.referenceDate, slice.first],
  );

  // Items, first into a temp table that keeps each item's position (project k, item j): the
  // comments, attachments and tags below join on it instead of re-deriving positions.
  // State: 25% draft, 65% published, 10% archived, with the history in order; 1–6 paragraphs.
  await db.query(
    `CREATE TEMP TABLE whale_items ON COMMIT DROP AS
     SELECT nextval($5::regclass) AS id, x.*,
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
           FROM (SELECT u.id, u.cnt, u.k + $4 AS k FROM unnest($2::bigint[], $3::int[]) WITH ORDINALITY AS u(id, cnt, k)) p
           JOIN projects pr ON pr.id = p.id
           CROSS JOIN LATERAL generate_series(1, p.cnt) AS j
           JOIN whale_bank t ON t.kind = 'title' AND t.k = ${H("'it' || p.k || '/' || j")} % ${n.title}
       ) x`,
    [s.seed, projectIds, slice.counts, slice.first, await idSequence(db, 'items')],
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
         SELECT nextval($7::regclass) AS id, it.id AS item_id, c,
                it.created + make_interval(hours => c * (1 + ${H("'ch' || it.pos || '/' || c")} % 48)) AS created,
                ${H("'cb' || it.pos || '/' || c")} % ${n.comment} AS body_k
           FROM whale_items it CROSS JOIN LATERAL generate_series(1, ${H("'cn' || it.pos")} % ${2 * s.commentDepth + 1}) AS c)
       INSERT INTO comments (id, test_run_id, expires_at, account_id, item_id, parent_id, author, body, created_at)
       OVERRIDING SYSTEM VALUE
       SELECT c.id, ${tag}, $4, c.item_id,
              CASE WHEN (c.c - 1) % $5 <> 0 THEN lag(c.id) OVER (PARTITION BY c.item_id ORDER BY c.c) END,
              $6, b.t, c.created
         FROM c JOIN whale_bank b ON b.kind = 'comment' AND b.k = c.body_k`,
      [...base, s.commentDepth, s.authorName, await idSequence(db, 'comments')],
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

  let itemTags = 0;
  if (s.tagsPerItem > 0) {
    const r = await db.query(
      `WITH tg AS (SELECT id, (row_number() OVER (ORDER BY name) - 1)::int AS r, count(*) OVER ()::int AS n FROM tags WHERE account_id = $4)
       INSERT INTO item_tags (test_run_id, expires_at, account_id, item_id, tag_id)
       SELECT ${tag}, $4, it.id, tg.id
         FROM whale_items it CROSS JOIN LATERAL generate_series(0, ${H("'tn' || it.pos")} % ($5 + 1) - 1) AS q
         JOIN tg ON tg.r = (${H("'ts' || it.pos")} + q) % tg.n`,
      [...base, s.tagsPerItem],
    );
    itemTags = r.rowCount ?? 0;
  }
  return { projects: projectIds.length, items: items.rowCount ?? 0, comments, attachments, item_tags: itemTags };
}
