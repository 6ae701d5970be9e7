-- The data demand list (Art.9, 15): demands for data that sharing cannot yet supply, and
-- their timeline (who did what, when, from which state to which, with what comment).

CREATE TABLE demands (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The agency that filed the demand (the consumer).
    consumer_org_id INTEGER NOT NULL REFERENCES organisations(id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    -- The names of the data items wanted (JSON array of strings).
    items TEXT NOT NULL,
    scenario TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    delivery TEXT NOT NULL CHECK (delivery IN ('api', 'bulk', 'file')),
    related_resource_id INTEGER REFERENCES catalog_resources(id),
    state TEXT NOT NULL CHECK (state IN ('submitted', 'coordinating', 'fulfilled', 'rejected', 'withdrawn')),
    -- The agency the authority proposed to provide the data, and when.
    provider_org_id INTEGER REFERENCES organisations(id),
    assigned_at TEXT,
    -- The proposed provider's latest answer.
    answer TEXT CHECK (answer IN ('can_provide', 'cannot_provide')),
    answer_resource_id INTEGER REFERENCES catalog_resources(id),
    answer_planned_on TEXT,
    answer_text TEXT,
    answered_by TEXT,
    answered_at TEXT,
    -- The outcome: the published resource that meets the demand, or why it was rejected.
    linked_resource_id INTEGER REFERENCES catalog_resources(id),
    rejection_reason TEXT,
    created_by TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    closed_at TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX demands_consumer ON demands (consumer_org_id);
CREATE INDEX demands_provider ON demands (provider_org_id);
CREATE INDEX demands_state ON demands (state);

CREATE TABLE demand_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    demand_id INTEGER NOT NULL REFERENCES demands(id),
    at TEXT NOT NULL,
    actor_user_id INTEGER,
    actor_name TEXT NOT NULL,
    actor_org_id INTEGER,
    -- `file` for the filing, else a demand action (`coordinate`, `answer`, ...).
    action TEXT NOT NULL,
    -- Empty for the filing.
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    comment TEXT NOT NULL,
    -- The step's particulars, where it has them.
    provider_org_id INTEGER,
    resource_id INTEGER,
    answer TEXT,
    planned_on TEXT
);
CREATE INDEX demand_events_demand ON demand_events (demand_id);
