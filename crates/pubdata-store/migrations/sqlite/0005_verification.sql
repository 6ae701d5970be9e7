-- Data verification (Art.11): the authority's cross-checks of two providers' resources, the
-- verification tasks they (or the authority by hand) open, the providers each task is
-- addressed to with their answers, and the conflicting entries a cross-check found.

-- Every cross-check run, with or without conflicts, so that the authority sees its history.
CREATE TABLE verification_cross_checks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Resource A and B: the key item joined on and the item compared, by code.
    resource_a INTEGER NOT NULL REFERENCES catalog_resources(id),
    key_item_a TEXT NOT NULL,
    item_a TEXT NOT NULL,
    resource_b INTEGER NOT NULL REFERENCES catalog_resources(id),
    key_item_b TEXT NOT NULL,
    item_b TEXT NOT NULL,
    -- The identifier the keys hold (`id_card`, `credit_code`), when recognised.
    key_kind TEXT,
    -- Distinct keys present in both resources' current rows.
    keys_compared INTEGER NOT NULL,
    -- Every conflicting entry (key, value A, value B); the first 1,000 are kept below.
    conflicts INTEGER NOT NULL,
    rows_read INTEGER NOT NULL,
    run_by TEXT NOT NULL,
    run_by_user INTEGER,
    run_at TEXT NOT NULL
);
CREATE INDEX verification_cross_checks_a ON verification_cross_checks (resource_a);
CREATE INDEX verification_cross_checks_b ON verification_cross_checks (resource_b);

CREATE TABLE verification_conflicts (
    cross_check_id INTEGER NOT NULL REFERENCES verification_cross_checks(id),
    seq INTEGER NOT NULL,
    key_value TEXT NOT NULL,
    value_a TEXT NOT NULL,
    value_b TEXT NOT NULL,
    PRIMARY KEY (cross_check_id, seq)
);

CREATE TABLE verification_tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    origin TEXT NOT NULL CHECK (origin IN ('cross_check', 'manual')),
    -- The run that found the conflicts (origin cross_check).
    cross_check_id INTEGER UNIQUE REFERENCES verification_cross_checks(id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'answered', 'closed')),
    -- The providers' deadline, counted from the day of opening on the working-day calendar
    -- when read (so that a holiday entered later moves it).
    working_days INTEGER NOT NULL CHECK (working_days BETWEEN 1 AND 60),
    opened_by TEXT NOT NULL,
    opened_by_user INTEGER,
    opened_at TEXT NOT NULL,
    close_comment TEXT,
    closed_by TEXT,
    closed_at TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX verification_tasks_state ON verification_tasks (state);

-- The providers a task is addressed to: each answers for its own resource.
CREATE TABLE verification_task_providers (
    task_id INTEGER NOT NULL REFERENCES verification_tasks(id),
    provider_org_id INTEGER NOT NULL REFERENCES organisations(id),
    resource_id INTEGER NOT NULL REFERENCES catalog_resources(id),
    -- A (first) or B (second) of a cross-check; A for a task opened by hand.
    side TEXT NOT NULL CHECK (side IN ('a', 'b')),
    answer TEXT CHECK (answer IN ('corrected', 'confirmed')),
    -- `corrected`: the stored batch, delivered after the opening, that carries the correction.
    answer_batch_id INTEGER REFERENCES aggregation_batches(id),
    explanation TEXT,
    answered_by TEXT,
    answered_by_user INTEGER,
    answered_at TEXT,
    PRIMARY KEY (task_id, provider_org_id)
);
CREATE INDEX verification_task_providers_org ON verification_task_providers (provider_org_id);
