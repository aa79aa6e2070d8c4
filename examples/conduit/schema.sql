-- The example's schema: plain tables, no run columns, no partitions. Nothing here knows a test
-- suite exists; the suite's SQL seeding keeps its own ledger (pressure_ledger) of what it wrote.
CREATE TABLE IF NOT EXISTS users (
  id bigserial PRIMARY KEY,
  username text NOT NULL UNIQUE,
  email text NOT NULL UNIQUE,
  password_hash text NOT NULL,
  token text NOT NULL UNIQUE,
  bio text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS articles (
  id bigserial PRIMARY KEY,
  slug text NOT NULL UNIQUE,
  author_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title text NOT NULL,
  description text NOT NULL,
  body text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS articles_author_created ON articles (author_id, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS articles_created ON articles (created_at DESC, id DESC);
CREATE TABLE IF NOT EXISTS comments (
  id bigserial PRIMARY KEY,
  article_id bigint NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
  author_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  body text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS comments_article_created ON comments (article_id, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS comments_author ON comments (author_id);
