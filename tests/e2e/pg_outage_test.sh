#!/usr/bin/env bash
# Fault test (issue 3): terminals keep sending while PostgreSQL is stopped for 30 s and started
# again; afterwards every position acknowledged to a terminal is in PostGIS exactly once.
#
# Usage: pg_outage_test.sh FLEETWATCH_BINARY FLEETWATCH_SIM_BINARY REPOSITORY_DIR
#
# Everything is its own: a PostgreSQL cluster started with deploy/pg.sh in a temporary directory
# on a free 127.0.0.1 port (not the FLEETWATCH_TEST_DATABASE_URL cluster: other tests use that one
# at the same time), `fleetwatch serve` on a port it picks (read back from its log), its own spool
# directory and a metrics port. Two simulators run at once, each writing an ack log (every
# position answered with 0x8001 result 0):
#   - load mode: 50 generated terminals (gen-fleet), LOAD_RATE reports/s, several in flight;
#   - scenario mode: the demo fleet at 60x (2013 and 2019 terminals, an IC card event 0x0702, a
#     silent window, a blind-zone 0x0704 back-fill).
# About 10 s into the sending phase the cluster is stopped (pg_ctl -m fast), kept down for
# OUTAGE_S seconds while the test checks that the server goes on acknowledging (the simulators'
# acked counters and the server's accepted counter grow, its writer reports db_up 0 and a
# non-empty spool), then started again. When the simulators are done the test waits for the
# spool to drain, stops the server with SIGTERM and compares the ack logs with `positions`:
# every acknowledged (phone, GPS time) once, none missing, with the acknowledged coordinates.
# The cluster, the server and the simulators are always stopped and the directory removed.
#
# Environment (optional): OUTAGE_S (30), LOAD_RATE (400), SIM_SECONDS (60), PG_STOP_MODE (fast;
# `immediate` = pg_ctl -m immediate, a crash of PostgreSQL without a shutdown checkpoint), PG_FSYNC
# (0; 1 = the cluster with fsync and synchronous_commit on), KEEP_TMP=1 (leave the temporary
# directory, logs included).
set -euo pipefail

