#!/usr/bin/env bash
# fleetwatch's run command: ./scripts/run.sh
#
# The whole of fleetwatch on one machine, with a simulated fleet driving around Nanjing:
#   1. deploy/install-deps.sh installs what is missing (Debian 12; as root, or through sudo)
#   2. builds `fleetwatch` and `fleetwatch-sim` in build/release (Ninja, RelWithDebInfo, -Werror)
#   3. deploy/pg.sh starts a private PostgreSQL 15 + PostGIS cluster in var/pg on 127.0.0.1:55432
#      (initialised on the first run; no system service; as root it runs as the postgres user)
#   4. fleetwatch migrate, then fleetwatch fleet import deploy/demo-fleet.yaml (idempotent):
#      campus shuttle lines, a school bus, a three-bus field-trip convoy, drivers, pledges
#   5. fleetwatch serve in the background: JT/T 808 on port 6808, Prometheus metrics on 9464,
#      log in var/log/serve.log, spool in var/spool
#   6. fleetwatch-sim drives the fleet file's simulation: section against it (log var/log/sim.log):
#      the first 10 minutes replay the last 10 hours of driving at 60x, then it goes on in real time
# It then prints where to look (ports, a curl for the metrics, a psql for the latest positions,
# the logs) and follows both logs, prefixed `serve |` and `sim   |` (the simulator's status line
# comes every 5 s). Ctrl-C (or SIGTERM, SIGHUP) stops the simulator, then the server (SIGTERM:
# it flushes what it acknowledged), then the cluster, and exits 0. Re-running reuses the cluster
# and the imported fleet. Busy ports are reported with what holds them: stop it, or --port-offset.
#
# Usage: ./scripts/run.sh [OPTIONS]                  the demo, until Ctrl-C
#        ./scripts/run.sh [OPTIONS] decode [FILE]    decode a terminal capture instead: FILE
#            (default deploy/samples/terminal-session.hex; '-' = stdin) through
#            `fleetwatch decode`, one JSON line per frame; builds only `fleetwatch`
# Options:
#   --no-deps          do not run deploy/install-deps.sh
#   --no-build         use the binaries already in the build directory (do not run cmake)
#   --build-dir DIR    build directory (default build/release)
#   --var-dir DIR      state: the cluster in DIR/pg, logs in DIR/log, spool in DIR/spool
#                      (default var; logs of the previous run are kept as *.log.1). As root,
#                      when the postgres user cannot reach DIR (a clone under /root), the
#                      cluster goes to /var/tmp/fleetwatch-pg-N instead (it says so)
#   --port-offset N    add N to every port: 6808, 8080, 9464 and 55432
#                      (env FLEETWATCH_DEMO_PORT_OFFSET)
#   --time-scale X     GPS seconds per wall-clock second while accelerated (default 60)
#   --replay D         how long (wall clock) the accelerated replay lasts before real time
#                      (default 10m; 0 = real time from the start)
#   --duration D       run the simulator accelerated for D (90s, 10m, 1h30m; its GPS clock ends
#                      at the present), then stop everything and exit 0 (for CI: a smoke test)
#   --keep-db          leave the cluster running at the end (deploy/pg.sh stop stops it); a
#                      cluster that was already running before run.sh is always left running
#   -h, --help         this text
# Environment: JOBS (parallel build jobs; default: all cores). FLEETWATCH_* variables of
# `fleetwatch serve --help` reach the server (e.g. FLEETWATCH_LOG_LEVEL=debug), except the
# options run.sh sets itself: database.url, ingest.listen, http.listen, http.static_dir, metrics.listen,
# rules.fleet_file, storage.spool_dir. The API's first admin gets the password in FLEETWATCH_ADMIN_PASSWORD
# (default here: fleetwatch-demo; only while the users table is empty).
# Exit status: 0 after Ctrl-C/SIGTERM or --duration; 1 when something failed (a busy port, a
# build error, the server or the simulator died: the end of its log is printed); 2 for bad
# options; 128+signal when interrupted before the demo was up.
set -euo pipefail

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${ROOT}/scripts/run.sh"; }
die() { echo "run.sh: $*" >&2; exit 1; }
bad_usage() { echo "run.sh: $*" >&2; echo "run.sh: see ./scripts/run.sh --help" >&2; exit 2; }

