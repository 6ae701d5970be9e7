-- The catalog (Ch.2): resources with their working copy and published version, the versions
-- (Art.8), the review timeline (Art.7), and government IT projects (Art.8).

CREATE TABLE it_projects (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    code TEXT UNIQUE,
    agency_id INTEGER NOT NULL REFERENCES organisations(id),
    description TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('preliminary', 'completed')),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    completed_at TEXT
);

-- The search indexes of every instance follow the audit entries about resources.
CREATE INDEX audit_entries_type_seq ON audit_entries (object_type, seq);

CREATE TABLE catalog_resources (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    compiler_org_id INTEGER NOT NULL REFERENCES organisations(id),
    provider_org_id INTEGER NOT NULL REFERENCES organisations(id),
    state TEXT NOT NULL CHECK (state IN ('draft', 'submitted', 'provider_confirmed', 'approved', 'published')),
    -- The working copy (JSON of a ResourceDocument); equal to `published` when state is published.
    working TEXT NOT NULL,
    current_version INTEGER NOT NULL DEFAULT 0,
    -- The version in the district catalog (JSON), if ever published.
    published TEXT,
    name TEXT NOT NULL,
    -- Names, descriptions and data items of the working copy, for plain text matching.
    search_text TEXT NOT NULL,
    -- Why the working copy changes the published version (Art.8).
    pending_reason TEXT,
    -- The written justification for registering items others already share (Art.9).
    overlap_justification TEXT,
    project_id INTEGER REFERENCES it_projects(id),
    project_stage TEXT CHECK (project_stage IN ('preliminary', 'detailed')),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX catalog_resources_provider ON catalog_resources (provider_org_id);
CREATE INDEX catalog_resources_compiler ON catalog_resources (compiler_org_id);
CREATE INDEX catalog_resources_state ON catalog_resources (state);
CREATE INDEX catalog_resources_project ON catalog_resources (project_id);

CREATE TABLE catalog_versions (
    resource_id INTEGER NOT NULL REFERENCES catalog_resources(id),
    version INTEGER NOT NULL,
    document TEXT NOT NULL,
    reason TEXT NOT NULL,
    published_by TEXT NOT NULL,
    published_at TEXT NOT NULL,
    PRIMARY KEY (resource_id, version)
);

CREATE TABLE catalog_reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id INTEGER NOT NULL REFERENCES catalog_resources(id),
    at TEXT NOT NULL,
    actor_user_id INTEGER,
    actor_name TEXT NOT NULL,
    actor_org_id INTEGER,
    action TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    comment TEXT NOT NULL
);
CREATE INDEX catalog_reviews_resource ON catalog_reviews (resource_id);

-- Error reports of Excel/CSV imports, kept for download by whoever imported.
CREATE TABLE catalog_import_reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER,
    org_id INTEGER,
    file_name TEXT NOT NULL,
    format TEXT NOT NULL,
    mode TEXT NOT NULL,
    created INTEGER NOT NULL,
    refused INTEGER NOT NULL,
    report BLOB NOT NULL,
    created_at TEXT NOT NULL
);
