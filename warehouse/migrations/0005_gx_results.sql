-- Where each run's Great Expectations results and Data Docs are, and its batch-level warnings.
ALTER TABLE runs ADD COLUMN gx_results VARCHAR;
ALTER TABLE runs ADD COLUMN gx_docs VARCHAR;
ALTER TABLE runs ADD COLUMN gx_warnings VARCHAR[];
