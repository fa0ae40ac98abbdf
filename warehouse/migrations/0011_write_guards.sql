-- Issue 16: the warehouse on DuckLake, where several processes write at once.
-- DuckLake keeps no PRIMARY KEY, and two transactions that only insert never conflict, so two processes
-- loading the same new release at once would both insert it. Every transaction that inserts releases
-- first updates this table's row; an update is a delete and an insert to DuckLake, two concurrent ones
-- conflict at commit, and the loser runs again and finds the release already there. On a DuckDB file
-- (one writer at a time) the update costs nothing.
CREATE TABLE write_guards (
    name            VARCHAR PRIMARY KEY,       -- what the row guards: 'releases'
    writes          BIGINT NOT NULL            -- how many guarded transactions committed
);
INSERT INTO write_guards VALUES ('releases', 0);
