-- What background work leaves behind: the provider adapter's record of each notification (the
-- test profile records, never sends) and the search index. Both are test data like the rest:
-- partitioned by run, dropped with it. They have no foreign keys on purpose: a job may finish
-- after its item was deleted, and must not fail (and retry forever) for that.
--
-- enqueued_at is when the write that caused the work committed; the gap to recorded_at /
-- indexed_at is the job's time to completion, the figure the queue's SLA is about.

CREATE TABLE notifications (
  id           bigint GENERATED ALWAYS AS IDENTITY,
  account_id   bigint NOT NULL,
  item_id      bigint NOT NULL,
  channel      text NOT NULL,
  payload      jsonb NOT NULL,
  attempts     integer NOT NULL,
  enqueued_at  timestamptz NOT NULL,
  recorded_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  test_run_id  text NOT NULL DEFAULT '',
  expires_at   timestamptz,
  PRIMARY KEY (id, test_run_id),
  -- A retried job must not notify twice: one record per item and channel.
  UNIQUE (item_id, channel, test_run_id),
  CHECK ((test_run_id = '') = (expires_at IS NULL))
) PARTITION BY LIST (test_run_id);
CREATE INDEX notifications_account_idx ON notifications (account_id);

CREATE TABLE search_documents (
  item_id      bigint NOT NULL,
  account_id   bigint NOT NULL,
  document     tsvector NOT NULL,
  enqueued_at  timestamptz NOT NULL,
  indexed_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  test_run_id  text NOT NULL DEFAULT '',
  expires_at   timestamptz,
  PRIMARY KEY (item_id, test_run_id),
  CHECK ((test_run_id = '') = (expires_at IS NULL))
) PARTITION BY LIST (test_run_id);
CREATE INDEX search_documents_account_idx ON search_documents (account_id);
CREATE INDEX search_documents_document_idx ON search_documents USING gin (document);

CREATE TABLE notifications_real    PARTITION OF notifications    FOR VALUES IN ('');
CREATE TABLE search_documents_real PARTITION OF search_documents FOR VALUES IN ('');
