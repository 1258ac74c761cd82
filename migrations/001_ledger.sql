-- Ledger of the continuous-training pipeline: what was published, which records went into which
-- training batch, what each retrain cycle decided, and where each model version came from.

-- Sample ids already published to the stream, so a retried publish does not send them twice.
CREATE TABLE published_samples (
  sample_id     text PRIMARY KEY,
  topic         text NOT NULL,
  publish_count integer NOT NULL DEFAULT 1 CHECK (publish_count >= 1),
  first_published_at timestamptz NOT NULL DEFAULT now(),
  last_published_at  timestamptz NOT NULL DEFAULT now()
);

-- Retrain cycles: id = the workflow id, so a retried workflow step finds its own row.
CREATE TABLE retrain_cycles (
  id              text PRIMARY KEY,
  decision        text NOT NULL CHECK (decision IN ('promoted', 'rejected', 'skipped')),
  reason          text NOT NULL,
  champion_before text,
  champion_after  text,
  metrics         jsonb NOT NULL DEFAULT '{}'::jsonb,
  recorded_at     timestamptz NOT NULL DEFAULT now()
);

-- One batch = a contiguous offset range of one partition, frozen in a snapshot file.
CREATE TABLE batches (
  id                  text PRIMARY KEY,
  topic               text NOT NULL,
  partition           integer NOT NULL CHECK (partition >= 0),
  start_offset        bigint NOT NULL CHECK (start_offset >= 0),
  end_offset          bigint NOT NULL,
  file_path           text NOT NULL,
  sha256              char(64) NOT NULL,
  consumed_count      integer NOT NULL CHECK (consumed_count >= 0),
  valid_count         integer NOT NULL CHECK (valid_count >= 0),
  dead_lettered_count integer NOT NULL CHECK (dead_lettered_count >= 0),
  status              text NOT NULL DEFAULT 'snapshotted' CHECK (status IN ('snapshotted', 'used')),
  retrain_cycle_id    text,
  created_at          timestamptz NOT NULL DEFAULT now(),
  used_at             timestamptz,
  CHECK (end_offset >= start_offset),
  CHECK (consumed_count = valid_count + dead_lettered_count),
  CHECK ((status = 'used') = (used_at IS NOT NULL AND retrain_cycle_id IS NOT NULL))
);
CREATE INDEX batches_pending ON batches (topic, partition, start_offset) WHERE status = 'snapshotted';
-- Two batches of one partition must never overlap: that would train on a record twice.
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE batches ADD CONSTRAINT batches_no_overlap
  EXCLUDE USING gist (topic WITH =, partition WITH =, int8range(start_offset, end_offset, '[]') WITH &&);

-- UNIQUE sample_id: no valid sample is in two batches.
CREATE TABLE batch_samples (
  batch_id  text NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
  sample_id text NOT NULL UNIQUE,
  PRIMARY KEY (batch_id, sample_id)
);

CREATE TABLE model_lineage (
  version_id          text PRIMARY KEY,
  parent_version_id   text REFERENCES model_lineage (version_id),
  retrain_cycle_id    text,
  batch_ids           text[] NOT NULL DEFAULT '{}',
  split_manifest_sha256 text NOT NULL,
  created_at          timestamptz NOT NULL DEFAULT now()
);
