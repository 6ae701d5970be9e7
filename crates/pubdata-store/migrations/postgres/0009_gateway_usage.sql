-- The sharing channel's limits and usage (Art.16). An application's own rate and daily quota,
-- where the authority set them (NULL: the platform's default), and the calls counted per
-- application, grant and district day. Each instance counts its calls in memory and adds them
-- here every few seconds; each call's audit record stays the evidence of it.

ALTER TABLE client_apps ADD COLUMN rate_per_second INTEGER;
ALTER TABLE client_apps ADD COLUMN daily_quota BIGINT;

CREATE TABLE gateway_usage (
    app_id BIGINT NOT NULL REFERENCES client_apps(id),
    -- The grant the calls named; 0 for calls that named none (e.g. whoami).
    grant_id BIGINT NOT NULL,
    -- The district day, YYYY-MM-DD.
    day TEXT NOT NULL,
    -- Calls let through to the grant checks, of which `refused` were refused there.
    calls BIGINT NOT NULL,
    refused BIGINT NOT NULL,
    rows_returned BIGINT NOT NULL,
    -- Calls refused for the rate or the quota (not in `calls`).
    limited BIGINT NOT NULL,
    PRIMARY KEY (app_id, grant_id, day)
);
CREATE INDEX gateway_usage_grant ON gateway_usage (grant_id, day);
CREATE INDEX gateway_usage_day ON gateway_usage (day);
