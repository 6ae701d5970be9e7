-- Sharing (Art.13-16): share requests as routed by the resource's share attribute, the
-- provider's review and the authority's arbitration; the grants they produce and the changes
-- made to them; resources flagged as data their agency receives through a grant (Art.7).

CREATE TABLE share_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    consumer_org_id INTEGER NOT NULL REFERENCES organisations(id),
    provider_org_id INTEGER NOT NULL REFERENCES organisations(id),
    resource_id INTEGER NOT NULL REFERENCES catalog_resources(id),
    -- The published version the request was checked against.
    resource_version INTEGER NOT NULL,
    -- Data item codes (JSON array of strings).
    items TEXT NOT NULL,
    scenario TEXT NOT NULL,
    scenario_category TEXT NOT NULL,
    legal_duty TEXT NOT NULL,
    delivery TEXT NOT NULL CHECK (delivery IN ('api', 'bulk')),
    end_date TEXT NOT NULL,
    keyed_only INTEGER NOT NULL DEFAULT 0 CHECK (keyed_only IN (0, 1)),
    filter_item TEXT,
    filter_value TEXT,
    -- L3/L4 item codes asked for unmasked (JSON array), and why.
    raw_items TEXT NOT NULL,
    raw_justification TEXT NOT NULL,
    -- The share attribute when the request was routed, and the conditions a reviewer applies.
    share_attribute TEXT NOT NULL CHECK (share_attribute IN ('unconditional', 'restricted', 'not_shared')),
    conditions TEXT,
    state TEXT NOT NULL CHECK (state IN ('pending_review', 'granted', 'refused')),
    refused_by TEXT CHECK (refused_by IN ('share_attribute', 'provider', 'authority')),
    -- The refusal's reason, or the legal basis of a resource that is not shared.
    refusal_reason TEXT,
    review_working_days INTEGER NOT NULL,
    reviewed_by TEXT,
    reviewed_at TEXT,
    review_decision TEXT CHECK (review_decision IN ('approve', 'refuse')),
    review_reason TEXT,
    arbitrated_by TEXT,
    arbitrated_at TEXT,
    arbitration_decision TEXT CHECK (arbitration_decision IN ('approve', 'refuse')),
    arbitration_reason TEXT,
    grant_id INTEGER,
    created_by TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX share_requests_consumer ON share_requests (consumer_org_id);
CREATE INDEX share_requests_provider ON share_requests (provider_org_id);
CREATE INDEX share_requests_state ON share_requests (state);

CREATE TABLE share_grants (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id INTEGER NOT NULL UNIQUE REFERENCES share_requests(id),
    consumer_org_id INTEGER NOT NULL REFERENCES organisations(id),
    provider_org_id INTEGER NOT NULL REFERENCES organisations(id),
    resource_id INTEGER NOT NULL REFERENCES catalog_resources(id),
    items TEXT NOT NULL,
    scenario TEXT NOT NULL,
    scenario_category TEXT NOT NULL,
    delivery TEXT NOT NULL CHECK (delivery IN ('api', 'bulk')),
    keyed_only INTEGER NOT NULL DEFAULT 0 CHECK (keyed_only IN (0, 1)),
    filter_item TEXT,
    filter_value TEXT,
    raw_items TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    -- Expiry is derived from end_date when read; it is never stored.
    state TEXT NOT NULL CHECK (state IN ('active', 'suspended', 'revoked')),
    state_reason TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX share_grants_consumer_resource ON share_grants (consumer_org_id, resource_id);
CREATE INDEX share_grants_provider ON share_grants (provider_org_id);

CREATE TABLE share_grant_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    grant_id INTEGER NOT NULL REFERENCES share_grants(id),
    at TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    actor_org_id INTEGER,
    action TEXT NOT NULL CHECK (action IN ('suspend', 'resume', 'revoke')),
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX share_grant_events_grant ON share_grant_events (grant_id);

-- Art.7: a resource whose items substantially match data its agency receives through a grant.
CREATE TABLE received_data_flags (
    resource_id INTEGER PRIMARY KEY REFERENCES catalog_resources(id),
    grant_id INTEGER NOT NULL REFERENCES share_grants(id),
    -- The new resource's item names that matched (JSON array).
    matched_items TEXT NOT NULL,
    flagged_at TEXT NOT NULL,
    confirmed_by TEXT,
    confirmed_at TEXT,
    confirmation_comment TEXT
);
