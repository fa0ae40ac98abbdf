-- Who runs each run: the host, the process id and that process's start, so a run whose process died
-- (SIGKILL, power loss) can be told apart from one still going, and a reused pid is not its owner.
-- Numbered 0008 when main (0007_gate_history) was merged into the signals branch.
ALTER TABLE runs ADD COLUMN owner_host VARCHAR;
ALTER TABLE runs ADD COLUMN owner_pid INTEGER;
ALTER TABLE runs ADD COLUMN owner_started VARCHAR;   -- '<boot id>:<start time in clock ticks since boot>' (Linux)
