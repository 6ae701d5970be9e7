-- Art.14: each published resource's share attribute is re-evaluated periodically.

-- One row per published resource: the date its review interval runs from (its latest
-- publication, or the latest review that kept the attribute; the next review date is that date
-- plus the configured interval, computed when read) and whether a review found the attribute
-- to be revised (cleared by the next publication).
CREATE TABLE share_review_schedules (
    resource_id INTEGER PRIMARY KEY REFERENCES catalog_resources(id),
    review_from TEXT NOT NULL,
    under_revision INTEGER NOT NULL DEFAULT 0 CHECK (under_revision IN (0, 1)),
    updated_at TEXT NOT NULL
);

-- The recorded reviews, with the share attribute as it stood (JSON, as in the catalog document).
CREATE TABLE share_reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id INTEGER NOT NULL REFERENCES catalog_resources(id),
    resource_version INTEGER NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('kept', 'to_revise')),
    comment TEXT NOT NULL,
    share_attribute TEXT NOT NULL,
    reviewed_by TEXT NOT NULL,
    reviewer_org_id INTEGER,
    reviewed_at TEXT NOT NULL,
    next_review_on TEXT NOT NULL
);
CREATE INDEX share_reviews_resource ON share_reviews (resource_id);

-- Resources published before this migration: their interval runs from their latest version's
-- publication day (UTC; at most a day from the district's date).
INSERT INTO share_review_schedules (resource_id, review_from, under_revision, updated_at)
SELECT v.resource_id, substr(v.published_at, 1, 10), 0, v.published_at
FROM catalog_versions v JOIN catalog_resources c ON c.id = v.resource_id AND c.current_version = v.version;
