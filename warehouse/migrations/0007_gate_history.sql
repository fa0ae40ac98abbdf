-- pressroom warehouse, version 7: one content hash whatever the zone, waivers kept as history, retractions.
-- Never edit an applied migration: add a new file.

-- 1. The content hash no longer depends on the zone a date was read in: it hashes `published_at` in UTC
--    (connectors.model.Release.content_hash). Versions hashed in a source's own zone get the new hash
--    everywhere it is stored. A check stored under the new hash already (a `recheck` of the old code,
--    which hashed the UTC value read back from DuckDB) is the newer one and wins.
CREATE TEMP MACRO pressroom_utc_stamp(ts) AS
    CASE WHEN ts IS NULL THEN ''
         ELSE strftime(ts AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S')
              || CASE WHEN ((epoch_us(ts) % 1000000) + 1000000) % 1000000 <> 0
                      THEN '.' || lpad((((epoch_us(ts) % 1000000) + 1000000) % 1000000)::VARCHAR, 6, '0')
                      ELSE '' END
              || '+00:00' END;

CREATE TEMP TABLE pressroom_hash_map AS
SELECT DISTINCT release_id, content_hash AS old_hash, new_hash FROM (
    SELECT release_id, content_hash,
           sha256(coalesce(title, '') || chr(31) || pressroom_utc_stamp(published_at) || chr(31)
                  || coalesce(body_text, '')) AS new_hash
    FROM (SELECT release_id, content_hash, title, published_at, body_text FROM releases
          UNION ALL SELECT release_id, content_hash, title, published_at, body_text FROM release_versions
          UNION ALL SELECT release_id, content_hash, title, published_at, body_text FROM published_releases)
) WHERE new_hash <> content_hash;

DELETE FROM dq_findings WHERE EXISTS (
    SELECT 1 FROM pressroom_hash_map m JOIN dq_runs d ON d.release_id = m.release_id AND d.content_hash = m.new_hash
    WHERE m.release_id = dq_findings.release_id AND m.old_hash = dq_findings.content_hash);
DELETE FROM dq_runs WHERE EXISTS (
    SELECT 1 FROM pressroom_hash_map m JOIN dq_runs d ON d.release_id = m.release_id AND d.content_hash = m.new_hash
    WHERE m.release_id = dq_runs.release_id AND m.old_hash = dq_runs.content_hash);
UPDATE dq_runs SET content_hash = m.new_hash FROM pressroom_hash_map m
WHERE dq_runs.release_id = m.release_id AND dq_runs.content_hash = m.old_hash;
UPDATE dq_findings SET content_hash = m.new_hash FROM pressroom_hash_map m
WHERE dq_findings.release_id = m.release_id AND dq_findings.content_hash = m.old_hash;
UPDATE releases SET content_hash = m.new_hash FROM pressroom_hash_map m
WHERE releases.release_id = m.release_id AND releases.content_hash = m.old_hash;
UPDATE release_versions SET content_hash = m.new_hash FROM pressroom_hash_map m
WHERE release_versions.release_id = m.release_id AND release_versions.content_hash = m.old_hash;
UPDATE published_releases SET content_hash = m.new_hash FROM pressroom_hash_map m
WHERE published_releases.release_id = m.release_id AND published_releases.content_hash = m.old_hash;

-- 2. Waivers are history: a second waiver of the same check adds a row, and withdrawing one
--    (`pressroom unwaive`) fills in who, when and why, once; nothing is deleted or overwritten.
--    A waiver is active while `withdrawn_at` is NULL.
CREATE TABLE waivers_history (
    release_id      VARCHAR NOT NULL,
    check_id        VARCHAR NOT NULL,
    content_hash    VARCHAR NOT NULL,
    reason          VARCHAR NOT NULL,
    waived_by       VARCHAR NOT NULL,
    waived_at       TIMESTAMPTZ NOT NULL,
    waiver_id       VARCHAR PRIMARY KEY,
    withdrawn_at    TIMESTAMPTZ,
    withdrawn_by    VARCHAR,
    withdrawn_reason VARCHAR
);
INSERT INTO waivers_history
SELECT w.release_id, w.check_id, coalesce(m.new_hash, w.content_hash), w.reason, w.waived_by, w.waived_at,
       uuid()::VARCHAR, NULL, NULL, NULL
FROM waivers w LEFT JOIN pressroom_hash_map m ON m.release_id = w.release_id AND m.old_hash = w.content_hash;
DROP TABLE waivers;
ALTER TABLE waivers_history RENAME TO waivers;

-- 3. A published version that a later check or a withdrawn waiver no longer lets through is taken out of
--    `published_releases` in the same transaction, and the retraction is recorded here.
CREATE TABLE retractions (
    release_id      VARCHAR NOT NULL,
    source_id       VARCHAR NOT NULL,
    content_hash    VARCHAR NOT NULL,
    version         INTEGER,
    reason          VARCHAR NOT NULL,          -- blocked | unchecked | not-loaded
    detail          VARCHAR,                   -- the checks that block it now
    published_run_id VARCHAR,
    run_id          VARCHAR,                   -- the run or command that retracted it
    retracted_at    TIMESTAMPTZ NOT NULL
);

DROP TABLE pressroom_hash_map;
DROP MACRO pressroom_utc_stamp;
