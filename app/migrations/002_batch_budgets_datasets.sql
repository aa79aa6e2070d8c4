-- Bulk upsert: a caller-chosen key per project (items) and per item (comments), so a batch can
-- be sent again without duplicating rows.
ALTER TABLE items ADD COLUMN external_id text;
CREATE UNIQUE INDEX items_project_external_idx ON items (project_id, external_id) WHERE external_id IS NOT NULL;
ALTER TABLE comments ADD COLUMN external_id text;
CREATE UNIQUE INDEX comments_item_external_idx ON comments (item_id, external_id) WHERE external_id IS NOT NULL;

-- Rows a run may still write: reserved before a seed request writes, released if it fails, so
-- the per-run budget is never exceeded even by concurrent requests.
ALTER TABLE test_runs ADD COLUMN rows_reserved bigint NOT NULL DEFAULT 0;

-- Saved datasets: a seeded run's rows, kept to be restored under new runs in a fraction of the
-- time it takes to generate them. The row tables (datasets.<table>_v<schema version>) are made
-- on first save, from the live tables, so a schema change never restores stale columns.
CREATE SCHEMA datasets;
CREATE TABLE datasets.catalog (
  name            text PRIMARY KEY,
  profile         text,
  seed            text,
  schema_version  integer NOT NULL,
  counts          jsonb NOT NULL,
  source_run_id   text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);