(($# == 3)) || { echo "usage: pg_outage_test.sh FLEETWATCH FLEETWATCH_SIM REPO_DIR" >&2; exit 2; }
fw="$(realpath "$1")"
sim="$(realpath "$2")"
repo="$(realpath "$3")"
pg_sh="${repo}/deploy/pg.sh"

# shellcheck source=../../scripts/lib.sh
source "${repo}/scripts/lib.sh"
require_postgres pg_outage

outage_s="${OUTAGE_S:-30}"
load_rate="${LOAD_RATE:-400}"
sim_s="${SIM_SECONDS:-60}"
load_terminals=50
load_prefix=0147   # phones 014700000001 ..: not the demo fleet's 0139...

t_start=${SECONDS}
log() { printf '[pg_outage %3ds] %s\n' "$((SECONDS - t_start))" "$*"; }
fail() {
    log "FAIL: $*"
    dump_logs
    exit 1
}

tmp="$(mktemp -d "${TMPDIR:-/tmp}/fleetwatch-pg-outage.XXXXXX")"
chmod 0755 "${tmp}"  # pg.sh runs the server as `postgres` when we are root: it must reach pg/
pgdir="${tmp}/pg"
serve_pid=""
load_pid=""
scen_pid=""
pg_port=""

dump_logs() {
    local f
    for f in serve.log load.out scenario.out; do
        [[ -f "${tmp}/${f}" ]] || continue
        echo "----- last lines of ${f} -----"
        tail -n 25 "${tmp}/${f}"
    done
    if [[ -f "${pgdir}/postgres.log" ]]; then
        echo "----- last lines of postgres.log -----"
        tail -n 15 "${pgdir}/postgres.log"
    fi
}

cleanup() {
    local rc=$?
    set +e
    stop_pid "${load_pid}" TERM 5
    stop_pid "${scen_pid}" TERM 5
    stop_pid "${serve_pid}" TERM 20
    "${pg_sh}" stop --dir "${pgdir}" >/dev/null 2>&1
    if [[ "${KEEP_TMP:-0}" == 1 ]]; then
        echo "pg_outage: kept ${tmp}"
    else
        rm -rf "${tmp}"
    fi
    exit "${rc}"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM


# ---- PostgreSQL ------------------------------------------------------------------------------
# pg.sh --no-fsync: fsync, synchronous_commit and full_page_writes off, a throwaway cluster. A
# fast stop writes everything committed. An immediate stop is a crash of PostgreSQL (not of the
# machine: what reached the kernel survives without fsync); with synchronous_commit off it would
# lose the last commits, still in its WAL buffers, which is why the position writer turns
# synchronous_commit back on for its own connections. PG_FSYNC=1 runs the cluster durable.
pg_opts=(--no-fsync)
[[ "${PG_FSYNC:-0}" == 1 ]] && pg_opts=()
start_cluster "${pgdir}" "${pg_opts[@]}" || fail "could not start PostgreSQL"
log "PostgreSQL on 127.0.0.1:${pg_port} (${pgdir})"
sql() { psql "${url}" -qXtA -v ON_ERROR_STOP=1 -c "$1"; }

"${fw}" migrate --database-url "${url}" >"${tmp}/migrate.log" 2>&1 || { cat "${tmp}/migrate.log"; fail "migrate"; }
"${sim}" gen-fleet --count "${load_terminals}" --phone-prefix "${load_prefix}" --out "${tmp}/load-fleet.yaml" >/dev/null
"${fw}" fleet import "${tmp}/load-fleet.yaml" --database-url "${url}" >"${tmp}/import.log" 2>&1 ||
    { cat "${tmp}/import.log"; fail "fleet import (generated)"; }
"${fw}" fleet import "${repo}/deploy/demo-fleet.yaml" --database-url "${url}" >>"${tmp}/import.log" 2>&1 ||
    { cat "${tmp}/import.log"; fail "fleet import (demo)"; }
vehicles="$(sql "SELECT count(*) FROM vehicles")"
[[ "${vehicles}" == $((load_terminals + 6)) ]] || fail "expected $((load_terminals + 6)) vehicles, found ${vehicles}"

# ---- the server --------------------------------------------------------------------------------

start_serve "${tmp}/serve.log" \
    --ingest.listen 127.0.0.1:0 \
    --ingest.max_sessions_per_address 0 \
    --http.listen "" \
    --storage.spool_dir "${tmp}/spool" \
    --log.level info ||
    fail "serve did not start"
for _ in $(seq 1 100); do [[ -n "$(metric fleetwatch_storage_db_up)" ]] && break; sleep 0.1; done
[[ "$(metric fleetwatch_storage_db_up)" == 1 ]] || fail "the writer is not connected (db_up $(metric fleetwatch_storage_db_up))"
log "serve pid ${serve_pid}: terminals on 127.0.0.1:${ingest_port}, metrics on 127.0.0.1:${metrics_port}"

# ---- the simulators ----------------------------------------------------------------------------
"${sim}" load --server "127.0.0.1:${ingest_port}" --terminals "${load_terminals}" \
    --phone-prefix "${load_prefix}" --rate "${load_rate}" --in-flight 4 \
    --duration "${sim_s}s" --drain 20s --ready-timeout 60s --ack-log "${tmp}/load-acks.csv" \
    >"${tmp}/load.out" 2>&1 &
load_pid=$!
"${sim}" --fleet "${repo}/deploy/demo-fleet.yaml" --server "127.0.0.1:${ingest_port}" \
    --time-scale 60 --duration "$((sim_s + 5))s" --status-every 1s --ack-log "${tmp}/scenario-acks.csv" \
    >"${tmp}/scenario.out" 2>&1 &
scen_pid=$!

# The sending phase starts when every load terminal is authenticated.
for _ in $(seq 1 600); do
    grep -q "terminals authenticated in" "${tmp}/load.out" && break
    kill -0 "${load_pid}" 2>/dev/null || fail "the load simulator exited early"
    sleep 0.1
done
grep -q "${load_terminals} of ${load_terminals} terminals authenticated in" "${tmp}/load.out" ||
    fail "the load terminals did not all authenticate"
log "simulators sending ($(grep -m1 'terminals authenticated in' "${tmp}/load.out"))"

# The acked counters of the simulators' latest progress lines (0 before the first one).
load_acked() { { grep '^load: t=' "${tmp}/load.out" || echo ' acked=0'; } | tail -n 1 | grep -o ' acked=[0-9]*' | cut -d= -f2; }
scen_acked() { { grep '^sim: t=' "${tmp}/scenario.out" || echo ' acked=0'; } | tail -n 1 | grep -o ' acked=[0-9]*' | cut -d= -f2; }
accepted() { metric fleetwatch_storage_positions_accepted_total; }

sleep 10
kill -0 "${serve_pid}" 2>/dev/null || fail "serve exited"
before_accepted="$(accepted)"
before_load="$(load_acked)"
before_scen="$(scen_acked)"
log "stopping PostgreSQL (${PG_STOP_MODE:-fast}); so far accepted=${before_accepted} load_acked=${before_load} scenario_acked=${before_scen:-0}"
if [[ "${PG_STOP_MODE:-fast}" == fast ]]; then
    "${pg_sh}" stop --dir "${pgdir}" >/dev/null
else
    # What pg.sh stop does, with another mode; as root the cluster belongs to its server user.
    pg_ctl=("${PG_BIN:-/usr/lib/postgresql/15/bin}/pg_ctl" -D "${pgdir}/data" -m "${PG_STOP_MODE}" -w -t 60 stop)
    owner="$(stat -c %U "${pgdir}/data")"
    if ((EUID == 0)) && [[ "${owner}" != root ]]; then
        runuser -u "${owner}" -- "${pg_ctl[@]}" >/dev/null
    else
        "${pg_ctl[@]}" >/dev/null
    fi
fi
down_at=${SECONDS}

# During the outage: the server goes on accepting and acknowledging, through the spool.
saw_down=0
saw_spool=0
max_spool=0
while ((SECONDS - down_at < outage_s)); do
    sleep 2
    kill -0 "${serve_pid}" 2>/dev/null || fail "serve exited during the outage"
    up="$(metric fleetwatch_storage_db_up)"
    spool="$(metric fleetwatch_storage_spool_records)"
    [[ "${up}" == 0 ]] && saw_down=1
    [[ -n "${spool}" ]] && ((spool > 0)) && saw_spool=1
    [[ -n "${spool}" ]] && ((spool > max_spool)) && max_spool=${spool}
    log "outage t=$((SECONDS - down_at))s: db_up=${up} spool_records=${spool} accepted=$(accepted) load_acked=$(load_acked) scenario_acked=$(scen_acked)"
done
during_accepted="$(accepted)"
during_load="$(load_acked)"
during_scen="$(scen_acked)"
((saw_down)) || fail "the writer never reported db_up 0 during the outage"
((saw_spool)) || fail "nothing went into the spool during the outage"
# At LOAD_RATE/s for ~OUTAGE_S s: demand at least a quarter of that, whatever the machine's load.
min_growth=$((load_rate * outage_s / 4))
((during_load - before_load >= min_growth)) ||
    fail "the load terminals got only $((during_load - before_load)) acks during the outage (expected >= ${min_growth})"
((during_accepted - before_accepted >= min_growth)) ||
    fail "the server accepted only $((during_accepted - before_accepted)) positions during the outage"
((${during_scen:-0} > ${before_scen:-0})) || fail "the demo fleet got no acks during the outage"
grep -qE "storage: (writing to PostgreSQL failed|cannot connect to PostgreSQL)" "${tmp}/serve.log" ||
    fail "serve did not log the outage"
log "outage over: acked during it: load $((during_load - before_load)), scenario $((during_scen - before_scen)); spool peaked at >= ${max_spool} records; starting PostgreSQL"
"${pg_sh}" start --dir "${pgdir}" --port "${pg_port}" "${pg_opts[@]}" >"${tmp}/pg-restart.log" 2>&1 ||
    { cat "${tmp}/pg-restart.log"; fail "PostgreSQL did not start again"; }

# ---- the end of the run --------------------------------------------------------------------------
exit_rc=""
wait_exit() {  # wait_exit PID SECONDS NAME: sets exit_rc, or fails after SECONDS
    local pid="$1" secs="$2" name="$3" i
    for ((i = 0; i < secs * 10; i++)); do
        kill -0 "${pid}" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "${pid}" 2>/dev/null && fail "${name} did not exit within ${secs} s"
    set +e
    wait "${pid}"
    exit_rc=$?
    set -e
}
wait_exit "${load_pid}" $((sim_s + 90)) "the load simulator"
load_pid=""
load_rc=${exit_rc}
wait_exit "${scen_pid}" 60 "the scenario simulator"
scen_pid=""
scen_rc=${exit_rc}
load_summary="$(grep '^load: terminals=' "${tmp}/load.out" | tail -n 1)"
scen_summary="$(grep '^sim: done' "${tmp}/scenario.out" | tail -n 1)"
log "load simulator exit ${load_rc}: ${load_summary}"
log "scenario simulator exit ${scen_rc}: ${scen_summary}"
[[ "${scen_rc}" == 0 ]] || fail "the scenario simulator failed"
# Exit 3 = something not acknowledged with result 0 (refused, errors, unacked at the end).
[[ "${load_rc}" == 0 ]] || fail "the load simulator reports refusals, errors or unacknowledged reports"

# Everything accepted reaches the table: wait until the queue and the spool are empty.
drained=0
for _ in $(seq 1 120); do
    up="$(metric fleetwatch_storage_db_up)"
    spool="$(metric fleetwatch_storage_spool_records)"
    queue="$(metric fleetwatch_storage_queue_depth)"
    if [[ "${up}" == 1 && "${spool}" == 0 && "${queue}" == 0 ]]; then drained=1; break; fi
    sleep 1
done
((drained)) || fail "the writer did not drain its spool within 120 s (db_up=${up} spool=${spool} queue=${queue})"
spooled="$(metric fleetwatch_storage_positions_spooled_total)"
replayed="$(metric fleetwatch_storage_positions_replayed_total)"
stored="$(metric fleetwatch_storage_positions_stored_total)"
duplicates="$(metric fleetwatch_storage_positions_duplicate_total)"
refused="$(metric fleetwatch_ingest_acks_total '{result="failure"}')"
log "writer: spooled=${spooled} replayed=${replayed} stored=${stored} duplicates=${duplicates}; acks with result 1: ${refused}"
((spooled > 0 && replayed >= spooled)) || fail "expected the spool to be filled and replayed (spooled ${spooled}, replayed ${replayed})"

kill -TERM "${serve_pid}"
wait_exit "${serve_pid}" 60 "serve (after SIGTERM)"
serve_pid=""
serve_rc=${exit_rc}
[[ "${serve_rc}" == 0 ]] || fail "serve exited ${serve_rc} after SIGTERM"
grep -q "PostgreSQL takes writes again" "${tmp}/serve.log" || fail "serve did not log the end of the outage"

# ---- acknowledged vs stored ----------------------------------------------------------------------
cat "${tmp}/load-acks.csv" "${tmp}/scenario-acks.csv" >"${tmp}/acks.csv"
ack_lines="$(wc -l <"${tmp}/acks.csv")"
((ack_lines > 0)) || fail "the ack logs are empty"
result="$(psql "${url}" -qXtA -v ON_ERROR_STOP=1 -F ' ' <<SQL
CREATE TEMP TABLE acks(phone_key text, gps_time timestamptz, lat float8, lon float8, speed real);
\copy acks FROM '${tmp}/acks.csv' WITH (FORMAT csv)
CREATE TEMP TABLE stored AS
  SELECT v.phone_key, p.gps_time, ST_Y(p.geom::geometry) AS lat, ST_X(p.geom::geometry) AS lon, p.speed_kmh
    FROM positions p JOIN vehicles v ON v.id = p.vehicle_id;
SELECT
  (SELECT count(*) FROM acks),
  (SELECT count(*) FROM (SELECT DISTINCT phone_key, gps_time FROM acks) d),
  (SELECT count(*) FROM (SELECT phone_key, gps_time FROM acks GROUP BY 1, 2 HAVING count(*) > 1) d),
  (SELECT count(*) FROM stored),
  (SELECT count(*) FROM (SELECT phone_key, gps_time FROM stored GROUP BY 1, 2 HAVING count(*) > 1) d),
  (SELECT count(*) FROM (SELECT phone_key, gps_time FROM acks EXCEPT SELECT phone_key, gps_time FROM stored) d),
  (SELECT count(*) FROM (SELECT phone_key, gps_time FROM stored EXCEPT SELECT phone_key, gps_time FROM acks) d),
  (SELECT count(*) FROM acks a JOIN stored s USING (phone_key, gps_time)
    WHERE abs(a.lat - s.lat) > 1e-6 OR abs(a.lon - s.lon) > 1e-6 OR abs(a.speed - s.speed_kmh) > 0.05),
  (SELECT count(*) FROM acks WHERE phone_key LIKE '147%');
SQL
)"
read -r acks distinct ack_dups rows row_dups missing extra mismatched load_acks <<<"${result}"
log "ack log lines ${acks} (load ${load_acks}, scenario $((acks - load_acks))), distinct ${distinct}, repeated in the ack log ${ack_dups}"
log "positions rows ${rows}, stored more than once ${row_dups}, acknowledged but missing ${missing}, stored but not acknowledged ${extra}, acknowledged with other values ${mismatched}"
if ((missing > 0)); then
    psql "${url}" -qX <<SQL
CREATE TEMP TABLE acks(phone_key text, gps_time timestamptz, lat float8, lon float8, speed real);
\copy acks FROM '${tmp}/acks.csv' WITH (FORMAT csv)
SELECT a.* FROM acks a JOIN vehicles v USING (phone_key)
  LEFT JOIN positions p ON p.vehicle_id = v.id AND p.gps_time = a.gps_time
 WHERE p.vehicle_id IS NULL ORDER BY 1, 2 LIMIT 20;
SQL
fi
((ack_dups == 0)) || fail "${ack_dups} positions were acknowledged more than once"
((row_dups == 0)) || fail "${row_dups} positions are stored more than once"
((missing == 0)) || fail "${missing} acknowledged positions are not in PostGIS"
((mismatched == 0)) || fail "${mismatched} stored positions differ from what was acknowledged"
# Stored but never acknowledged: sent before the simulators stopped, ack not read. The load
# simulator drains to zero unacknowledged, so only the scenario's last reports can be here.
((extra <= 50)) || fail "${extra} stored positions were never acknowledged (expected only the scenario's last few)"
((load_acks > 0 && acks - load_acks > 0)) || fail "both simulators should have acknowledged positions"
log "PASS: ${acks} acknowledged positions, each in PostGIS exactly once, through a ${outage_s} s outage (${spooled} via the spool)"
