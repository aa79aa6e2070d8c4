/**
 * conduit: a second backend, unlike app/ on purpose, the way real backends differ: Express, not
 * Fastify; everything under /api; `Authorization: Token <t>`; errors shaped
 * `{ errors: { field: [message] } }` with 422 for bad input; LIMIT/OFFSET pagination; and none
 * of the harness's evidence headers, test endpoints or /metrics. The harness tests it with what
 * it has.
 */
import { createHash, randomBytes } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type pg from 'pg';

type User = { id: string; username: string; email: string; bio: string; token: string };
type Authed = Request & { user?: User };

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly errors: Record<string, string[]>,
  ) {
    super(
      Object.entries(errors)
        .map(([k, v]) => `${k} ${v.join(', ')}`)
        .join('; '),
    );
  }
}
const unprocessable = (field: string, msg: string) => new HttpError(422, { [field]: [msg] });
const notFound = (what: string) => new HttpError(404, { [what]: ['not found'] });

/** A bounded, trimmed string field, or a 422 naming it. */
function text(body: unknown, field: string, o: { max: number; required?: boolean }): string | undefined {
  const v = (body as Record<string, unknown> | undefined)?.[field];
  if (v === undefined || v === null || v === '') {
    if (o.required) throw unprocessable(field, "can't be blank");
    return undefined;
  }
  if (typeof v !== 'string') throw unprocessable(field, 'must be a string');
  if (v.length > o.max) throw unprocessable(field, `is too long (maximum is ${o.max} characters)`);
  if (v.includes('\u0000')) throw unprocessable(field, 'must not contain NUL characters');
  return v.trim();
}

/** `?limit=&offset=` as the RealWorld spec has them: 20 and 0 by default, limit at most 100. */
function page(q: Request['query']): { limit: number; offset: number } {
  const num = (name: string, fallback: number, max: number) => {
    const raw = q[name];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (typeof raw !== 'string' || !/^\d+$/.test(raw) || n > max) throw unprocessable(name, `must be a whole number from 0 to ${max}`);
    return n;
  };
  return { limit: Math.max(1, num('limit', 20, 100)), offset: num('offset', 0, 1_000_000) };
}

const hashPassword = (p: string) => createHash('sha256').update(p).digest('hex');
const slugify = (t: string) =>
  t
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60) || 'article';
const article = (r: Record<string, unknown>) => ({
  slug: r.slug,
  title: r.title,
  description: r.description,
  ...(r.body !== undefined && { body: r.body }),
  createdAt: (r.created_at as Date).toISOString(),
  author: { username: r.username },
  ...(r.comments_count !== undefined && { commentsCount: Number(r.comments_count) }),
});

