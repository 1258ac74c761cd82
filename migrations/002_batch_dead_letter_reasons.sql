-- Dead letters of each batch per poison reason (e.g. {"label-out-of-range": 2}), so `status` and the
-- retrain cycles can say WHY records were rejected, not only how many. Batches recorded before this
-- migration keep '{}': their reasons are only on the dead-letter topic.
ALTER TABLE batches ADD COLUMN dead_letter_reasons jsonb NOT NULL DEFAULT '{}'::jsonb
  CHECK (jsonb_typeof(dead_letter_reasons) = 'object');
