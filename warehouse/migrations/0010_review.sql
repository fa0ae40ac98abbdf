-- Issue 13, review and repair: versions of a release made by a person (suggested repairs applied, or an
-- edit), with their provenance. Only a new table: the ministry's text is never modified or deleted. A
-- reviewed version is an ordinary version of the release (in `releases` while current, then in
-- `release_versions`), so it goes through the same checks and the same gate as the ministry's own.

-- One row per version a review created. Append-only.
CREATE TABLE release_reviews (
    release_id      VARCHAR NOT NULL,
    version         INTEGER NOT NULL,          -- the version this review created (releases.version)
    content_hash    VARCHAR NOT NULL,          -- of that version
    parent_version  INTEGER NOT NULL,          -- the version the reviewer edited
    parent_hash     VARCHAR NOT NULL,
    upstream_hash   VARCHAR NOT NULL,          -- the ministry's version underneath (the parent's, or its own upstream)
    origin          VARCHAR NOT NULL DEFAULT 'review',
    kind            VARCHAR NOT NULL,          -- repair (suggestions applied) | edit (text changed by hand)
    applied         JSON,                      -- repair: [{check, field, start, end, excerpt, replacement}] in the parent's offsets
    diff            VARCHAR NOT NULL,          -- unified diff parent → this version (title and body)
    reviewed_by     VARCHAR NOT NULL,
    reviewed_at     TIMESTAMPTZ NOT NULL,
    reason          VARCHAR NOT NULL,
    run_id          VARCHAR NOT NULL,
    PRIMARY KEY (release_id, version)
);