export function buildApp(db: pg.Pool) {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '100kb' }));
  const api = express.Router();

  const auth = (required: boolean) => async (req: Authed, _res: Response, next: NextFunction) => {
    const m = /^Token (\S+)$/.exec(req.headers.authorization ?? '');
    if (m) {
      const { rows } = await db.query<User>('SELECT id::text, username, email, bio, token FROM users WHERE token = $1', [m[1]]);
      req.user = rows[0];
    }
    if (required && !req.user) throw new HttpError(401, { token: ['is missing or invalid'] });
    next();
  };

  api.get('/ping', async (_req, res) => {
    await db.query('SELECT 1');
    res.json({ ok: true });
  });

  api.post('/users', async (req, res) => {
    const u = req.body?.user;
    const username = text(u, 'username', { max: 40, required: true })!;
    const email = text(u, 'email', { max: 200, required: true })!;
    const password = text(u, 'password', { max: 200, required: true })!;
    if (!/^[^@\s]+@[^@\s]+$/.test(email)) throw unprocessable('email', 'is invalid');
    const token = randomBytes(24).toString('hex');
    try {
      const { rows } = await db.query<User>('INSERT INTO users (username, email, password_hash, token) VALUES ($1, $2, $3, $4) RETURNING id::text, username, email, bio, token', [
        username,
        email,
        hashPassword(password),
        token,
      ]);
      res.status(201).json({ user: rows[0] });
    } catch (e) {
      if ((e as { code?: string }).code === '23505') throw unprocessable((e as { constraint?: string }).constraint?.includes('email') ? 'email' : 'username', 'has already been taken');
      throw e;
    }
  });

  // RealWorld's login: the user's token for an email and password.
  api.post('/users/login', async (req, res) => {
    const u = req.body?.user;
    const email = text(u, 'email', { max: 200, required: true })!;
    const password = text(u, 'password', { max: 200, required: true })!;
    const { rows } = await db.query<User>('SELECT id::text, username, email, bio, token FROM users WHERE email = $1 AND password_hash = $2', [email, hashPassword(password)]);
    if (!rows[0]) throw new HttpError(401, { 'email or password': ['is invalid'] });
    res.json({ user: rows[0] });
  });

  api.get('/user', auth(true), (req: Authed, res) => res.json({ user: req.user }));

  api.get('/profiles/:username', async (req, res) => {
    const { rows } = await db.query('SELECT u.username, u.bio, (SELECT count(*) FROM articles a WHERE a.author_id = u.id)::int AS "articlesCount" FROM users u WHERE u.username = $1', [
      req.params.username,
    ]);
    if (!rows[0]) throw notFound('profile');
    res.json({ profile: rows[0] });
  });

  api.get('/articles', async (req, res) => {
    const { limit, offset } = page(req.query);
    const author = typeof req.query.author === 'string' ? req.query.author : null;
    const where = author ? 'WHERE a.author_id = (SELECT id FROM users WHERE username = $3)' : '';
    const params: unknown[] = [limit, offset, ...(author ? [author] : [])];
    const list = await db.query(
      `SELECT a.slug, a.title, a.description, a.created_at, u.username FROM articles a JOIN users u ON u.id = a.author_id ${where}
        ORDER BY a.created_at DESC, a.id DESC LIMIT $1 OFFSET $2`,
      params,
    );
    const count = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM articles a ${where.replace('$3', '$1')}`, author ? [author] : []);
    res.json({ articles: list.rows.map(article), articlesCount: count.rows[0]!.n });
  });

  api.post('/articles', auth(true), async (req: Authed, res) => {
    const a = req.body?.article;
    const title = text(a, 'title', { max: 200, required: true })!;
    const description = text(a, 'description', { max: 500 }) ?? '';
    const body = text(a, 'body', { max: 50_000, required: true })!;
    const slug = `${slugify(title)}-${randomBytes(4).toString('hex')}`;
    const { rows } = await db.query(
      `INSERT INTO articles (slug, author_id, title, description, body) VALUES ($1, $2, $3, $4, $5)
       RETURNING slug, title, description, body, created_at, $6::text AS username`,
      [slug, req.user!.id, title, description, body, req.user!.username],
    );
    res.status(201).json({ article: article(rows[0]!) });
  });

  const findArticle = async (slug: string) => {
    const { rows } = await db.query(
      `SELECT a.id::text, a.author_id::text, a.slug, a.title, a.description, a.body, a.created_at, u.username,
              (SELECT count(*) FROM comments c WHERE c.article_id = a.id) AS comments_count
         FROM articles a JOIN users u ON u.id = a.author_id WHERE a.slug = $1`,
      [slug],
    );
    if (!rows[0]) throw notFound('article');
    return rows[0] as Record<string, unknown> & { id: string; author_id: string };
  };

  api.get('/articles/:slug', async (req, res) => res.json({ article: article(await findArticle(req.params.slug)) }));

  api.delete('/articles/:slug', auth(true), async (req: Authed, res) => {
    const a = await findArticle(String(req.params.slug));
    if (a.author_id !== req.user!.id) throw new HttpError(403, { article: ['is not yours'] });
    await db.query('DELETE FROM articles WHERE id = $1', [a.id]);
    res.status(204).end();
  });

  api.get('/articles/:slug/comments', async (req, res) => {
    const { limit, offset } = page(req.query);
    const a = await findArticle(req.params.slug);
    const { rows } = await db.query(
      `SELECT c.id::text, c.body, c.created_at, u.username FROM comments c JOIN users u ON u.id = c.author_id
        WHERE c.article_id = $1 ORDER BY c.created_at DESC, c.id DESC LIMIT $2 OFFSET $3`,
      [a.id, limit, offset],
    );
    res.json({ comments: rows.map((c) => ({ id: c.id, body: c.body, createdAt: (c.created_at as Date).toISOString(), author: { username: c.username } })), commentsCount: Number(a.comments_count) });
  });

  api.post('/articles/:slug/comments', auth(true), async (req: Authed, res) => {
    const body = text(req.body?.comment, 'body', { max: 5_000, required: true })!;
    const a = await findArticle(String(req.params.slug));
    const { rows } = await db.query('INSERT INTO comments (article_id, author_id, body) VALUES ($1, $2, $3) RETURNING id::text, body, created_at', [a.id, req.user!.id, body]);
    res.status(201).json({ comment: { id: rows[0].id, body: rows[0].body, createdAt: (rows[0].created_at as Date).toISOString(), author: { username: req.user!.username } } });
  });

  api.delete('/articles/:slug/comments/:id', auth(true), async (req: Authed, res) => {
    if (!/^\d{1,18}$/.test(String(req.params.id))) throw notFound('comment');
    const { rows } = await db.query('SELECT author_id::text FROM comments WHERE id = $1', [req.params.id]);
    if (!rows[0]) throw notFound('comment');
    if (rows[0].author_id !== req.user!.id) throw new HttpError(403, { comment: ['is not yours'] });
    await db.query('DELETE FROM comments WHERE id = $1', [req.params.id]);
    res.status(204).end();
  });

  app.use('/api', api);
  app.use((_req, _res, next) => next(notFound('route')));
  // One error shape for everything, the framework's own errors (bad JSON, too large) included.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    void _next;
    if (err instanceof HttpError) return void res.status(err.status).json({ errors: err.errors });
    const status = (err as { status?: number; type?: string }).status;
    if (status && status >= 400 && status < 500) return void res.status(status === 400 ? 422 : status).json({ errors: { body: [(err as Error).message] } });
    console.error(JSON.stringify({ msg: 'unhandled error', error: String((err as Error)?.stack ?? err) }));
    res.status(500).json({ errors: { server: ['internal error'] } });
  });
  return app;
}
