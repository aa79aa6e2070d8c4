-- Bulk upsert: a caller-chosen key per project (items) and per item (comments), so a batch can
-- be sent again without duplicating rows.
ALTER TABLE items ADD COLUMN external_id text;
CREATE UNIQUE INDEX items_project_external_idx ON items (project_id, external_id, test_run_id) WHERE external_id IS NOT NULL;
ALTER TABLE comments ADD COLUMN external_id text;
CREATE UNIQUE INDEX comments_item_external_idx ON comments (item_id, external_id, test_run_id) WHERE external_id IS NOT NULL;

-- Rows a run may still write: reserved before a seed request writes, released if it fails, so
-- the per-run budget is never exceeded even by concurrent requests.
ALTER TABLE test_runs ADD COLUMN rows_reserved bigint NOT NULL DEFAULT 0;

-- Saved datasets. A saved dataset is a whole database made into a template (see
-- app/db/clone.ts); these tables, empty elsewhere, describe it: what it holds and the accounts
-- (with their API tokens) a run restored from it can act as.
CREATE SCHEMA datasets;
CREATE TABLE datasets.meta (
  name            text PRIMARY KEY,
  profile         text NOT NULL,
  seed            text NOT NULL,
  schema_version  integer NOT NULL,
  counts          jsonb NOT NULL,
  source_run_id   text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE datasets.accounts (
  idx         integer PRIMARY KEY,
  tier        text NOT NULL,
  account_id  bigint NOT NULL,
  email       text NOT NULL,
  token       text NOT NULL
);
