#!/usr/bin/env bash
# Restart acceptance of issue 4 with a real crash: `fleetwatch serve` is killed with SIGKILL in
# the middle of a 4 h drive and started again; the fatigue violation still opens at the right
# GPS time.
#
# Usage: kill_restart_test.sh FLEETWATCH_BINARY FLEETWATCH_SIM_BINARY REPOSITORY_DIR
#
# fleetwatch-sim (scenario mode) drives one car round a closed 8 km loop at 50 km/h, its
# driver's IC card inserted at the first log-in, from 08:00 local yesterday at 600x (one fix
# every 10 GPS seconds), for 5 h of GPS time (30 s of wall time). About 2 h into the drive
# (GPS), the server is killed (SIGKILL: no shutdown, no final flush) and started again on the
# same port with the same spool. The simulator reconnects and back-fills what it could not send
# (late data); the new server rebuilds the engine from PostGIS (positions and card sessions of
# rules.rebuild_lookback_h). The car's continuous-driving limit by day is 4 h (RULES.md), so
# exactly one fatigue_continuous must open 4 h after the first stored fix, to the second, charged
# to the card's driver; and every stored fix is stored once. Without the rebuild the new server
# sees under 3 h of driving and opens nothing; without the card replay the episode has no driver.
# The simulated terminal starts reporting at its first log-in, so the first fix is not 08:00 but
# the first 10 s step after the log-in: 08:00:30 on an idle machine, 08:01:10 seen under a loaded
# ASan run (each wall millisecond is 0.6 GPS seconds); the expectation follows the stored data.
#
# Its own PostgreSQL cluster (deploy/pg.sh, free port, no fsync), server ports and spool; always
# stopped and removed (KEEP_TMP=1 keeps the directory and logs). Exit 77 (skipped) when
# PostgreSQL 15 is not installed, unless FLEETWATCH_REQUIRE_DB=1.
set -euo pipefail

