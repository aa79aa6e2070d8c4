-- Coordination of the processes of one run (shards on several machines, workers of one):
-- which of them seeds the run's dataset (the first to claim it; the others wait for it and reuse
-- it), and which shards have started and finished (the last one to finish cleans up). Keyed by
-- run; deleted with the run's data.

CREATE TABLE run_datasets (
  run_id      text NOT NULL,
  name        text NOT NULL,
  state       text NOT NULL CHECK (state IN ('seeding', 'ready')),
  claimed_by  text NOT NULL,
  claimed_at  timestamptz NOT NULL DEFAULT now(),
  ready_at    timestamptz,
  -- The dataset's accounts with their API tokens, for the processes that reuse it.
  accounts    jsonb,
  rows        jsonb,
  PRIMARY KEY (run_id, name)
);

CREATE TABLE run_shards (
  run_id       text NOT NULL,
  shard        integer NOT NULL CHECK (shard >= 1),
  total        integer NOT NULL CHECK (total >= 1 AND shard <= total),
  started_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz,
  PRIMARY KEY (run_id, shard)
);
