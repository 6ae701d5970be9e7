-- Aggregation (Ch.3): delivered batches with their provenance (Art.12), the rows each batch
-- refused, and the layout of each resource's data table.

-- Each resource's rows live in their own table, rd_<resource id>, created on its first delivery:
-- _pd_row_id, _pd_batch (the batch that delivered the row), _pd_source_row (its row in the file),
-- _pd_retired_by (the batch that replaced it, if any), then one column per data item.
CREATE TABLE resource_data_tables (
    resource_id INTEGER PRIMARY KEY REFERENCES catalog_resources(id),
    table_name TEXT NOT NULL UNIQUE,
    -- JSON list of the item columns: code, type.
    columns TEXT NOT NULL,
    -- JSON list of the unique-key item codes (may be empty).
    key_columns TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE aggregation_batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id INTEGER NOT NULL REFERENCES catalog_resources(id),
    -- The catalog version the batch was checked against.
    resource_version INTEGER NOT NULL,
    provider_org_id INTEGER NOT NULL REFERENCES organisations(id),
    state TEXT NOT NULL CHECK (state IN ('receiving', 'stored', 'rejected', 'failed')),
    mode TEXT NOT NULL CHECK (mode IN ('append', 'replace', 'upsert')),
    on_error TEXT NOT NULL CHECK (on_error IN ('reject_batch', 'skip_rows')),
    channel TEXT NOT NULL CHECK (channel IN ('web', 'cli', 'api')),
    source_system TEXT NOT NULL,
    file_name TEXT NOT NULL,
    format TEXT NOT NULL,
    encoding TEXT NOT NULL DEFAULT '',
    file_bytes INTEGER,
    sha256 TEXT,
    sm3 TEXT,
    rows_read INTEGER NOT NULL DEFAULT 0,
    rows_stored INTEGER NOT NULL DEFAULT 0,
    rows_rejected INTEGER NOT NULL DEFAULT 0,
    -- Rows of earlier batches this batch retired (replace, upsert).
    rows_retired INTEGER NOT NULL DEFAULT 0,
    -- Why the whole batch was refused or failed (bilingual JSON), if it was.
    failure TEXT,
    -- JSON: the personal-information detection per column.
    detection TEXT,
    created_by TEXT NOT NULL,
    created_by_user INTEGER,
    created_at TEXT NOT NULL,
    finished_at TEXT,
    -- While receiving: the loader renews this lease (milliseconds since the epoch); a batch whose
    -- lease ran out belongs to a loader that died and is marked failed.
    lease_until_ms INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX aggregation_batches_resource ON aggregation_batches (resource_id, id);
CREATE INDEX aggregation_batches_state ON aggregation_batches (state);
-- One delivery at a time per resource.
CREATE UNIQUE INDEX aggregation_batches_one_receiving ON aggregation_batches (resource_id) WHERE state = 'receiving';

CREATE TABLE aggregation_batch_errors (
    batch_id INTEGER NOT NULL REFERENCES aggregation_batches(id),
    seq INTEGER NOT NULL,
    source_row INTEGER,
    column_name TEXT NOT NULL,
    value_shown TEXT NOT NULL,
    reason_zh TEXT NOT NULL,
    reason_en TEXT NOT NULL,
    PRIMARY KEY (batch_id, seq)
);
