-- Core domain: accounts → projects → items → comments, attachments, tags.
--
-- Every table that can hold test data carries test_run_id and expires_at (both NULL for real
-- data). Cleanup by run and the TTL reaper only ever touch rows where they are set, through the
-- partial indexes below, so real rows cost those indexes nothing.

CREATE TABLE accounts (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name         text NOT NULL,
  email        text NOT NULL UNIQUE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  test_run_id  text,
  expires_at   timestamptz,
  CHECK ((test_run_id IS NULL) = (expires_at IS NULL))
);

CREATE TABLE api_tokens (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id   bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  -- sha256 of the bearer token: a leaked table does not leak credentials.
  token_hash   bytea NOT NULL UNIQUE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  test_run_id  text,
  expires_at   timestamptz,
  CHECK ((test_run_id IS NULL) = (expires_at IS NULL))
);
CREATE INDEX api_tokens_account_idx ON api_tokens (account_id);

CREATE TABLE projects (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id   bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name         text NOT NULL,
  description  text NOT NULL DEFAULT '',
  -- Optimistic concurrency: every update bumps it; a stale If-Match gets 409.
  version      integer NOT NULL DEFAULT 1,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  test_run_id  text,
  expires_at   timestamptz,
  CHECK ((test_run_id IS NULL) = (expires_at IS NULL))
);
CREATE INDEX projects_account_updated_idx ON projects (account_id, updated_at DESC, id DESC);

CREATE TABLE items (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id    bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  -- Denormalised owner: tenant checks and dashboards never join through projects.
  account_id    bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  title         text NOT NULL,
  body          text NOT NULL DEFAULT '',
  state         text NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'published', 'archived')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  published_at  timestamptz,
  archived_at   timestamptz,
  test_run_id   text,
  expires_at    timestamptz,
  CHECK ((test_run_id IS NULL) = (expires_at IS NULL)),
  -- The state machine's history must be consistent with the state itself.
  CHECK (state = 'draft' OR published_at IS NOT NULL),
  CHECK (state <> 'archived' OR archived_at IS NOT NULL),
  CHECK (published_at IS NULL OR published_at >= created_at),
  CHECK (archived_at IS NULL OR archived_at >= published_at)
);
-- Keyset pagination, newest first, optionally by state: these are the indexes item listing
-- lives on (APP_FAULTS=drop_index removes the first to show what a missing index costs).
CREATE INDEX items_project_created_idx ON items (project_id, created_at DESC, id DESC);
CREATE INDEX items_project_state_created_idx ON items (project_id, state, created_at DESC, id DESC);
CREATE INDEX items_account_updated_idx ON items (account_id, updated_at DESC);

CREATE TABLE comments (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  item_id      bigint NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  account_id   bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  -- Threads: a reply points at the comment it answers, in the same item.
  parent_id    bigint REFERENCES comments(id) ON DELETE CASCADE,
  author       text NOT NULL,
  body         text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  test_run_id  text,
  expires_at   timestamptz,
  CHECK ((test_run_id IS NULL) = (expires_at IS NULL))
);
CREATE INDEX comments_item_idx ON comments (item_id, created_at, id);
CREATE INDEX comments_account_created_idx ON comments (account_id, created_at DESC, id DESC);
CREATE INDEX comments_parent_idx ON comments (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX comments_account_idx ON comments (account_id);

CREATE TABLE attachments (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  item_id       bigint NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  account_id    bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  filename      text NOT NULL,
  content_type  text NOT NULL,
  size_bytes    bigint NOT NULL CHECK (size_bytes >= 0),
  created_at    timestamptz NOT NULL DEFAULT now(),
  test_run_id   text,
  expires_at    timestamptz,
  CHECK ((test_run_id IS NULL) = (expires_at IS NULL))
);
CREATE INDEX attachments_item_idx ON attachments (item_id, id);
CREATE INDEX attachments_account_idx ON attachments (account_id);

CREATE TABLE tags (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id   bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name         text NOT NULL,
  test_run_id  text,
  expires_at   timestamptz,
  UNIQUE (account_id, name),
  CHECK ((test_run_id IS NULL) = (expires_at IS NULL))
);

CREATE TABLE item_tags (
  item_id      bigint NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  account_id   bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  tag_id       bigint NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
  test_run_id  text,
  expires_at   timestamptz,
  PRIMARY KEY (item_id, tag_id),
  CHECK ((test_run_id IS NULL) = (expires_at IS NULL))
);
CREATE INDEX item_tags_tag_idx ON item_tags (tag_id);
CREATE INDEX item_tags_account_idx ON item_tags (account_id);

-- Cleanup by run and the TTL reaper: partial, so real data never pays for them.
CREATE INDEX accounts_run_idx     ON accounts     (test_run_id) WHERE test_run_id IS NOT NULL;
CREATE INDEX api_tokens_run_idx   ON api_tokens   (test_run_id) WHERE test_run_id IS NOT NULL;
CREATE INDEX projects_run_idx     ON projects     (test_run_id) WHERE test_run_id IS NOT NULL;
CREATE INDEX items_run_idx        ON items        (test_run_id) WHERE test_run_id IS NOT NULL;
CREATE INDEX comments_run_idx     ON comments     (test_run_id) WHERE test_run_id IS NOT NULL;
CREATE INDEX attachments_run_idx  ON attachments  (test_run_id) WHERE test_run_id IS NOT NULL;
CREATE INDEX tags_run_idx         ON tags         (test_run_id) WHERE test_run_id IS NOT NULL;
CREATE INDEX item_tags_run_idx    ON item_tags    (test_run_id) WHERE test_run_id IS NOT NULL;
CREATE INDEX accounts_expires_idx     ON accounts     (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX api_tokens_expires_idx   ON api_tokens   (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX projects_expires_idx     ON projects     (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX items_expires_idx        ON items        (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX comments_expires_idx     ON comments     (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX attachments_expires_idx  ON attachments  (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX tags_expires_idx         ON tags         (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX item_tags_expires_idx    ON item_tags    (expires_at) WHERE expires_at IS NOT NULL;

-- Who created what, when, with which seed: a failed run can be debugged from here. Not test data
-- itself (it outlives the run's rows, marked cleaned), so it has run_id, not test_run_id.
CREATE TABLE test_runs (
  run_id       text PRIMARY KEY,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  seed         text,
  profile      text,
  counts       jsonb NOT NULL DEFAULT '{}'::jsonb,
  seed_ms      bigint NOT NULL DEFAULT 0,
  cleaned_at   timestamptz
);

-- Every call to /internal/test/*, allowed or refused.
CREATE TABLE audit_log (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at           timestamptz NOT NULL DEFAULT now(),
  method       text NOT NULL,
  route        text NOT NULL,
  outcome      text NOT NULL,
  remote_addr  text NOT NULL,
  run_id       text,
  request_id   text NOT NULL,
  detail       jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