caller_pwd="$(pwd)"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"
# shellcheck source=scripts/lib.sh
source "${ROOT}/scripts/lib.sh"
# Paths given on the command line are relative to where run.sh was called from.
absolute() { if [[ "$1" == /* ]]; then echo "$1"; else echo "${caller_pwd}/$1"; fi; }
# Paths shown to the user: relative to the repository when run.sh was called from its root.
shown() {
    local p="$1"
    [[ "${p}" == /* ]] || p="${ROOT}/${p}"
    if [[ "${caller_pwd}" == "${ROOT}" && "${p}" == "${ROOT}/"* ]]; then echo "${p#"${ROOT}/"}"; else echo "${p}"; fi
}
# Seconds in a duration as fleetwatch-sim reads it (90s, 10m, 1h30m, 500ms, 90); fails if it is not one.
seconds_of() {
    [[ "$1" =~ ^[0-9.]+$ || "$1" =~ ^([0-9.]+(ms|s|min|m|h))+$ ]] || return 1
    awk -v d="$1" 'BEGIN {
        n = split("h min ms m s", unit, " "); split("3600 60 0.001 60 1", factor, " ")
        if (d ~ /^[0-9.]+$/) { print d + 0; exit }
        total = 0
        while (d != "") {
            match(d, /^[0-9.]+/); v = substr(d, 1, RLENGTH) + 0; d = substr(d, RLENGTH + 1)
            for (i = 1; i <= n; i++) if (index(d, unit[i]) == 1) { total += v * factor[i]; d = substr(d, length(unit[i]) + 1); break }
        }
        print total }'
}

# --- options -------------------------------------------------------------------------------
deps=1
build=1
build_dir="${ROOT}/build/release"
var_dir="${ROOT}/var"
port_offset="${FLEETWATCH_DEMO_PORT_OFFSET:-0}"
time_scale=60
replay=10m
duration=""
keep_db=0
mode=demo
input="${ROOT}/deploy/samples/terminal-session.hex"
while (($#)); do
    case "$1" in
        --no-deps) deps=0 ;;
        --no-build) build=0 ;;
        --build-dir) build_dir="$(absolute "${2:?--build-dir needs a directory}")"; shift ;;
        --var-dir) var_dir="$(absolute "${2:?--var-dir needs a directory}")"; shift ;;
        --port-offset) port_offset="${2:?--port-offset needs a number}"; shift ;;
        --time-scale) time_scale="${2:?--time-scale needs a number}"; shift ;;
        --replay) replay="${2:?--replay needs a duration}"; shift ;;
        --duration) duration="${2:?--duration needs a duration}"; shift ;;
        --keep-db) keep_db=1 ;;
        -h|--help) usage; exit 0 ;;
        decode)
            mode=decode
            if (($# > 1)); then
                if [[ "$2" == "-" ]]; then input=-; else input="$(absolute "$2")"; fi
                shift
            fi ;;
        *) bad_usage "unknown argument: $1" ;;
    esac
    shift
done
[[ "${port_offset}" =~ ^[0-9]+$ ]] || bad_usage "--port-offset must be a number, not '${port_offset}'"
((port_offset <= 9000)) || bad_usage "--port-offset ${port_offset} is too large (55432 + it must stay below 65536)"
if ! [[ "${time_scale}" =~ ^[0-9]+(\.[0-9]+)?$ ]] || ! awk -v x="${time_scale}" 'BEGIN { exit !(x > 0) }'; then
    bad_usage "--time-scale must be a positive number, not '${time_scale}'"
fi
replay_s="$(seconds_of "${replay}")" || bad_usage "--replay: '${replay}' is not a duration (e.g. 90s, 10m, 1h30m)"
if [[ -n "${duration}" ]]; then
    duration_s="$(seconds_of "${duration}")" || bad_usage "--duration: '${duration}' is not a duration (e.g. 90s, 10m, 1h30m)"
    awk -v s="${duration_s}" 'BEGIN { exit !(s > 0) }' || bad_usage "--duration must be more than 0"
fi

INGEST_PORT=$((6808 + port_offset))
METRICS_PORT=$((9464 + port_offset))
HTTP_PORT=$((8080 + port_offset))
PG_PORT=$((55432 + port_offset))
FLEETWATCH="${build_dir}/app/fleetwatch"
SIM="${build_dir}/tools/fleetwatch-sim"
FLEET="deploy/demo-fleet.yaml"  # run.sh works in the repository root
PG_SH="${ROOT}/deploy/pg.sh"
pg_dir="${var_dir}/pg"
log_dir="${var_dir}/log"
spool_dir="${var_dir}/spool"
serve_log="${log_dir}/serve.log"
sim_log="${log_dir}/sim.log"

step() { echo "run.sh: $*"; }

build_targets() {  # build_targets [RUNNER] -- TARGET-PATH... (app/fleetwatch, tools/fleetwatch-sim)
    local runner=()
    while [[ "$1" != -- ]]; do runner+=("$1"); shift; done
    shift
    if ((!build)); then
        local bin
        for bin in "$@"; do
            [[ -x "${build_dir}/${bin}" ]] || die "$(shown "${build_dir}/${bin}") is missing: build it, or drop --no-build"
        done
        return 0
    fi
    step "building $(printf '%s ' "${@##*/}")in $(shown "${build_dir}")"
    "${runner[@]}" cmake -S "${ROOT}" -B "${build_dir}" "${FLEETWATCH_RELEASE_CMAKE_ARGS[@]}" >/dev/null
    "${runner[@]}" cmake --build "${build_dir}" --target "${@##*/}" ${JOBS:+--parallel "${JOBS}"}
}

if ((deps)); then deploy/install-deps.sh; fi

# --- decode: the sample capture (or FILE) through `fleetwatch decode` -----------------------
if [[ "${mode}" == decode ]]; then
    build_targets -- app/fleetwatch
    rc=0
    if [[ "${input}" == "-" ]]; then
        step "$(shown "${FLEETWATCH}") decode (frames from stdin)"
        "${FLEETWATCH}" decode || rc=$?
    else
        step "$(shown "${FLEETWATCH}") decode < $(shown "${input}")"
        "${FLEETWATCH}" decode <"${input}" || rc=$?
    fi
    if ((rc == 1)); then
        echo "run.sh: some frames were rejected (their lines say why: \"ok\":false)." >&2
    elif ((rc != 0)); then
        exit "${rc}"
    fi
    echo "run.sh: decode your own capture with: $(shown "${FLEETWATCH}") decode < capture.hex"
    exit 0
fi

# --- the demo: what runs, and how it is stopped ----------------------------------------------
# The long steps, the server and the simulator each run in a session of their own (setsid), so
# a Ctrl-C in the terminal reaches run.sh alone, and its trap stops them in order: simulator,
# server, cluster. Steps are waited for with the `wait` builtin, which a trapped signal
# interrupts at once (bash skips a SIGINT trap after a foreground command that survived it).
step_pid=""
sim_pid=""
serve_pid=""
followers=()
cluster_started=0  # 1: run.sh started it and stops it; 2: it was running already and stays so
demo_up=0
cleaning=0
failed=0

run_fg() {  # run_fg CMD... — run CMD in its own session and wait for it; CMD's exit status
    setsid "$@" </dev/null &
    step_pid=$!
    local rc=0
    wait "${step_pid}" || rc=$?
    step_pid=""
    return "${rc}"
}

stop_process() {  # stop_process PID NAME SECONDS — SIGTERM, wait, SIGKILL after SECONDS; its exit status
    local pid="$1" name="$2" limit="$3" waited=0 rc=0
    kill -TERM "${pid}" 2>/dev/null || true
    while kill -0 "${pid}" 2>/dev/null; do
        if ((waited >= limit * 10)); then
            echo "run.sh: ${name} did not stop within ${limit} s of SIGTERM; killing it" >&2
            kill -KILL "${pid}" 2>/dev/null || true
            failed=1
            break
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    wait "${pid}" 2>/dev/null || rc=$?
    return "${rc}"
}

pg_dir_option() { if [[ "${pg_dir}" != "${ROOT}/var/pg" ]]; then echo " --dir $(shown "${pg_dir}")"; fi; }
sql() { "${PG_SH}" psql --dir "${pg_dir}" -qtAX -c "$1" 2>/dev/null; }

cleanup() {
    local rc=0
    set +e
    cleaning=1
    if [[ -n "${step_pid}" ]]; then  # an interrupted step: its whole session
        kill -TERM -- "-${step_pid}" 2>/dev/null
        wait "${step_pid}" 2>/dev/null
        step_pid=""
    fi
    if [[ -n "${sim_pid}" ]]; then
        step "stopping the simulator"
        stop_process "${sim_pid}" fleetwatch-sim 10
        sim_pid=""
    fi
    if [[ -n "${serve_pid}" ]]; then
        step "stopping the server (SIGTERM: it writes what it acknowledged to PostgreSQL, or to the spool)"
        stop_process "${serve_pid}" "fleetwatch serve" 60
        rc=$?
        if ((rc != 0)); then
            echo "run.sh: fleetwatch serve exited with status ${rc}; see $(shown "${serve_log}")" >&2
            failed=1
        fi
        serve_pid=""
    fi
    if ((${#followers[@]})); then
        sleep 0.5  # let the followers print the last lines of the logs
        kill "${followers[@]}" 2>/dev/null
        wait "${followers[@]}" 2>/dev/null
        followers=()
    fi
    if ((demo_up)) && [[ -n "$(sql "SELECT 1")" ]]; then
        step "the database holds $(sql "SELECT count(*) || ' positions of ' || count(DISTINCT vehicle_id) || ' vehicles' FROM positions")"
    fi
    if ((cluster_started == 1 && !keep_db)); then
        "${PG_SH}" stop --dir "${pg_dir}"
    elif ((cluster_started)); then
        step "the cluster in $(shown "${pg_dir}") is left running (stop it with: deploy/pg.sh stop$(pg_dir_option))"
    fi
    cluster_started=0
}

on_signal() {  # on_signal NAME NUMBER
    if ((cleaning)); then
        echo "run.sh: still stopping (the server is writing what it acknowledged)..." >&2
        return
    fi
    echo
    step "got SIG$1; stopping everything"
    if ((demo_up)); then exit 0; else exit $((128 + $2)); fi
}
on_exit() {
    local rc=$?
    cleanup
    if ((failed && rc == 0)); then rc=1; fi
    if ((demo_up && rc == 0)); then step "stopped"; fi
    exit "${rc}"
}
trap on_exit EXIT
trap 'on_signal INT 2' INT
trap 'on_signal TERM 15' TERM
trap 'on_signal HUP 1' HUP

# --- build, and check the ports --------------------------------------------------------------
build_targets run_fg -- app/fleetwatch tools/fleetwatch-sim

holder_of() {  # " by NAME (pid PID)" of what listens on port $1, when ss can tell (as root it can)
    command -v ss >/dev/null 2>&1 || return 0
    ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'users:(("[^"]*",pid=[0-9]*' | head -n 1 |
        sed 's/^users:(("\([^"]*\)",pid=\([0-9]*\)$/ by \1 (pid \2)/'
}
port_busy() {  # port_busy PORT WHAT
    local n=$((port_offset + 100))
    die "port $1 ($2) is in use$(holder_of "$1"). Stop that (an earlier run.sh that did not get to clean up?), or choose other ports: ./scripts/run.sh --port-offset ${n} uses $((6808 + n)), $((8080 + n)), $((9464 + n)) and $((55432 + n))."
}
port_in_use "${INGEST_PORT}" && port_busy "${INGEST_PORT}" "JT/T 808, ingest.listen"
port_in_use "${METRICS_PORT}" && port_busy "${METRICS_PORT}" "metrics, metrics.listen"
port_in_use "${HTTP_PORT}" && port_busy "${HTTP_PORT}" "HTTP API, http.listen"

# --- the cluster, the schema and the fleet ---------------------------------------------------
mkdir -p "${var_dir}"
# As root, PostgreSQL runs as the postgres user (deploy/pg.sh), which must reach DIR/pg: not so
# in a clone under /root (0700). Then the cluster lives in /var/tmp instead, the same directory
# on every run.
if ((EUID == 0)); then
    for pg_user in postgres fleetwatch-pg; do id "${pg_user}" >/dev/null 2>&1 && break; done
    if id "${pg_user}" >/dev/null 2>&1 && ! runuser -u "${pg_user}" -- test -x "${var_dir}" 2>/dev/null; then
        pg_dir="/var/tmp/fleetwatch-pg-$(printf '%s' "${var_dir}" | cksum | cut -d ' ' -f 1)"
        step "the ${pg_user} user, which runs PostgreSQL, cannot reach $(shown "${var_dir}") (a parent directory is closed to others, as /root is): the cluster lives in ${pg_dir}"
    fi
fi
if "${PG_SH}" status --dir "${pg_dir}" >/dev/null 2>&1; then
    cluster_started=2
else
    port_in_use "${PG_PORT}" && port_busy "${PG_PORT}" "PostgreSQL of deploy/pg.sh"
    cluster_started=1
fi
run_fg "${PG_SH}" start --dir "${pg_dir}" --port "${PG_PORT}"
DATABASE_URL="$("${PG_SH}" url --dir "${pg_dir}")"

step "$(shown "${FLEETWATCH}") migrate"
run_fg "${FLEETWATCH}" migrate --database-url "${DATABASE_URL}"
step "$(shown "${FLEETWATCH}") fleet import $(shown "${FLEET}")"
run_fg "${FLEETWATCH}" fleet import "${FLEET}" --database-url "${DATABASE_URL}"

# --- the server ----------------------------------------------------------------------------
mkdir -p "${log_dir}" "${spool_dir}"
for log in "${serve_log}" "${sim_log}"; do
    if [[ -s "${log}" ]]; then mv -f "${log}" "${log}.1"; fi
    : >"${log}"
done
follow() {  # follow FILE PREFIX — print FILE's lines as they are written, prefixed, until killed
    # Deaf to Ctrl-C, so that they show the last lines of the logs while run.sh stops things.
    (trap '' INT; exec tail -n +1 -F --pid=$$ "$1" 2>/dev/null > >(exec sed -u "s/^/$2/")) &
    followers+=("$!")
}
follow "${serve_log}" "serve | "
follow "${sim_log}" "sim   | "

step "starting fleetwatch serve (log: $(shown "${serve_log}"))"
export FLEETWATCH_ADMIN_PASSWORD="${FLEETWATCH_ADMIN_PASSWORD:-fleetwatch-demo}"
setsid "${FLEETWATCH}" serve \
    --database.url "${DATABASE_URL}" \
    --ingest.listen "0.0.0.0:${INGEST_PORT}" \
    --metrics.listen "0.0.0.0:${METRICS_PORT}" \
    --http.listen "0.0.0.0:${HTTP_PORT}" \
    --http.static_dir "${ROOT}/web" \
    --storage.spool_dir "${spool_dir}" \
    --rules.fleet_file database \
    </dev/null >>"${serve_log}" 2>&1 &
serve_pid=$!

server_died() {  # server_died STATUS
    serve_pid=""
    sleep 0.3
    echo "run.sh: fleetwatch serve exited with status $1; the end of $(shown "${serve_log}"):" >&2
    tail -n 15 "${serve_log}" | sed 's/^/    /' >&2
    failed=1
    exit 1
}
for ((i = 0; ; i++)); do
    if ! kill -0 "${serve_pid}" 2>/dev/null; then
        rc=0
        wait "${serve_pid}" || rc=$?
        server_died "${rc}"
    fi
    port_in_use "${INGEST_PORT}" && break
    ((i < 600)) || { failed=1; die "fleetwatch serve is not listening on port ${INGEST_PORT} after 60 s"; }
    sleep 0.1
done

# --- the simulator -------------------------------------------------------------------------
start_sim() {  # start_sim SIM-OPTIONS...
    setsid "${SIM}" --fleet "${FLEET}" --server "127.0.0.1:${INGEST_PORT}" "$@" \
        </dev/null >>"${sim_log}" 2>&1 &
    sim_pid=$!
}
gps_span() {  # gps_span SECONDS — how much GPS time SECONDS of wall time are at the time scale
    awk -v s="$1" -v x="${time_scale}" \
        'BEGIN { m = s * x / 60; if (m >= 120) printf "%.0f hours", m / 60; else printf "%.0f minutes", m }'
}
step "starting fleetwatch-sim on $(shown "${FLEET}") (log: $(shown "${sim_log}"))"
if [[ -n "${duration}" ]]; then
    phase=final
    sim_plan="${time_scale}x for ${duration}: the last $(gps_span "${duration_s}") of GPS time, up to now; then everything stops"
    start_sim --time-scale "${time_scale}" --duration "${duration}"
elif awk -v x="${time_scale}" -v s="${replay_s}" 'BEGIN { exit !(x > 1 && s > 0) }'; then
    phase=replay
    sim_plan="${time_scale}x for ${replay}: the last $(gps_span "${replay_s}") of GPS time, up to now; then real time"
    start_sim --time-scale "${time_scale}" --duration "${replay}"
else
    phase=final
    sim_plan="real time"
    start_sim --time-scale 1
fi
demo_up=1

sleep 1  # the terminals log in first: the banner then stays above the status lines
psql_cmd="$(shown "${PG_SH}") psql$(pg_dir_option)"
if ((cluster_started == 1 && !keep_db)); then stop_what="the cluster"; else stop_what="not the cluster"; fi
cat <<BANNER

==========================================================================================
 fleetwatch is running; the simulator drives the fleet of $(shown "${FLEET}")
  simulator         ${sim_plan}
  JT/T 808 server   port ${INGEST_PORT} on every interface (terminals connect here)
  HTTP API          curl -s http://127.0.0.1:${HTTP_PORT}/api/v1/health   (login admin / \$FLEETWATCH_ADMIN_PASSWORD: README)
  metrics           curl -s http://127.0.0.1:${METRICS_PORT}/metrics | grep -E '^fleetwatch_(ingest|storage)_positions'
  latest positions  ${psql_cmd} -f $(shown "${ROOT}/deploy/latest-positions.sql")
  violations        ${psql_cmd} -c "SELECT id, type, severity, vehicle_id, started_at, ended_at FROM violations ORDER BY id DESC LIMIT 20"
  SQL shell         ${psql_cmd}      (the tables: docs/storage.md)
  logs              $(shown "${serve_log}"), $(shown "${sim_log}") (followed below)
  stop              Ctrl-C: stops the simulator, the server and ${stop_what}
==========================================================================================

BANNER

while :; do
    rc=0
    done_pid=""
    wait -n -p done_pid "${sim_pid}" "${serve_pid}" || rc=$?
    if [[ "${done_pid}" == "${serve_pid}" ]]; then server_died "${rc}"; fi
    [[ "${done_pid}" == "${sim_pid}" ]] || { failed=1; die "lost track of the server and the simulator (wait: ${rc})"; }
    sim_pid=""
    if ((rc != 0)); then
        sleep 0.3
        echo "run.sh: fleetwatch-sim exited with status ${rc}; the end of $(shown "${sim_log}"):" >&2
        tail -n 15 "${sim_log}" | sed 's/^/    /' >&2
        failed=1
        exit 1
    fi
    if [[ "${phase}" == replay ]]; then
        step "the replay has caught up with the clock; the simulator goes on in real time"
        phase=final
        start_sim --time-scale 1
        continue
    fi
    step "the simulator ran for ${duration}; stopping everything"
    exit 0
done
