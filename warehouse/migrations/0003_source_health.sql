-- pressroom warehouse, version 3: source health after each run, and the alerts it opened.
-- Never edit an applied migration: add a new file. Computed by warehouse/health.py and flows/alerts.py.

-- One row per (source, run): how the source looked after that run. Figures are NULL when they could
-- not be judged (no releases yet, nothing fetched, too few earlier runs); `reasons` says why.
CREATE TABLE source_health (
    source_id           VARCHAR NOT NULL,
    run_id              VARCHAR NOT NULL,
    computed_at         TIMESTAMPTZ NOT NULL,
    status              VARCHAR NOT NULL,      -- ok | stale | broken | degraded | unknown
    reasons             VARCHAR NOT NULL,      -- one sentence per problem, '; '-separated ('' when ok)
    source_status       VARCHAR,               -- the source's status in the run: ok | partial | failed
    -- freshness: the newest release against the source's own rhythm
    freshness           VARCHAR NOT NULL,      -- fresh | stale | unknown
    newest_published_at TIMESTAMPTZ,
    days_since_newest   DOUBLE,
    typical_gap_days    DOUBLE,                -- median gap between consecutive publication days
    stale_after_days    DOUBLE,                -- max(3 × typical gap, 7)
    -- volume: entries listed in this run's window against the source's previous nightly runs
    volume              VARCHAR NOT NULL,      -- normal | zero | unknown
    listed              INTEGER,
    new_releases        INTEGER,
    typical_listed      DOUBLE,                -- median `listed` of up to 10 previous nightly runs
    typical_new         DOUBLE,
    history_runs        INTEGER NOT NULL,      -- how many previous runs that median is over
    -- extraction: pages fetched in this run that did not become a release
    fetched             INTEGER,
    parse_failed        INTEGER,
    fetch_failed        INTEGER,               -- pages or listings that failed to fetch
    extraction_failure_share DOUBLE,           -- parse_failed / fetched
    parse_reasons       VARCHAR,               -- e.g. 'no-body×3, empty-body×1'
    -- held back by the publish gate (current versions)
    releases            INTEGER NOT NULL,
    held                INTEGER NOT NULL,
    held_share          DOUBLE,                -- held / releases
    PRIMARY KEY (source_id, run_id)
);

-- One row per episode of a condition on a source: opened when it starts, cleared when it ends.
-- At most one open row (cleared_at IS NULL) per (source_id, condition): that is what stops alert storms.
CREATE TABLE alerts (
    source_id           VARCHAR NOT NULL,
    condition           VARCHAR NOT NULL,      -- stale | broken | held-jump
    opened_at           TIMESTAMPTZ NOT NULL,
    opened_run_id       VARCHAR NOT NULL,
    cleared_at          TIMESTAMPTZ,
    cleared_run_id      VARCHAR,
    what_changed        VARCHAR NOT NULL,      -- the sentence sent when it opened
    baseline            DOUBLE,                -- held-jump: the held share before the jump
    last_sent_at        TIMESTAMPTZ,           -- NULL: not delivered yet (retried by the next run)
    cleared_sent_at     TIMESTAMPTZ,
    send_attempts       INTEGER NOT NULL DEFAULT 0,
    last_error          VARCHAR,
    PRIMARY KEY (source_id, condition, opened_run_id)
);
