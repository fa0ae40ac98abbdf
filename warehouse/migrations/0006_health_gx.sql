-- Where each run's Great Expectations validation of source health is, and which sources failed what.
ALTER TABLE runs ADD COLUMN health_gx_results VARCHAR;
ALTER TABLE runs ADD COLUMN health_gx_failures JSON;      -- {"<source_id>": ["health-fresh", ...]}; {} when all passed
