-- Issue 15, the real web: skips, retired failures, withdrawn releases, PDF releases and their attachments.
-- Independent of 0007 and 0008: only new columns and a new table.

-- A release's format ('html' or 'pdf') and the PDFs its page links to.
ALTER TABLE releases ADD COLUMN format VARCHAR DEFAULT 'html';
ALTER TABLE releases ADD COLUMN attachments VARCHAR[];
-- Set when the release's page answered 404/410 in two runs, or the API stopped returning it; never deleted.
-- Exports read it from here (published_releases is the gate's table and is left as it is).
ALTER TABLE releases ADD COLUMN withdrawn_at TIMESTAMPTZ;
ALTER TABLE releases ADD COLUMN withdrawn_reason VARCHAR;

-- Consecutive runs in which the page answered 404/410; at the configured count the failure is retired
-- (kept, no longer retried, no longer a reason for exit 3).
ALTER TABLE fetch_failures ADD COLUMN gone_runs INTEGER DEFAULT 0;
ALTER TABLE fetch_failures ADD COLUMN retired_at TIMESTAMPTZ;

-- Links a run saw and deliberately did not load (robots-disallowed, off-host, not-a-release, pdf-no-text …).
CREATE TABLE skipped_pages (
    source_id       VARCHAR NOT NULL,
    url             VARCHAR NOT NULL,
    reason          VARCHAR NOT NULL,
    detail          VARCHAR,
    first_seen_at   TIMESTAMPTZ NOT NULL,
    last_seen_at    TIMESTAMPTZ NOT NULL,
    last_run_id     VARCHAR,
    PRIMARY KEY (source_id, url)
);
