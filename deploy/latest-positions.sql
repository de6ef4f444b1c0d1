-- The latest stored position of every vehicle, and how many positions it has: the quick start's
-- "where to look" (./scripts/run.sh). From the repository root:
--   deploy/pg.sh psql -f deploy/latest-positions.sql
--
-- positions has one row per report (storage/migrations/0002_positions.sql, docs/storage.md):
-- geom is a WGS-84 geography point, gps_time is UTC (the terminals' GMT+8 converted), source says
-- which message carried it. Its primary key (vehicle_id, gps_time) makes "the latest of a
-- vehicle" one index lookup per daily partition.
SELECT v.plate,
       v.class,
       p.gps_time,
       round(ST_Y(p.geom::geometry)::numeric, 6) AS lat,
       round(ST_X(p.geom::geometry)::numeric, 6) AS lon,
       p.speed_kmh,
       p.direction,
       CASE p.source WHEN 0 THEN 'live' WHEN 1 THEN 'query_reply' WHEN 2 THEN 'batch'
                     WHEN 3 THEN 'blind_zone' END AS source,
       date_trunc('second', now() - p.received_at) AS received_ago,
       (SELECT count(*) FROM positions c WHERE c.vehicle_id = v.id) AS positions
  FROM vehicles v
  LEFT JOIN LATERAL (SELECT * FROM positions q
                      WHERE q.vehicle_id = v.id
                      ORDER BY q.gps_time DESC
                      LIMIT 1) p ON true
 ORDER BY v.plate;
