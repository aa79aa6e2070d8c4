-- Core domain: accounts → projects → items → comments, attachments, tags.
--
-- Test data lives apart from real data, per run. Every table that can hold test data is
-- partitioned by test_run_id: real rows ('' , expires_at NULL) in the <table>_real partition,
-- each run's rows in partitions of their own, created when the run seeds its first account
-- (sql/partitions.ts). Cleaning up a run detaches and drops its partitions: no row-by-row
-- deletes, no dead tuples in anyone else's data, no cascades through shared tables. There is no
-- default partition on purpose: a row of a run without partitions is an error, not a leak.
--
-- Keys carry test_run_id (a partitioned table's unique keys must include the partition key).
-- Foreign keys are declared between the partitions of one run, not on the parents: each run is
-- a self-contained set of plain tables (checks are as cheap as on unpartitioned tables, and
-- detaching a run validates nothing across runs). sql/partitions.ts holds the list, applies it
-- to every run's partitions, and checks at start that the real partitions below carry it.

CREATE TABLE accounts (
  id           bigint GENERATED ALWAYS AS IDENTITY,
  name         text NOT NULL,
  email        text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  test_run_id  text NOT NULL DEFAULT '',
  expires_at   timestamptz,
  PRIMARY KEY (id, test_run_id),
  UNIQUE (email, test_run_id),
  CHECK ((test_run_id = '') = (expires_at IS NULL))
) PARTITION BY LIST (test_run_id);

CREATE TABLE api_tokens (
  id           bigint GENERATED ALWAYS AS IDENTITY,
  account_id   bigint NOT NULL,
  -- sha256 of the bearer token: a leaked table does not leak credentials.
  token_hash   bytea NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  test_run_id  text NOT NULL DEFAULT '',
  expires_at   timestamptz,
  PRIMARY KEY (id, test_run_id),
  UNIQUE (token_hash, test_run_id),
  CHECK ((test_run_id = '') = (expires_at IS NULL))
) PARTITION BY LIST (test_run_id);
CREATE INDEX api_tokens_account_idx ON api_tokens (account_id);

CREATE TABLE projects (
  id           bigint GENERATED ALWAYS AS IDENTITY,
  account_id   bigint NOT NULL,
  name         text NOT NULL,
  description  text NOT NULL DEFAULT '',
  -- Optimistic concurrency: every update bumps it; a stale If-Match gets 409.
  version      integer NOT NULL DEFAULT 1,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  test_run_id  text NOT NULL DEFAULT '',
  expires_at   timestamptz,
  PRIMARY KEY (id, test_run_id),
  CHECK ((test_run_id = '') = (expires_at IS NULL))
) PARTITION BY LIST (test_run_id);
CREATE INDEX projects_account_updated_idx ON projects (account_id, updated_at DESC, id DESC);

CREATE TABLE items (
  id            bigint GENERATED ALWAYS AS IDENTITY,
  project_id    bigint NOT NULL,
  -- Denormalised owner: tenant checks and dashboards never join through projects.
  account_id    bigint NOT NULL,
  title         text NOT NULL,
  body          text NOT NULL DEFAULT '',
  state         text NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'published', 'archived')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  published_at  timestamptz,
  archived_at   timestamptz,
  test_run_id   text NOT NULL DEFAULT '',
  expires_at    timestamptz,
  PRIMARY KEY (id, test_run_id),
  CHECK ((test_run_id = '') = (expires_at IS NULL)),
  -- The state machine's history must be consistent with the state itself.
  CHECK (state = 'draft' OR published_at IS NOT NULL),
  CHECK (state <> 'archived' OR archived_at IS NOT NULL),
  CHECK (published_at IS NULL OR published_at >= created_at),
  CHECK (archived_at IS NULL OR archived_at >= published_at)
) PARTITION BY LIST (test_run_id);
-- Keyset pagination, newest first, optionally by state: these are the indexes item listing
-- lives on (APP_FAULTS=drop_index removes the first to show what a missing index costs).
CREATE INDEX items_project_created_idx ON items (project_id, created_at DESC, id DESC);
CREATE INDEX items_project_state_created_idx ON items (project_id, state, created_at DESC, id DESC);
CREATE INDEX items_account_updated_idx ON items (account_id, updated_at DESC);

CREATE TABLE comments (
  id           bigint GENERATED ALWAYS AS IDENTITY,
  item_id      bigint NOT NULL,
  account_id   bigint NOT NULL,
  -- Threads: a reply points at the comment it answers, in the same item.
  parent_id    bigint,
  author       text NOT NULL,
  body         text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  test_run_id  text NOT NULL DEFAULT '',
  expires_at   timestamptz,
  PRIMARY KEY (id, test_run_id),
  CHECK ((test_run_id = '') = (expires_at IS NULL))
) PARTITION BY LIST (test_run_id);
CREATE INDEX comments_item_idx ON comments (item_id, created_at, id);
CREATE INDEX comments_account_created_idx ON comments (account_id, created_at DESC, id DESC);
CREATE INDEX comments_parent_idx ON comments (parent_id) WHERE parent_id IS NOT NULL;

CREATE TABLE attachments (
  id            bigint GENERATED ALWAYS AS IDENTITY,
  item_id       bigint NOT NULL,
  account_id    bigint NOT NULL,
  filename      text NOT NULL,
  content_type  text NOT NULL,
  size_bytes    bigint NOT NULL CHECK (size_bytes >= 0),
  created_at    timestamptz NOT NULL DEFAULT now(),
  test_run_id   text NOT NULL DEFAULT '',
  expires_at    timestamptz,
  PRIMARY KEY (id, test_run_id),
  CHECK ((test_run_id = '') = (expires_at IS NULL))
) PARTITION BY LIST (test_run_id);
CREATE INDEX attachments_item_idx ON attachments (item_id, id);
CREATE INDEX attachments_account_idx ON attachments (account_id);

