-- 0002 positions: every position report, partitioned by UTC day.
--
-- The primary key answers "vehicle between times" and stores a retransmitted report (same
-- vehicle, same GPS time) once: writers insert with ON CONFLICT DO NOTHING. The writer calls
-- fleetwatch_ensure_position_partition(day) for every UTC day in a batch before inserting it;
-- rows for a day without a partition land in positions_default, and ensuring that day later
-- moves them into the new partition.

CREATE TABLE positions (
    vehicle_id bigint NOT NULL,
    gps_time timestamptz NOT NULL,
    received_at timestamptz NOT NULL,
    geom geography(Point, 4326) NOT NULL,
    altitude_m integer NOT NULL,
    speed_kmh real NOT NULL,
    direction smallint NOT NULL,
    alarm bigint NOT NULL,
    status bigint NOT NULL,
    valid boolean NOT NULL,
    mileage_km real,
    fuel_l real,
    satellites smallint,
    signal_strength smallint,
    source smallint NOT NULL,
    PRIMARY KEY (vehicle_id, gps_time)
) PARTITION BY RANGE (gps_time);

CREATE TABLE positions_default PARTITION OF positions DEFAULT;

CREATE INDEX positions_geom_gist ON positions USING gist (geom);

-- Creates positions_YYYYMMDD for [day, day + 1) in UTC unless it exists; returns its name.
-- Cheap when it exists (one catalog lookup). Creators are serialised by a lock on the default
-- partition (which attaching a partition needs anyway); taking a relation lock also makes
-- this session see a partition another session just committed, so concurrent callers all
-- succeed and the table is made once. Call it in a short transaction of its own, before
-- inserting the day's rows (the position writer does).
CREATE FUNCTION fleetwatch_ensure_position_partition(day date) RETURNS text
LANGUAGE plpgsql AS $fn$
DECLARE
    part text := 'positions_' || to_char(day, 'YYYYMMDD');
    lo timestamptz := day::timestamp AT TIME ZONE 'UTC';
    hi timestamptz := (day + 1)::timestamp AT TIME ZONE 'UTC';
BEGIN
    IF to_regclass(quote_ident(part)) IS NOT NULL THEN
        RETURN part;
    END IF;
    LOCK TABLE positions_default IN SHARE ROW EXCLUSIVE MODE;
    IF to_regclass(quote_ident(part)) IS NOT NULL THEN
        RETURN part;  -- another session made it while we waited
    END IF;
    EXECUTE format('CREATE TABLE %I (LIKE positions INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
    -- Rows of that day already in the default partition move with it (attaching would fail
    -- otherwise).
    EXECUTE format('WITH moved AS (DELETE FROM positions_default WHERE gps_time >= $1 AND gps_time < $2 '
                   'RETURNING *) INSERT INTO %I SELECT * FROM moved', part)
        USING lo, hi;
    -- Bounds spelled out in ISO form with an explicit UTC offset, whatever DateStyle says.
    EXECUTE format('ALTER TABLE positions ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', part,
                   to_char(day, 'YYYY-MM-DD') || ' 00:00:00+00',
                   to_char(day + 1, 'YYYY-MM-DD') || ' 00:00:00+00');
    RETURN part;
END
$fn$;
