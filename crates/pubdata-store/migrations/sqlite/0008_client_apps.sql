-- Client applications (Art.15): the systems through which consumer agencies call the sharing
-- channel, their secrets (sealed with the platform key, never in clear), and the nonces of
-- signed calls, remembered for the replay window so that every instance on the database sees
-- them.

CREATE TABLE client_apps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The public identifier sent as X-Pubdata-App-Key.
    app_key TEXT NOT NULL UNIQUE,
    -- The consumer agency the application belongs to.
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    contact TEXT NOT NULL,
    -- Source addresses allowed to call, space-separated; empty: any.
    allowed_addresses TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
    created_by TEXT NOT NULL,
    created_by_user INTEGER,
    created_at TEXT NOT NULL,
    disabled_reason TEXT,
    disabled_by TEXT,
    disabled_at TEXT,
    updated_at TEXT NOT NULL,
    UNIQUE (org_id, name)
);

-- An application's secrets: one, or two during a rotation window (the new one, and the
-- previous one until `retire_at`).
CREATE TABLE client_app_secrets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id INTEGER NOT NULL REFERENCES client_apps(id),
    -- SM4-GCM under the platform key, bound to the application and this row.
    sealed TEXT NOT NULL,
    -- The first characters, to recognise the secret by.
    prefix TEXT NOT NULL,
    created_at TEXT NOT NULL,
    -- When a rotation superseded it: the end of its window.
    retire_at TEXT,
    -- When it was retired before its window ended.
    retired_at TEXT
);
CREATE INDEX client_app_secrets_app ON client_app_secrets (app_id);

-- Nonces of accepted calls; a nonce seen again within the window is a replay. Pruned once
-- older than the window (instants in the fixed-width text form compare in time order).
CREATE TABLE client_app_nonces (
    app_id INTEGER NOT NULL REFERENCES client_apps(id),
    nonce TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    PRIMARY KEY (app_id, nonce)
);
CREATE INDEX client_app_nonces_seen ON client_app_nonces (seen_at);