CREATE TABLE tags (
  id           bigint GENERATED ALWAYS AS IDENTITY,
  account_id   bigint NOT NULL,
  name         text NOT NULL,
  test_run_id  text NOT NULL DEFAULT '',
  expires_at   timestamptz,
  PRIMARY KEY (id, test_run_id),
  UNIQUE (account_id, name, test_run_id),
  CHECK ((test_run_id = '') = (expires_at IS NULL))
) PARTITION BY LIST (test_run_id);

CREATE TABLE item_tags (
  item_id      bigint NOT NULL,
  tag_id       bigint NOT NULL,
  account_id   bigint NOT NULL,
  test_run_id  text NOT NULL DEFAULT '',
  expires_at   timestamptz,
  PRIMARY KEY (item_id, tag_id, test_run_id),
  CHECK ((test_run_id = '') = (expires_at IS NULL))
) PARTITION BY LIST (test_run_id);
CREATE INDEX item_tags_tag_idx ON item_tags (tag_id);
CREATE INDEX item_tags_account_idx ON item_tags (account_id);

-- Real data's partitions.
CREATE TABLE accounts_real    PARTITION OF accounts    FOR VALUES IN ('');
CREATE TABLE api_tokens_real  PARTITION OF api_tokens  FOR VALUES IN ('');
CREATE TABLE projects_real    PARTITION OF projects    FOR VALUES IN ('');
CREATE TABLE items_real       PARTITION OF items       FOR VALUES IN ('');
CREATE TABLE comments_real    PARTITION OF comments    FOR VALUES IN ('');
CREATE TABLE attachments_real PARTITION OF attachments FOR VALUES IN ('');
CREATE TABLE tags_real        PARTITION OF tags        FOR VALUES IN ('');
CREATE TABLE item_tags_real   PARTITION OF item_tags   FOR VALUES IN ('');

ALTER TABLE api_tokens_real  ADD CONSTRAINT api_tokens_real_account_id_fk  FOREIGN KEY (account_id, test_run_id) REFERENCES accounts_real (id, test_run_id) ON DELETE CASCADE;
ALTER TABLE projects_real    ADD CONSTRAINT projects_real_account_id_fk    FOREIGN KEY (account_id, test_run_id) REFERENCES accounts_real (id, test_run_id) ON DELETE CASCADE;
ALTER TABLE items_real       ADD CONSTRAINT items_real_project_id_fk       FOREIGN KEY (project_id, test_run_id) REFERENCES projects_real (id, test_run_id) ON DELETE CASCADE;
ALTER TABLE items_real       ADD CONSTRAINT items_real_account_id_fk       FOREIGN KEY (account_id, test_run_id) REFERENCES accounts_real (id, test_run_id) ON DELETE CASCADE;
ALTER TABLE comments_real    ADD CONSTRAINT comments_real_item_id_fk       FOREIGN KEY (item_id, test_run_id) REFERENCES items_real (id, test_run_id) ON DELETE CASCADE;
ALTER TABLE comments_real    ADD CONSTRAINT comments_real_account_id_fk    FOREIGN KEY (account_id, test_run_id) REFERENCES accounts_real (id, test_run_id) ON DELETE CASCADE;
ALTER TABLE comments_real    ADD CONSTRAINT comments_real_parent_id_fk     FOREIGN KEY (parent_id, test_run_id) REFERENCES comments_real (id, test_run_id) ON DELETE CASCADE;
ALTER TABLE attachments_real ADD CONSTRAINT attachments_real_item_id_fk    FOREIGN KEY (item_id, test_run_id) REFERENCES items_real (id, test_run_id) ON DELETE CASCADE;
ALTER TABLE attachments_real ADD CONSTRAINT attachments_real_account_id_fk FOREIGN KEY (account_id, test_run_id) REFERENCES accounts_real (id, test_run_id) ON DELETE CASCADE;
ALTER TABLE tags_real        ADD CONSTRAINT tags_real_account_id_fk        FOREIGN KEY (account_id, test_run_id) REFERENCES accounts_real (id, test_run_id) ON DELETE CASCADE;
ALTER TABLE item_tags_real   ADD CONSTRAINT item_tags_real_item_id_fk      FOREIGN KEY (item_id, test_run_id) REFERENCES items_real (id, test_run_id) ON DELETE CASCADE;
ALTER TABLE item_tags_real   ADD CONSTRAINT item_tags_real_tag_id_fk       FOREIGN KEY (tag_id, test_run_id) REFERENCES tags_real (id, test_run_id) ON DELETE CASCADE;
ALTER TABLE item_tags_real   ADD CONSTRAINT item_tags_real_account_id_fk   FOREIGN KEY (account_id, test_run_id) REFERENCES accounts_real (id, test_run_id) ON DELETE CASCADE;

-- Expiry is per account: an account's rows share its TTL, and rows made later inherit it. Whole
-- runs expire through test_runs and are dropped; an account that expires before its run (a
-- shorter TTL) is found here and deleted by account_id, which every table indexes. One small
-- index instead of one on every test row of every table.
CREATE INDEX accounts_expires_idx ON accounts (expires_at) WHERE expires_at IS NOT NULL;

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
CREATE INDEX test_runs_expires_idx ON test_runs (expires_at) WHERE cleaned_at IS NULL;

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
