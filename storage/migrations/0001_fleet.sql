-- 0001 fleet: PostGIS, and the fleet the rules judge — vehicles and their terminals, drivers
-- and their pledges, routes, zones, convoys, trips, driver card sessions, settings.
-- Coordinates are WGS-84 (SRID 4326) geography; routes/zones drawn in GCJ-02 or BD-09 are
-- converted before they get here (source_crs records what they were drawn in).

CREATE EXTENSION IF NOT EXISTS postgis;

-- Fleet-wide settings (timezone: the IANA zone of calendar days and night windows).
CREATE TABLE settings (
    key text PRIMARY KEY,
    value text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO settings (key, value) VALUES ('timezone', 'Asia/Shanghai');

CREATE TABLE vehicles (
    id bigserial PRIMARY KEY,
    plate text NOT NULL UNIQUE CHECK (plate <> ''),
    plate_color smallint NOT NULL DEFAULT 0 CHECK (plate_color BETWEEN 0 AND 255),
    class text NOT NULL DEFAULT 'other'
        CHECK (class IN ('school_bus', 'bus', 'car', 'truck', 'other')),
    -- As written ("013900000101"); phone_key is what terminals are matched by: the digits
    -- without leading zeros, the same for 2013 (12-digit) and 2019 (20-digit) headers.
    terminal_phone text CHECK (terminal_phone ~ '^[0-9]{1,20}$'),
    phone_key text GENERATED ALWAYS AS (
        CASE WHEN ltrim(terminal_phone, '0') = '' THEN '0' ELSE ltrim(terminal_phone, '0') END
    ) STORED,
    requires_card boolean NOT NULL DEFAULT false,  -- unidentified_driver applies
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- Deferrable so one import can move a phone from one vehicle to another.
    CONSTRAINT vehicles_phone_key_key UNIQUE (phone_key) DEFERRABLE INITIALLY IMMEDIATE
);

-- What terminals told us. A row appears when a terminal registers (0x0100) or is first seen;
-- vehicle_id follows vehicles.phone_key (kept in step by registration and fleet import).
CREATE TABLE terminals (
    phone_key text PRIMARY KEY CHECK (phone_key ~ '^([1-9][0-9]{0,19}|0)$'),
    vehicle_id bigint REFERENCES vehicles (id) ON DELETE SET NULL,
    auth_code text,                     -- NULL until the first registration
    dialect text CHECK (dialect IN ('2011', '2013', '2019')),
    registered_at timestamptz,
    authenticated_at timestamptz,
    last_seen_at timestamptz,
    province_id integer,
    city_id integer,
    maker_id text,
    model text,
    terminal_id text,
    reported_plate text,                -- as the terminal sent it in 0x0100
    reported_plate_color smallint,
    imei text,                          -- 0x0102, 2019 terminals
    software_version text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX terminals_vehicle_id ON terminals (vehicle_id);

CREATE TABLE drivers (
    id bigserial PRIMARY KEY,
    license_no text NOT NULL UNIQUE CHECK (license_no <> ''),
    name text NOT NULL,
    ic_card_no text,
    -- Qualification certificate number, read from the IC card (0x0702): card sessions are
    -- matched to drivers by it.
    certificate_no text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT drivers_certificate_no_key UNIQUE (certificate_no) DEFERRABLE INITIALLY IMMEDIATE
);

-- "HH:MM-HH:MM" local-time windows (end may be 24:00; a window may wrap midnight).
CREATE FUNCTION fleetwatch_valid_time_windows(windows text[]) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT coalesce(bool_and(w ~ '^([01][0-9]|2[0-3]):[0-5][0-9]-(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$'), true)
    FROM unnest(windows) AS w
$$;

-- 安全文明驾驶承诺书. Versioned and never edited: new terms are a new version. NULL terms mean
-- "the law's default". The CHECKs repeat the law (RULES.md) as a last line of defence; the
-- school-bus maximum (80) depends on trips and is checked by the application.
CREATE TABLE pledges (
    id bigserial PRIMARY KEY,
    driver_id bigint NOT NULL REFERENCES drivers (id),
    version integer NOT NULL CHECK (version >= 1),
    max_speed_kmh integer CHECK (max_speed_kmh BETWEEN 1 AND 120),
    max_continuous_driving_min integer CHECK (max_continuous_driving_min BETWEEN 1 AND 240),
    night_max_continuous_min integer CHECK (night_max_continuous_min BETWEEN 1 AND 120),
    min_rest_min integer CHECK (min_rest_min >= 20),
    max_daily_driving_min integer CHECK (max_daily_driving_min BETWEEN 1 AND 480),
    forbidden_hours text[] NOT NULL DEFAULT '{}'
        CHECK (fleetwatch_valid_time_windows(forbidden_hours)),
    max_route_deviation_m integer CHECK (max_route_deviation_m > 0),
    signed_on date NOT NULL,
    valid_from date NOT NULL,
    valid_to date,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (driver_id, version),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);

CREATE TABLE routes (
    id bigserial PRIMARY KEY,
    name text NOT NULL UNIQUE CHECK (name <> ''),
    geom geography(LineString, 4326) NOT NULL,
    source_crs text NOT NULL DEFAULT 'wgs84' CHECK (source_crs IN ('wgs84', 'gcj02', 'bd09')),
    corridor_m integer NOT NULL DEFAULT 50 CHECK (corridor_m > 0),  -- half-width H
    speed_limit_kmh integer CHECK (speed_limit_kmh BETWEEN 1 AND 120),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX routes_geom_gist ON routes USING gist (geom);

-- A circle is stored as its buffered polygon (geom, for containment) plus center and radius.
CREATE TABLE zones (
    id bigserial PRIMARY KEY,
    name text NOT NULL UNIQUE CHECK (name <> ''),
    kind text NOT NULL DEFAULT 'other' CHECK (kind IN ('campus', 'expressway', 'other')),
    source_crs text NOT NULL DEFAULT 'wgs84' CHECK (source_crs IN ('wgs84', 'gcj02', 'bd09')),
    geom geography(Polygon, 4326) NOT NULL,
    center geography(Point, 4326),
    radius_m double precision CHECK (radius_m > 0),
    speed_limit_kmh integer CHECK (speed_limit_kmh BETWEEN 1 AND 120),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((center IS NULL) = (radius_m IS NULL))
);
CREATE INDEX zones_geom_gist ON zones USING gist (geom);

CREATE TABLE convoys (
    id bigserial PRIMARY KEY,
    name text NOT NULL UNIQUE CHECK (name <> ''),
    leader_username text NOT NULL,
    max_gap_m integer NOT NULL DEFAULT 3000 CHECK (max_gap_m > 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- planned_start/planned_end as written in the fleet file: "HH:MM" = every day, in the fleet's
-- timezone; or an RFC 3339 date-time for a single trip (without an offset: fleet timezone).
CREATE TABLE trips (
    id bigserial PRIMARY KEY,
    vehicle_id bigint NOT NULL REFERENCES vehicles (id),
    driver_id bigint REFERENCES drivers (id),
    route_id bigint NOT NULL REFERENCES routes (id),
    convoy_id bigint REFERENCES convoys (id),
    planned_start text NOT NULL,
    planned_end text NOT NULL,
    students_aboard boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (vehicle_id, route_id, planned_start)
);
CREATE INDEX trips_driver_id ON trips (driver_id);
CREATE INDEX trips_route_id ON trips (route_id);
CREATE INDEX trips_convoy_id ON trips (convoy_id);

-- 0x0702 IC card in/out. At most one open session (card_out_at NULL) per vehicle.
-- card_in_at is NULL only for a card-out that arrived with no session open.
CREATE TABLE driver_card_sessions (
    id bigserial PRIMARY KEY,
    vehicle_id bigint NOT NULL REFERENCES vehicles (id),
    driver_id bigint REFERENCES drivers (id),  -- matched by certificate_no; NULL if unknown
    driver_name text NOT NULL DEFAULT '',
    certificate_no text NOT NULL DEFAULT '',
    id_card_no text NOT NULL DEFAULT '',
    issuer text NOT NULL DEFAULT '',
    ic_result smallint,
    card_in_at timestamptz,
    card_out_at timestamptz,
    closed_by text CHECK (closed_by IN ('card_out', 'card_in')),
    received_at timestamptz NOT NULL,
    CHECK (card_in_at IS NOT NULL OR card_out_at IS NOT NULL),
    CHECK ((card_out_at IS NULL) = (closed_by IS NULL))
);
CREATE UNIQUE INDEX driver_card_sessions_one_open_per_vehicle
    ON driver_card_sessions (vehicle_id) WHERE card_out_at IS NULL;
CREATE INDEX driver_card_sessions_vehicle_in ON driver_card_sessions (vehicle_id, card_in_at);
CREATE INDEX driver_card_sessions_vehicle_out ON driver_card_sessions (vehicle_id, card_out_at);
CREATE INDEX driver_card_sessions_driver_in ON driver_card_sessions (driver_id, card_in_at);
