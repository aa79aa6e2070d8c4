-- Items get a version, as projects have: what If-Match compares (RFC 9110 §13.1.1), so that a
-- PATCH or DELETE on an item a client last saw at another version is refused, not applied.
-- A constant default: PostgreSQL adds the column without rewriting a partition.
ALTER TABLE items ADD COLUMN version integer NOT NULL DEFAULT 1;
