-- pressroom warehouse, version 1. Never edit an applied migration: add a new file.
-- Table and column names are a public contract documented in README.md.

CREATE TABLE runs (
    run_id          VARCHAR PRIMARY KEY,
    flow            VARCHAR NOT NULL,          -- nightly | backfill | reparse | publish
    status          VARCHAR NOT NULL,          -- running | completed | partial | failed
    started_at      TIMESTAMPTZ NOT NULL,
    finished_at     TIMESTAMPTZ,
    window_since    TIMESTAMPTZ,               -- backfill window; NULL for nightly (per source below)
    window_until    TIMESTAMPTZ,
    listed          INTEGER DEFAULT 0,
    fetched         INTEGER DEFAULT 0,
    new             INTEGER DEFAULT 0,
    changed         INTEGER DEFAULT 0,
    unchanged       INTEGER DEFAULT 0,
    failed          INTEGER DEFAULT 0,
    published       INTEGER DEFAULT 0,
    held            INTEGER DEFAULT 0,
    -- one entry per source: its window, counts, status and error
    sources         JSON,
    prefect_flow_run_id VARCHAR,
    report_path     VARCHAR
);

CREATE TABLE source_state (
    source_id       VARCHAR PRIMARY KEY,
    watermark       TIMESTAMPTZ,               -- nightly windows start at watermark minus the lag
    last_run_id     VARCHAR,
    last_run_at     TIMESTAMPTZ,
    last_status     VARCHAR,
    last_success_at TIMESTAMPTZ,
    last_error      VARCHAR
);

CREATE TABLE raw_pages (
    source_id       VARCHAR NOT NULL,
    url             VARCHAR NOT NULL,
    sha256          VARCHAR NOT NULL,          -- of the body as served
    final_url       VARCHAR NOT NULL,
    status          INTEGER NOT NULL,
    content_type    VARCHAR,
    encoding        VARCHAR,
    headers         JSON,
    body_gzip       BLOB NOT NULL,
    size_bytes      BIGINT NOT NULL,
    listed_title    VARCHAR,
    listed_at       TIMESTAMPTZ,
    first_fetched_at TIMESTAMPTZ NOT NULL,
    last_fetched_at TIMESTAMPTZ NOT NULL,
    run_id          VARCHAR,
    PRIMARY KEY (source_id, url, sha256)
);

CREATE TABLE releases (
    release_id      VARCHAR PRIMARY KEY,
    source_id       VARCHAR NOT NULL,
    url             VARCHAR NOT NULL,
    title           VARCHAR,
    published_at    TIMESTAMPTZ,
    body_text       VARCHAR,
    language        VARCHAR,
    content_hash    VARCHAR NOT NULL,
    first_seen_at   TIMESTAMPTZ NOT NULL,
    last_seen_at    TIMESTAMPTZ NOT NULL,
    run_id          VARCHAR NOT NULL,          -- the run that loaded this version
    version         INTEGER NOT NULL DEFAULT 1,
    byline          VARCHAR,
    extractor       VARCHAR
);

-- Every earlier version of a release, kept when its content changed.
CREATE TABLE release_versions (
    release_id      VARCHAR NOT NULL,
    version         INTEGER NOT NULL,
    url             VARCHAR,
    title           VARCHAR,
    published_at    TIMESTAMPTZ,
    body_text       VARCHAR,
    content_hash    VARCHAR NOT NULL,
    first_seen_at   TIMESTAMPTZ,
    superseded_at   TIMESTAMPTZ NOT NULL,
    run_id          VARCHAR,
    PRIMARY KEY (release_id, version)
);

CREATE TABLE fetch_failures (
    source_id       VARCHAR NOT NULL,
    url             VARCHAR NOT NULL,
    reason          VARCHAR NOT NULL,
    attempts        INTEGER NOT NULL,
    first_failed_at TIMESTAMPTZ NOT NULL,
    last_failed_at  TIMESTAMPTZ NOT NULL,
    resolved_at     TIMESTAMPTZ,
    kind            VARCHAR NOT NULL DEFAULT 'page',   -- listing | page | parse
    detail          VARCHAR,
    last_run_id     VARCHAR,
    PRIMARY KEY (source_id, url)
);

-- One row per checked version of a release: which engine checked it and the verdict.
CREATE TABLE dq_runs (
    release_id      VARCHAR NOT NULL,
    content_hash    VARCHAR NOT NULL,
    engine_version  VARCHAR NOT NULL,
    checked_at      TIMESTAMPTZ NOT NULL,
    run_id          VARCHAR NOT NULL,
    errors          INTEGER NOT NULL,
    warnings        INTEGER NOT NULL,
    infos           INTEGER NOT NULL,
    record_failures VARCHAR[],                 -- record-level expectations that failed
    passed          BOOLEAN NOT NULL,
    PRIMARY KEY (release_id, content_hash)
);

-- Findings of the latest check of each release (replaced when the release is checked again).
CREATE TABLE dq_findings (
    release_id      VARCHAR NOT NULL,
    check_id        VARCHAR NOT NULL,
    severity        VARCHAR NOT NULL,          -- error | warning | info
    field           VARCHAR NOT NULL,          -- body | title
    span_start      INTEGER NOT NULL,          -- code-point offsets into the field as stored
    span_end        INTEGER NOT NULL,
    excerpt         VARCHAR,
    message         VARCHAR,
    run_id          VARCHAR NOT NULL,
    content_hash    VARCHAR
);

CREATE TABLE published_releases (
    release_id      VARCHAR PRIMARY KEY,
    source_id       VARCHAR NOT NULL,
    url             VARCHAR NOT NULL,
    title           VARCHAR,
    published_at    TIMESTAMPTZ,
    body_text       VARCHAR,
    language        VARCHAR,
    content_hash    VARCHAR NOT NULL,
    version         INTEGER NOT NULL,
    published_run_id VARCHAR NOT NULL,
    published_at_utc TIMESTAMPTZ NOT NULL
);

