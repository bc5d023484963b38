-- Sign-in throttle windows: failures per client address bucket (one row per
-- bucket), shared by every process on the database. A window is open while
-- window_end > now; ended rows are pruned.

-- +goose Up

CREATE TABLE throttle (
    bucket     text COLLATE "C" NOT NULL PRIMARY KEY,
    window_end timestamptz      NOT NULL,
    failures   integer          NOT NULL
);

CREATE INDEX throttle_window_end ON throttle (window_end);

-- +goose Down

DROP TABLE throttle;
