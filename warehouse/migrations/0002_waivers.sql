-- A person's decision to publish a release despite a blocking finding or failed record check.
-- A waiver covers one check on one version (content_hash) of a release: a new version is judged afresh.
CREATE TABLE waivers (
    release_id      VARCHAR NOT NULL,
    check_id        VARCHAR NOT NULL,          -- a text check id or a record expectation name
    content_hash    VARCHAR NOT NULL,          -- the version that was waived
    reason          VARCHAR NOT NULL,
    waived_by       VARCHAR NOT NULL,
    waived_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (release_id, check_id, content_hash)
);

-- Which waivers a publication relied on.
ALTER TABLE published_releases ADD COLUMN waived_checks VARCHAR[];
