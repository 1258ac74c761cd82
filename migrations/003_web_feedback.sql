-- Samples people labelled in the web app, with what the champion in service predicted for the same pixels
-- when they were submitted: the join of prediction and label that accuracy in service is computed from,
-- and where each submission landed in the stream (its trail to a batch and a retrain cycle goes through
-- batch_samples by sample_id).
CREATE TABLE web_feedback (
  sample_id     text PRIMARY KEY,
  label         smallint NOT NULL CHECK (label BETWEEN 0 AND 9),
  -- Both null when no champion was in service.
  predicted     smallint CHECK (predicted BETWEEN 0 AND 9),
  model_version text,
  topic         text NOT NULL,
  partition     integer NOT NULL CHECK (partition >= 0),
  "offset"      bigint NOT NULL CHECK ("offset" >= 0),
  submitted_at  timestamptz NOT NULL DEFAULT now(),
  CHECK ((predicted IS NULL) = (model_version IS NULL))
);
CREATE INDEX web_feedback_version ON web_feedback (model_version);
