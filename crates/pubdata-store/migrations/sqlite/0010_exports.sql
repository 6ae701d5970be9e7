-- Bulk delivery through the sharing channel (Art.15-16): export jobs that write a bulk grant's
-- items and row scope to a file the consumer agency downloads until `expires_at`.

CREATE TABLE share_exports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    grant_id INTEGER NOT NULL REFERENCES share_grants(id),
    resource_id INTEGER NOT NULL REFERENCES catalog_resources(id),
    consumer_org_id INTEGER NOT NULL REFERENCES organisations(id),
    -- Who asked: a client application of the consumer agency, or a user (or the command line).
    requested_by_app INTEGER REFERENCES client_apps(id),
    requested_by_user INTEGER REFERENCES users(id),
    requested_by TEXT NOT NULL,
    format TEXT NOT NULL CHECK (format IN ('csv', 'xlsx', 'jsonl')),
    -- The filters as sent, in the gateway query's syntax (JSON array of [name, value]).
    filters TEXT NOT NULL,
    -- Expiry is derived from expires_at when read; it is never stored.
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'ready', 'failed')),
    row_count INTEGER,
    byte_count INTEGER,
    sha256 TEXT,
    -- The file's name in the export directory, while it exists.
    file_name TEXT,
    error_zh TEXT,
    error_en TEXT,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    expires_at TEXT,
    -- When the sweep deleted the expired file.
    purged_at TEXT,
    -- The runner's lease (unix milliseconds): a queued or running job past it lost its instance.
    lease_until_ms INTEGER NOT NULL
);
CREATE INDEX share_exports_grant ON share_exports (grant_id);
CREATE INDEX share_exports_state ON share_exports (state);
