-- 0004 violations: the episodes the rule engine reports (RULES.md), and their audit trail
-- (RULES.md "Handling": 整改, 留痕留迹).
--
-- A violation row is the engine's current verdict of one episode: opened, updated while it
-- lasts or when late data changes it, closed, or retracted when late data shows it did not
-- happen. `status` is the handling status; the engine only ever sets `retracted`, people set
-- the others through the API. Every change, by the engine or by a person, is a
-- violation_audit row, and audit rows are never updated or deleted (a trigger refuses it).
-- `path` is the track during the episode (capped by the engine) as a WGS-84 LineString; an
-- episode with fewer than two fixes has none.

CREATE TABLE violations (
    id bigserial PRIMARY KEY,
    type text NOT NULL CHECK (type IN ('overspeed', 'route_deviation', 'fatigue_continuous',
        'fatigue_daily', 'forbidden_hours', 'unidentified_driver', 'convoy_straggler',
        'convoy_member_offline', 'terminal_alarm', 'terminal_offline')),
    subtype text NOT NULL DEFAULT '',
    severity text NOT NULL CHECK (severity IN ('minor', 'moderate', 'serious', 'severe',
        'critical')),
    vehicle_id bigint REFERENCES vehicles (id),
    driver_id bigint REFERENCES drivers (id),
    convoy_id bigint REFERENCES convoys (id),
    convoy_name text,
    started_at timestamptz NOT NULL,
    ended_at timestamptz CHECK (ended_at IS NULL OR ended_at >= started_at),
    start_point geography(Point, 4326),
    path geography(LineString, 4326),
    peak double precision NOT NULL,
    peak_unit text NOT NULL,
    thresholds jsonb NOT NULL DEFAULT '{}',
    pledge_version integer,
    late boolean NOT NULL DEFAULT false,
    from_gap boolean NOT NULL DEFAULT false,
    needs_review boolean NOT NULL DEFAULT false,
    status text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'acknowledged', 'rectified',
        'dismissed', 'excused', 'retracted')),
    detected_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX violations_vehicle_started ON violations (vehicle_id, started_at);
CREATE INDEX violations_driver_started ON violations (driver_id, started_at);
CREATE INDEX violations_started ON violations (started_at);
CREATE INDEX violations_open ON violations (type) WHERE ended_at IS NULL AND status <> 'retracted';

CREATE TABLE violation_audit (
    id bigserial PRIMARY KEY,
    violation_id bigint NOT NULL REFERENCES violations (id),
    at timestamptz NOT NULL DEFAULT now(),
    actor text NOT NULL,   -- 'engine', or a users.username
    role text NOT NULL,    -- 'engine', or the user's role then
    action text NOT NULL,  -- opened, updated, recomputed, closed, retracted; acknowledge, ...
    note text NOT NULL DEFAULT '',
    detail jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX violation_audit_violation ON violation_audit (violation_id, id);

CREATE FUNCTION fleetwatch_audit_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'violation_audit rows are never changed or deleted (留痕留迹)';
END
$$;
CREATE TRIGGER violation_audit_append_only BEFORE UPDATE OR DELETE ON violation_audit
    FOR EACH ROW EXECUTE FUNCTION fleetwatch_audit_is_append_only();
