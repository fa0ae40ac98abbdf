-- Backfills run in chunks (per source and month); a rerun skips the chunks already completed.
CREATE TABLE backfill_chunks (
    source_id       VARCHAR NOT NULL,
    chunk_start     DATE NOT NULL,              -- inclusive, in the source's timezone
    chunk_end       DATE NOT NULL,              -- inclusive
    status          VARCHAR NOT NULL,           -- ok | partial | failed
    run_id          VARCHAR NOT NULL,
    finished_at     TIMESTAMPTZ NOT NULL,
    counts          JSON,
    PRIMARY KEY (source_id, chunk_start, chunk_end)
);