(($# == 3)) || { echo "usage: kill_restart_test.sh FLEETWATCH FLEETWATCH_SIM REPO_DIR" >&2; exit 2; }
fw="$(realpath "$1")"
sim="$(realpath "$2")"
repo="$(realpath "$3")"
pg_sh="${repo}/deploy/pg.sh"

# shellcheck source=../../scripts/lib.sh
source "${repo}/scripts/lib.sh"
require_postgres kill_restart

scale=600
sim_s=30  # 5 h of GPS time
phone=013922220001

t_start=${SECONDS}
log() { printf '[kill_restart %3ds] %s\n' "$((SECONDS - t_start))" "$*"; }

tmp="$(mktemp -d "${TMPDIR:-/tmp}/fleetwatch-kill-restart.XXXXXX")"
chmod 0755 "${tmp}"  # pg.sh runs the server as `postgres` when we are root
pgdir="${tmp}/pg"
serve_pid=""
sim_pid=""

fail() {
    log "FAIL: $*"
    local f
    for f in serve-1.log serve-2.log sim.out; do
        [[ -f "${tmp}/${f}" ]] || continue
        echo "----- last lines of ${f} -----"
        tail -n 25 "${tmp}/${f}"
    done
    exit 1
}

cleanup() {
    local rc=$?
    set +e
    stop_pid "${sim_pid}" TERM 5
    stop_pid "${serve_pid}" TERM 20
    "${pg_sh}" stop --dir "${pgdir}" >/dev/null 2>&1
    if [[ "${KEEP_TMP:-0}" == 1 ]]; then echo "kill_restart: kept ${tmp}"; else rm -rf "${tmp}"; fi
    exit "${rc}"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start_cluster "${pgdir}" --no-fsync || fail "could not start PostgreSQL"
log "PostgreSQL on 127.0.0.1:${pg_port}"
sql() { psql "${url}" -qXtA -v ON_ERROR_STOP=1 -c "$1"; }
# local_hms EXPR: SQL for EXPR (a timestamptz) as local HH24:MI:SS.
local_hms() { echo "to_char(($1) AT TIME ZONE 'Asia/Shanghai', 'HH24:MI:SS')"; }

# A closed loop (the last point is the first), about 2 km a side, in Nanjing.
cat >"${tmp}/fleet.yaml" <<EOF
version: 1
timezone: Asia/Shanghai
vehicles:
  - {plate: 苏AK0001, plate_color: 2, class: car, terminal_phone: "${phone}"}
drivers:
  - {name: 陈秀英, license_no: "320102197512030043", ic_card_no: "IC0003", certificate_no: "QC320100000003"}
routes:
  - name: 环线
    crs: wgs84
    corridor_m: 50
    points: [[118.9000, 32.1000], [118.9200, 32.1000], [118.9200, 32.1180], [118.9000, 32.1180], [118.9000, 32.1000]]
simulation:
  protocol: "2013"
  report_interval_s: 10
  time_scale: ${scale}
  terminals:
    - {vehicle: 苏AK0001, route: 环线, speed_kmh: 50, loop: true, card: "320102197512030043"}
EOF
"${fw}" migrate --database-url "${url}" >"${tmp}/migrate.log" 2>&1 || { cat "${tmp}/migrate.log"; fail "migrate"; }
"${fw}" fleet import "${tmp}/fleet.yaml" --database-url "${url}" >"${tmp}/import.log" 2>&1 ||
    { cat "${tmp}/import.log"; fail "fleet import"; }
driver="$(sql "SELECT id FROM drivers WHERE certificate_no = 'QC320100000003'")"

serve_args=(--http.listen "" --storage.spool_dir "${tmp}/spool" --log.level info
            --rules.fleet_file "${tmp}/fleet.yaml" --rules.rebuild_lookback_h 72 --rules.shards 2)
start_serve "${tmp}/serve-1.log" --ingest.listen 127.0.0.1:0 "${serve_args[@]}" ||
    fail "serve did not start"
port="${ingest_port}"
log "serve pid ${serve_pid} on 127.0.0.1:${port}"

# 08:00 local (UTC+8) yesterday.
start_time="$(TZ=Asia/Shanghai date -d 'yesterday 08:00' +%Y-%m-%dT%H:%M:%S+08:00)"
"${sim}" --fleet "${tmp}/fleet.yaml" --server "127.0.0.1:${port}" --start-time "${start_time}" \
    --time-scale "${scale}" --duration "${sim_s}s" --end-stop-min 0 --status-every 2s \
    >"${tmp}/sim.out" 2>&1 &
sim_pid=$!
log "fleetwatch-sim from ${start_time} at ${scale}x for ${sim_s}s"

# About 2 h of GPS time stored (720 fixes), then SIGKILL.
stored=0
for _ in $(seq 1 300); do
    stored="$(sql "SELECT count(*) FROM positions")"
    ((stored >= 720)) && break
    kill -0 "${sim_pid}" 2>/dev/null || fail "the simulator ended early"
    sleep 0.1
done
((stored >= 720)) || fail "only ${stored} positions stored after 30 s"
kill -KILL "${serve_pid}"
wait "${serve_pid}" 2>/dev/null || true
serve_pid=""
last="$(sql "SELECT $(local_hms 'max(gps_time)') FROM positions")"
log "killed the server with ${stored} positions stored (GPS up to ${last} local)"

start_serve "${tmp}/serve-2.log" --ingest.listen "127.0.0.1:${port}" "${serve_args[@]}" ||
    fail "serve did not start again on port ${port}"
rebuilt="$(grep -o 'rebuilt from [0-9]* stored positions and [0-9]* card events' "${tmp}/serve-2.log" || true)"
log "restarted: ${rebuilt}"
[[ "${rebuilt}" =~ from\ ([0-9]+)\ stored.*and\ ([0-9]+)\ card ]] || fail "no rebuild line in the log"
((BASH_REMATCH[1] >= 700)) || fail "the rebuild read only ${BASH_REMATCH[1]} positions"
((BASH_REMATCH[2] >= 1)) || fail "the rebuild found no card event"

wait "${sim_pid}" || fail "the simulator failed"
sim_pid=""
tail -n 2 "${tmp}/sim.out"

fatigue="SELECT coalesce(string_agg($(local_hms started_at) || ' driver ' || coalesce(driver_id::text, 'none'), ','), '') FROM violations WHERE type = 'fatigue_continuous'"
got=""
for _ in $(seq 1 100); do  # the rules write within a second or two
    got="$(sql "${fatigue}")"
    [[ -n "${got}" ]] && break
    sleep 0.2
done
positions="$(sql "SELECT count(*) || ' ' || count(DISTINCT gps_time) || ' ' || $(local_hms 'min(gps_time)') || ' ' ||
                         $(local_hms 'max(gps_time)') || ' ' || $(local_hms "min(gps_time) + interval '4 hours'")
                  FROM positions")"
read -r n distinct first last expected <<<"${positions}"
log "positions: ${n} stored, ${distinct} distinct GPS times, ${first} to ${last}; fatigue_continuous: ${got:-none}"
((n == distinct)) || fail "${n} positions stored for ${distinct} GPS times: a fix stored twice"
[[ "${first}" < "08:30:00" ]] || fail "the first fix is at ${first}: the simulator logged in half an hour late"
[[ "${last}" > "12:30:00" ]] || fail "the drive reached only ${last}"
[[ "${got}" == "${expected} driver ${driver}" ]] ||
    fail "expected one fatigue_continuous opening at ${expected} (4 h after the first fix) charged to driver ${driver}, got '${got}'"
log "PASS"
