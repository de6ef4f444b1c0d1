#!/usr/bin/env bash
# The quick start's run command end to end: scripts/run.sh on binaries already built (no cmake,
# no apt), with its cluster, logs and spool in a temporary directory and ports of its own, so it
# does not collide with a demo someone is running. Exit 77 = skipped (PostgreSQL 15 is not
# installed; a failure instead with FLEETWATCH_REQUIRE_DB=1).
#   1. run.sh --duration 20s: while it runs, all 6 demo vehicles have positions in PostGIS and
#      /metrics counts them; it exits 0, saying how many positions the database holds, and leaves
#      nothing running (cluster stopped, ports closed, no simulator).
#   2. run.sh again (cluster initialised, fleet imported), until Ctrl-C: once new positions
#      arrive, SIGINT to its process group, as a terminal's Ctrl-C; it exits 0 and leaves nothing.
# Usage: run_demo_test.sh BUILD_DIR REPOSITORY_DIR
set -euo pipefail
build_dir="$1"
repo="$2"
run_sh="${repo}/scripts/run.sh"
pg_sh="${repo}/deploy/pg.sh"

# shellcheck source=../../scripts/lib.sh
source "${repo}/scripts/lib.sh"
require_postgres run_demo
for bin in app/fleetwatch tools/fleetwatch-sim; do
    [[ -x "${build_dir}/${bin}" ]] || { echo "FAIL: ${build_dir}/${bin} is not built" >&2; exit 1; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/fleetwatch-run-demo.XXXXXX")"
chmod 755 "${work}"  # as root the cluster runs as postgres, which must reach ${work}/pg
run_pid=""
cleanup() {
    if [[ -n "${run_pid}" ]] && kill -0 "${run_pid}" 2>/dev/null; then
        kill -TERM "${run_pid}" 2>/dev/null || true
        wait "${run_pid}" 2>/dev/null || true
    fi
    "${pg_sh}" stop --dir "${work}/pg" >/dev/null 2>&1 || true
    rm -rf "${work}"
}
trap cleanup EXIT

offset=""
for _ in $(seq 1 50); do
    n=$((1000 + RANDOM % 8000))
    port_in_use $((6808 + n)) || port_in_use $((8080 + n)) || port_in_use $((9464 + n)) ||
        port_in_use $((55432 + n)) || { offset=${n}; break; }
done
[[ -n "${offset}" ]] || { echo "FAIL: no free ports found" >&2; exit 1; }
ingest_port=$((6808 + offset))
http_port=$((8080 + offset))
metrics_port=$((9464 + offset))
pg_port=$((55432 + offset))

out="${work}/run.out"
fail() {
    echo "FAIL: $*" >&2
    echo "--- run.sh output:" >&2
    cat "${out}" >&2 || true
    for log in "${work}"/log/*.log; do
        [[ -f "${log}" ]] && { echo "--- ${log} (end):" >&2; tail -n 20 "${log}" >&2; }
    done
    exit 1
}
sql() { "${pg_sh}" psql --dir "${work}/pg" -qtAX -c "$1" 2>/dev/null; }
metrics() {  # the /metrics page, without curl
    (exec 3<>"/dev/tcp/127.0.0.1/${metrics_port}" &&
        printf 'GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3 && cat <&3) 2>/dev/null
}
# run.sh's process group in the background: its own session, SIGINT handled (not ignored, as it
# would be for a background job of a script), like a command typed in a terminal.
start_run() {
    setsid env --default-signal=INT "${run_sh}" --no-deps --no-build --build-dir "${build_dir}" \
        --var-dir "${work}" --port-offset "${offset}" "$@" </dev/null >"${out}" 2>&1 &
    run_pid=$!
}
wait_run() {  # wait_run SECONDS — run.sh's exit status
    local i rc=0
    for ((i = 0; i < $1 * 10; i++)); do
        kill -0 "${run_pid}" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "${run_pid}" 2>/dev/null && fail "run.sh still runs after $1 s"
    wait "${run_pid}" || rc=$?
    run_pid=""
    return "${rc}"
}
nothing_left() {  # nothing run.sh started is still running
    ! "${pg_sh}" status --dir "${work}/pg" >/dev/null 2>&1 || fail "the cluster is still running"
    ! port_in_use "${ingest_port}" || fail "port ${ingest_port} is still open: fleetwatch serve still runs"
    ! port_in_use "${metrics_port}" || fail "port ${metrics_port} is still open"
    ! port_in_use "${http_port}" || fail "port ${http_port} (HTTP API) is still open"
    ! port_in_use "${pg_port}" || fail "port ${pg_port} is still open: PostgreSQL still runs"
    if grep -lsa -- "127.0.0.1:${ingest_port}" /proc/[0-9]*/cmdline >/dev/null; then
        fail "a process with 127.0.0.1:${ingest_port} on its command line (fleetwatch-sim) still runs"
    fi
}

# --- 1. --duration 20s, a fresh cluster ----------------------------------------------------------
start_run --duration 20s
vehicles=""
stored=""
for ((i = 0; i < 1200; i++)); do
    kill -0 "${run_pid}" 2>/dev/null || break
    if [[ -z "${stored}" ]] && grep -q "fleetwatch is running" "${out}"; then
        stored="$(metrics | sed -n 's/^fleetwatch_storage_positions_stored_total \([0-9.e+]*\)$/\1/p')"
        [[ -n "${stored}" && "${stored}" != 0 ]] || stored=""
    fi
    vehicles="$(sql "SELECT count(DISTINCT vehicle_id) FROM positions" || true)"
    [[ -n "${stored}" && "${vehicles}" == 6 ]] && break
    sleep 0.1
done
[[ -n "${stored}" ]] || fail "/metrics on port ${metrics_port} did not count stored positions while run.sh ran"
[[ "${vehicles}" == 6 ]] || fail "positions of ${vehicles:-no} vehicles in the database while run.sh ran, expected 6"
rc=0
wait_run 120 || rc=$?
[[ ${rc} == 0 ]] || fail "run.sh --duration 20s exited with ${rc}"
grep -Eq '^run\.sh: the database holds [1-9][0-9]* positions of 6 vehicles$' "${out}" ||
    fail "no 'the database holds N positions of 6 vehicles' line"
grep -q '^run.sh: the simulator ran for 20s; stopping everything$' "${out}" || fail "no end-of-duration line"
nothing_left
first="$(grep -o 'holds [0-9]* positions' "${out}" | grep -o '[0-9]*')"
echo "run.sh --duration 20s: ${first} positions of 6 vehicles, /metrics counted ${stored} while running; everything stopped"

# --- 2. a re-run, stopped by Ctrl-C --------------------------------------------------------------
start_run
count=""
for ((i = 0; i < 1200; i++)); do
    kill -0 "${run_pid}" 2>/dev/null || break
    count="$(sql "SELECT count(*) FROM positions" || true)"
    [[ -n "${count}" ]] && ((count > first)) && break
    sleep 0.1
done
if [[ -z "${count}" ]] || ((count <= first)); then
    fail "no new positions after the re-run started (${count:-?} <= ${first})"
fi
grep -q '(0 inserted, 0 updated, 6 unchanged)' "${out}" || fail "the re-run did not find the fleet imported"
kill -INT -- "-${run_pid}"
rc=0
wait_run 90 || rc=$?
[[ ${rc} == 0 ]] || fail "run.sh exited with ${rc} after Ctrl-C (SIGINT), expected 0"
grep -q '^run.sh: got SIGINT; stopping everything$' "${out}" || fail "no 'got SIGINT' line"
grep -q 'fleetwatch serve stopped' "${out}" || fail "the server's 'stopped' line was not shown"
grep -q '^run.sh: stopped$' "${out}" || fail "no final 'stopped' line"
nothing_left
echo "run.sh re-run: stopped by SIGINT with exit 0 after ${count}+ positions; everything stopped"
echo "run demo: OK"
