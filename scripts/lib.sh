# scripts/lib.sh — shell helpers shared by the scripts that start clusters, servers and
# simulators (scripts/with-postgres.sh, tests/e2e/pg_outage_test.sh, tests/e2e/kill_restart_test.sh,
# tests/app/run_demo_test.sh, tests/bench/e2e_load.sh) and by scripts/test.sh, scripts/run.sh and
# scripts/bench.sh. Source it; it defines functions and the one array below, nothing else.

# cmake configure arguments of build/release, the one build tree test.sh, run.sh and bench.sh
# share: the same cache values, so none of them reconfigures (and rebuilds) what another built.
# RelWithDebInfo at -g1 (line tables: backtraces and perf keep file:line; gdb shows no locals)
# instead of its default -g: the release build step of test.sh took 805 s with -g and 565 s
# with -g1 (clean-clone runs at f0caf70 and 9a0eb89, its own step timings). Debug information
# does not change the generated code, so the benchmark figures stand.
# shellcheck disable=SC2034  # used by the scripts that source this file
FLEETWATCH_RELEASE_CMAKE_ARGS=(
    -G Ninja
    -DCMAKE_BUILD_TYPE=RelWithDebInfo
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG"
    "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG"
    -DFLEETWATCH_WERROR=ON
)

# skip_or_fail MESSAGE: a test whose database is missing exits 77 (ctest's "skipped"), or 1 when
# FLEETWATCH_REQUIRE_DB=1 demands the database (scripts/test.sh, CI: never pass by skipping).
skip_or_fail() {
    if [[ "${FLEETWATCH_REQUIRE_DB:-}" == 1 ]]; then
        echo "$1, but FLEETWATCH_REQUIRE_DB=1" >&2
        exit 1
    fi
    echo "$1; skipped"
    exit 77
}

# require_postgres NAME: PostgreSQL 15 is installed (for tests that start their own cluster).
require_postgres() {
    [[ -x "${PG_BIN:-/usr/lib/postgresql/15/bin}/pg_ctl" ]] ||
        skip_or_fail "$1: PostgreSQL 15 is not installed (deploy/install-deps.sh)"
}

# port_in_use PORT: something accepts connections on 127.0.0.1:PORT.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port: prints a port in 20000-59999 nothing listens on (50 tries), or fails.
free_port() {
    local p
    for _ in $(seq 1 50); do
        p=$((20000 + RANDOM % 40000))
        port_in_use "${p}" || { echo "${p}"; return 0; }
    done
    return 1
}

# stop_pid PID SIGNAL SECONDS: signal, wait up to SECONDS, then SIGKILL; reaps it. No-op for "".
stop_pid() {
    local pid="$1" sig="$2" secs="$3" i
    [[ -n "${pid}" ]] && kill -0 "${pid}" 2>/dev/null || return 0
    kill -"${sig}" "${pid}" 2>/dev/null || true
    for ((i = 0; i < secs * 10; i++)); do
        kill -0 "${pid}" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "${pid}" 2>/dev/null || true
    wait "${pid}" 2>/dev/null || true
}

# metric NAME [LABELS]: the value on http://127.0.0.1:${metrics_port}/metrics as an integer;
# empty when the endpoint does not answer.
metric() {
    curl -fsS --max-time 5 "http://127.0.0.1:${metrics_port}/metrics" 2>/dev/null |
        awk -v name="$1${2:-}" '$1 == name { printf "%.0f\n", $2; exit }' || true
}

# start_cluster DIR [pg.sh start options...]: a throwaway PostgreSQL cluster in DIR on a free
# 127.0.0.1 port (10 tries), with "${pg_sh}" (deploy/pg.sh); sets pg_port and url. Fails with
# pg.sh's output on stderr.
start_cluster() {
    local dir="$1" p
    shift
    pg_port=""
    for _ in $(seq 1 10); do
        p="$(free_port)" || return 1
        if "${pg_sh}" start --dir "${dir}" --port "${p}" "$@" >"${dir}.start.log" 2>&1; then
            pg_port="${p}"
            break
        fi
    done
    [[ -n "${pg_port}" ]] || { cat "${dir}.start.log" >&2; return 1; }
    url="$("${pg_sh}" url --dir "${dir}")"
}

# start_serve LOG ARGS...: "${fw}" serve --database.url "${url}" with a metrics endpoint on a
# free port and ARGS, in the background, logging to LOG; waits (30 s at most) for ingest to
# listen. Sets serve_pid, metrics_port and ingest_port (read back from the log). Tries another
# metrics port if one was taken meanwhile; otherwise fails with the log's last lines on stderr.
start_serve() {
    local log="$1" attempt
    shift
    for attempt in 1 2 3 4 5; do
        metrics_port="$(free_port)" || return 1
        : >"${log}"
        "${fw}" serve --database.url "${url}" --metrics.listen "127.0.0.1:${metrics_port}" "$@" \
            >"${log}" 2>&1 &
        serve_pid=$!
        ingest_port=""
        for _ in $(seq 1 300); do  # migrations, rules rebuild, terminals, listener
            ingest_port="$(sed -n 's/.*ingest listening on .* (port \([0-9]*\)).*/\1/p' "${log}" | head -n 1)"
            [[ -n "${ingest_port}" ]] && return 0
            kill -0 "${serve_pid}" 2>/dev/null || break
            sleep 0.1
        done
        stop_pid "${serve_pid}" TERM 5
        serve_pid=""
        echo "serve did not start (attempt ${attempt}):" >&2
        tail -n 5 "${log}" >&2
        grep -q "cannot serve metrics" "${log}" || return 1
    done
    return 1
}
