-- Scheduled cross-checks (Art.11: the authority, or a scheduled cross-check, compares the data
-- of different providers): what each run compares, how often, and how the last run went. Each
-- run is a row of verification_cross_checks that names its schedule.

CREATE TABLE verification_schedules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Resource A and B: the key item joined on and the item compared, by code, as resolved when
    -- the schedule was made (so that every run compares the same items).
    resource_a INTEGER NOT NULL REFERENCES catalog_resources(id),
    key_item_a TEXT NOT NULL,
    item_a TEXT NOT NULL,
    resource_b INTEGER NOT NULL REFERENCES catalog_resources(id),
    key_item_b TEXT NOT NULL,
    item_b TEXT NOT NULL,
    -- The providers' deadline, in working days, for a task a run opens.
    working_days INTEGER NOT NULL CHECK (working_days BETWEEN 1 AND 60),
    -- Working days from one run to the next, counted from the day it ran.
    every_working_days INTEGER NOT NULL CHECK (every_working_days BETWEEN 1 AND 60),
    -- The day of the next run (YYYY-MM-DD, district time). Instances claim a due schedule by
    -- moving it on with a conditional UPDATE, so that each run happens once.
    next_run_on TEXT NOT NULL,
    -- 1 while it runs; 0 once deactivated (its runs and tasks stay).
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    -- The authority's user who made it: recorded as the one who ran each run.
    created_by TEXT NOT NULL,
    created_by_user INTEGER,
    created_at TEXT NOT NULL,
    -- The last run that compared (NULL before the first); a failed run leaves it as it was.
    last_run_id INTEGER REFERENCES verification_cross_checks(id),
    -- Why the latest run could not compare (e.g. a compared item was withdrawn from the
    -- catalog), as JSON {"zh": "..", "en": ".."}; NULL once a run compares again.
    last_error TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX verification_schedules_due ON verification_schedules (active, next_run_on);

-- The schedule a run belongs to; NULL for a run on demand.
ALTER TABLE verification_cross_checks ADD COLUMN schedule_id INTEGER REFERENCES verification_schedules(id);
CREATE INDEX verification_cross_checks_schedule ON verification_cross_checks (schedule_id);
