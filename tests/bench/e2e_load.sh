#!/usr/bin/env bash
# tests/bench/e2e_load.sh — the issue 3 end-to-end benchmark: fleetwatch-sim -> fleetwatch serve ->
# PostGIS, everything on this machine. A measurement, not a test: it prints figures and a summary
# block, and exits non-zero only when the run itself broke (not when a target is missed).
#
#   1. Its own PostgreSQL 15 + PostGIS cluster (deploy/pg.sh in a temporary directory, a free
#      127.0.0.1 port, fsync ON: the realistic setting, unlike the test clusters), migrated;
#      `fleetwatch-sim gen-fleet` writes TERMINALS vehicles (phones 013800000001 ...), imported.
#   2. `fleetwatch serve` with max_sessions raised and max_sessions_per_address 0, its own spool.
#   3. Sessions: two `fleetwatch-sim load --hold` processes authenticate all TERMINALS terminals
#      (LOAD_TERMINALS of them in one, the rest in the other) and hold them; the server's VmRSS
#      (/proc/PID/status) before and with them all gives MiB per 1 000 authenticated idle sessions.
#   4. Load: the first hold process is stopped and `fleetwatch-sim load` takes its phones and
#      sends RATE reports/s for SECONDS s (--in-flight, --burst), while the other TERMINALS -
#      LOAD_TERMINALS sessions stay held: TERMINALS concurrent authenticated sessions. Prints the
#      generator's rate and ack latency; samples the writer's metrics every 5 s (rows stored/s,
#      queue depth, spool), and the CPU time of the server, the generators and PostgreSQL.
#   5. After the run: how long the writer needed to get everything into the table, and whether
#      count(*) of positions equals the acknowledged count (a fresh database, each report a new
#      (vehicle, GPS time): equal means every acknowledged position is there once).
#   With --live-clients N (issue 5's latency target): rules on, the HTTP server on a free
#   loopback port, and during the sending phase `fleetwatch_live_probe` connects N live-stream
#   clients as admin and drives PROBES more terminals of the fleet (not part of TERMINALS)
#   through SOS raised / cleared rounds: position accepted (its 0x8001) -> violation.opened /
#   .closed frame in every client, as percentiles (tests/bench/live_probe.cpp).
#
# Usage: tests/bench/e2e_load.sh [options]
#   --build DIR           where fleetwatch and fleetwatch-sim are (default: build/release)
#   --fleetwatch PATH     the fleetwatch binary (default: DIR/app/fleetwatch)
#   --sim PATH            the fleetwatch-sim binary (default: DIR/tools/fleetwatch-sim)
#   --terminals N         sessions held (default 10000)
#   --load-terminals N    of them, the ones sending (default 1000; N = TERMINALS: all send, no
#                         idle ones)
#   --rate R              reports/s offered (default 50000)
#   --seconds S           sending phase (default 60)
#   --in-flight K         unacknowledged reports per sending terminal (default 8)
#   --burst B             reports per write (default 8; 1 = one TCP segment per report)
#   --drop-geom-index     DROP INDEX positions_geom_gist before the run (to measure without it)
#   --pg-set NAME=VALUE   an extra PostgreSQL setting (ALTER SYSTEM; repeatable)
#   --no-fsync            the cluster without fsync (for comparison only)
#   --pg-stat-statements  load pg_stat_statements and print the top statements after the run
#   --perf                `perf record -a` for 20 s of the sending phase (from 15 s in); prints
#                         where CPU time went by process/DSO and the top symbols
#   --rules               run the rule engine too (rules.fleet_file = the generated fleet): the
#                         issue 4 comparison, rules on against rules off
#   --rules-shards N      with --rules: rules.shards (default 0, one engine shard per core)
#   --live-clients N      N live-stream clients and the probe (implies --rules; see above)
#   --live-format F       json (default) or protobuf, for those clients
#   --probes P            probe terminals (default 5)
#   --probe PATH          the probe (default: DIR/tests/bench/fleetwatch_live_probe)
#   --smoke               a short run: 200 terminals (100 sending), 2 000/s, 5 s
#   --keep                keep the temporary directory (logs, cluster) and say where
#   -h, --help            this text
# Environment: PG_BIN as for deploy/pg.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../../scripts/lib.sh
source "${ROOT}/scripts/lib.sh"
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }

build="${ROOT}/build/release"
fw=""
sim=""
terminals=10000
load_terminals=1000
rate=50000
seconds=60
in_flight=8
burst=8
drop_index=0
fsync_opt=()
pg_settings=()
keep=0
pgss=0
perf=0
rules=0
rules_shards=0
live_clients=0
live_format=json
probes=5
probe=""
while (($#)); do
    case "$1" in
        --build) build="${2:?}"; shift ;;
        --fleetwatch) fw="${2:?}"; shift ;;
        --sim) sim="${2:?}"; shift ;;
        --terminals) terminals="${2:?}"; shift ;;
        --load-terminals) load_terminals="${2:?}"; shift ;;
        --rate) rate="${2:?}"; shift ;;
        --seconds) seconds="${2:?}"; shift ;;
        --in-flight) in_flight="${2:?}"; shift ;;
        --burst) burst="${2:?}"; shift ;;
        --drop-geom-index) drop_index=1 ;;
        --pg-set) pg_settings+=("${2:?}"); shift ;;
        --no-fsync) fsync_opt=(--no-fsync) ;;
        --pg-stat-statements) pgss=1 ;;
        --perf) perf=1 ;;
        --rules) rules=1 ;;
        --rules-shards) rules_shards="${2:?}"; shift ;;
        --live-clients) live_clients="${2:?}"; rules=1; shift ;;
        --live-format) live_format="${2:?}"; shift ;;
        --probes) probes="${2:?}"; shift ;;
        --probe) probe="${2:?}"; shift ;;
        --smoke) terminals=200; load_terminals=100; rate=2000; seconds=5 ;;
        --keep) keep=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "e2e_load: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
fw="$(realpath "${fw:-${build}/app/fleetwatch}")"
sim="$(realpath "${sim:-${build}/tools/fleetwatch-sim}")"
[[ -x "${fw}" && -x "${sim}" ]] || { echo "e2e_load: ${fw} or ${sim} missing (build fleetwatch and fleetwatch-sim)" >&2; exit 2; }
((load_terminals >= 1 && load_terminals <= terminals)) || { echo "e2e_load: --load-terminals must be 1..--terminals" >&2; exit 2; }
idle_terminals=$((terminals - load_terminals))
fleet_size="${terminals}"
if ((live_clients > 0)); then
    probe="$(realpath "${probe:-${build}/tests/bench/fleetwatch_live_probe}")"
    [[ -x "${probe}" ]] || { echo "e2e_load: ${probe} missing (build fleetwatch_live_probe, -DFLEETWATCH_BENCH=ON)" >&2; exit 2; }
    ((probes >= 1)) || { echo "e2e_load: --probes must be at least 1" >&2; exit 2; }
    fleet_size=$((terminals + probes))
fi
pg_sh="${ROOT}/deploy/pg.sh"

t0=${SECONDS}
say() { printf '[e2e %4ds] %s\n' "$((SECONDS - t0))" "$*"; }
die() { say "ERROR: $*"; exit 1; }

tmp="$(mktemp -d "${TMPDIR:-/tmp}/fleetwatch-e2e-load.XXXXXX")"
chmod 0755 "${tmp}"
pgdir="${tmp}/pg"
serve_pid=""
hold_a_pid=""
hold_b_pid=""
load_pid=""
sampler_pid=""
probe_pid=""

cleanup() {
    local rc=$?
    set +e
    stop_pid "${probe_pid}" INT 10
    stop_pid "${sampler_pid}" TERM 2
    stop_pid "${load_pid}" INT 10
    stop_pid "${hold_a_pid}" INT 10
    stop_pid "${hold_b_pid}" INT 10
    stop_pid "${serve_pid}" TERM 60
    "${pg_sh}" stop --dir "${pgdir}" >/dev/null 2>&1
    if ((keep)); then echo "e2e_load: kept ${tmp}"; else rm -rf "${tmp}"; fi
    exit "${rc}"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

metric_sum() {  # metric_sum NAME: sum over every label set (e.g. a histogram's _sum)
    curl -fsS --max-time 5 "http://127.0.0.1:${metrics_port}/metrics" 2>/dev/null |
        awk -v name="$1" '$1 == name || index($1, name "{") == 1 { s += $2 } END { printf "%.6f\n", s }' || true
}
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
cpu_ticks() {  # utime + stime of the given PIDs, in clock ticks
    local total=0 pid t
    for pid in "$@"; do
        t="$(awk '{ print $14 + $15 }' "/proc/${pid}/stat" 2>/dev/null || echo 0)"
        total=$((total + t))
    done
    echo "${total}"
}
pg_pids() {  # the postmaster and its children (backends, checkpointer, WAL writer, ...)
    local pm
    pm="$(head -n 1 "${pgdir}/data/postmaster.pid" 2>/dev/null)" || return 0
    echo "${pm}" $(pgrep -P "${pm}" || true)
}
wait_line() {  # wait_line FILE PATTERN SECONDS PID: until FILE has PATTERN; false on timeout/exit
    local f="$1" pat="$2" secs="$3" pid="$4" i
    for ((i = 0; i < secs * 10; i++)); do
        grep -q -- "${pat}" "${f}" 2>/dev/null && return 0
        kill -0 "${pid}" 2>/dev/null || { grep -q -- "${pat}" "${f}" 2>/dev/null; return; }
        sleep 0.1
    done
    return 1
}
hz="$(getconf CLK_TCK)"

say "machine: $(nproc) cores, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
say "binaries: ${fw}, ${sim}"

# ---- PostgreSQL ----------------------------------------------------------------------------------
pg_port=""
for _ in $(seq 1 10); do
    pg_port="$(free_port)" || die "no free port"
    "${pg_sh}" start --dir "${pgdir}" --port "${pg_port}" "${fsync_opt[@]}" >"${tmp}/pg-start.log" 2>&1 && break
    pg_port=""
done
[[ -n "${pg_port}" ]] || { cat "${tmp}/pg-start.log"; die "PostgreSQL did not start"; }
url="$("${pg_sh}" url --dir "${pgdir}")"
superuser() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -h "${pgdir}" -p "${pg_port}" -U postgres -d fleetwatch -tAc "$1"; }
((pgss)) && pg_settings+=("shared_preload_libraries=pg_stat_statements")
if ((${#pg_settings[@]})); then
    for s in "${pg_settings[@]}"; do superuser "ALTER SYSTEM SET ${s%%=*} = '${s#*=}'"; done
    "${pg_sh}" stop --dir "${pgdir}" >/dev/null
    "${pg_sh}" start --dir "${pgdir}" --port "${pg_port}" "${fsync_opt[@]}" >/dev/null
fi
pg_desc="PostgreSQL $(superuser 'SHOW server_version' | cut -d' ' -f1): fsync=$(superuser 'SHOW fsync') synchronous_commit=$(superuser 'SHOW synchronous_commit') shared_buffers=$(superuser 'SHOW shared_buffers') max_wal_size=$(superuser 'SHOW max_wal_size')"
((${#pg_settings[@]})) && pg_desc+=" (set: ${pg_settings[*]})"
say "${pg_desc}; 127.0.0.1:${pg_port}"

((pgss)) && superuser "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"
"${fw}" migrate --database-url "${url}" >"${tmp}/migrate.log" 2>&1 || { cat "${tmp}/migrate.log"; die "migrate"; }
index_desc="with positions_geom_gist"
if ((drop_index)); then
    psql "${url}" -qXc "DROP INDEX positions_geom_gist" || die "DROP INDEX"
    index_desc="WITHOUT positions_geom_gist (dropped for this run)"
fi
"${sim}" gen-fleet --count "${fleet_size}" --out "${tmp}/fleet.yaml" >/dev/null
t_import=${SECONDS}
"${fw}" fleet import "${tmp}/fleet.yaml" --database-url "${url}" >"${tmp}/import.log" 2>&1 || { cat "${tmp}/import.log"; die "fleet import"; }
say "imported ${fleet_size} vehicles in $((SECONDS - t_import)) s; schema ${index_desc}"

# ---- the server ------------------------------------------------------------------------------------
rules_opt=()
((rules)) && rules_opt=(--rules.fleet_file "${tmp}/fleet.yaml" --rules.shards "${rules_shards}")
ingest_port=""
http_opt=(--http.listen "")
admin_password="e2e-$$-${RANDOM}"
for _ in 1 2 3 4 5; do
    metrics_port="$(free_port)" || die "no free port"
    if ((live_clients > 0)); then
        http_port="$(free_port)" || die "no free port"
        http_opt=(--http.listen "127.0.0.1:${http_port}" --http.static_dir "")
    fi
    FLEETWATCH_ADMIN_PASSWORD="${admin_password}" "${fw}" serve \
        --database.url "${url}" \
        --ingest.listen 127.0.0.1:0 \
        --ingest.max_sessions $((terminals + 1000)) \
        --ingest.max_sessions_per_address 0 \
        --metrics.listen "127.0.0.1:${metrics_port}" \
        "${http_opt[@]}" \
        --storage.spool_dir "${tmp}/spool" \
        "${rules_opt[@]}" \
        >"${tmp}/serve.log" 2>&1 &
    serve_pid=$!
    wait_line "${tmp}/serve.log" "ingest listening on" 60 "${serve_pid}" &&
        ingest_port="$(sed -n 's/.*ingest listening on .* (port \([0-9]*\)).*/\1/p' "${tmp}/serve.log" | head -n 1)"
    [[ -n "${ingest_port}" ]] && break
    wait "${serve_pid}" 2>/dev/null || true
    serve_pid=""
    grep -qE "cannot serve metrics|address already in use|Address already in use" "${tmp}/serve.log" || { cat "${tmp}/serve.log"; die "serve did not start"; }
done
[[ -n "${ingest_port}" ]] || die "serve did not start"
for _ in $(seq 1 100); do [[ "$(metric fleetwatch_storage_db_up)" == 1 ]] && break; sleep 0.1; done
sleep 1
probe_args=()
if ((live_clients > 0)); then
    token="$(curl -fsS --max-time 10 -H 'Content-Type: application/json' \
        -d "{\"username\":\"admin\",\"password\":\"${admin_password}\"}" \
        "http://127.0.0.1:${http_port}/api/v1/auth/login" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')"
    [[ -n "${token}" ]] || die "could not log in as admin on 127.0.0.1:${http_port}"
    # The probe terminals: the last PROBES phones of the generated fleet (zero-padded: text order).
    while IFS='|' read -r phone id; do
        probe_args+=(--probe "${phone}=${id}")
    done < <(psql "${url}" -qXtAc "SELECT terminal_phone, id FROM vehicles ORDER BY terminal_phone DESC LIMIT ${probes}")
    ((${#probe_args[@]} == 2 * probes)) || die "the probe vehicles are not in the fleet"
fi
say "serve pid ${serve_pid} on 127.0.0.1:${ingest_port} ($(grep -o '[0-9]* threads' "${tmp}/serve.log" | head -n 1)), metrics 127.0.0.1:${metrics_port}"

# ---- phase 1: idle authenticated sessions ------------------------------------------------------------
sessions() { metric fleetwatch_ingest_sessions '{state="authenticated"}'; }
rss_before="$(rss_kib "${serve_pid}")"
t_connect=${SECONDS}
"${sim}" load --server "127.0.0.1:${ingest_port}" --terminals "${load_terminals}" --phone-start 1 \
    --hold --duration 2h --ready-timeout 600s >"${tmp}/hold-a.out" 2>&1 &
hold_a_pid=$!
if ((idle_terminals > 0)); then
    "${sim}" load --server "127.0.0.1:${ingest_port}" --terminals "${idle_terminals}" \
        --phone-start $((load_terminals + 1)) --hold --duration 2h --ready-timeout 600s >"${tmp}/hold-b.out" 2>&1 &
    hold_b_pid=$!
    wait_line "${tmp}/hold-b.out" "terminals authenticated in" 660 "${hold_b_pid}" || die "the idle terminals did not connect"
fi
wait_line "${tmp}/hold-a.out" "terminals authenticated in" 660 "${hold_a_pid}" || die "the hold terminals did not connect"
connect_s=$((SECONDS - t_connect))
sleep 5  # let the registration writes and buffers settle
held="$(sessions)"
rss_held="$(rss_kib "${serve_pid}")"
hold_lines="$(grep -ho '[0-9]* of [0-9]* terminals authenticated in [0-9.]* s' "${tmp}"/hold-*.out | paste -sd ';' -)"
say "phase 1: ${held} authenticated sessions held (generators: ${hold_lines}); connecting took ~${connect_s} s"
rss_per_1000="$(awk -v a="${rss_before}" -v b="${rss_held}" -v n="${held}" 'BEGIN { printf "%.2f", (b - a) / 1024 / (n / 1000) }')"
say "phase 1: server VmRSS ${rss_before} KiB before, ${rss_held} KiB with ${held} sessions: ${rss_per_1000} MiB per 1 000 authenticated idle sessions"
((held >= terminals)) || say "WARNING: only ${held} of ${terminals} sessions authenticated"

# ---- phase 2: load -------------------------------------------------------------------------------------
stop_pid "${hold_a_pid}" INT 20
hold_a_pid=""
for _ in $(seq 1 100); do (($(sessions) <= idle_terminals)) && break; sleep 0.1; done

sample() {  # every 5 s: writer metrics (what reached PostGIS) and sessions
    local prev_stored prev_t stored t q sp up
    prev_stored="$(metric fleetwatch_storage_positions_stored_total)"
    prev_t="$(date +%s.%N)"
    while sleep 5; do
        stored="$(metric fleetwatch_storage_positions_stored_total)"
        t="$(date +%s.%N)"
        q="$(metric fleetwatch_storage_queue_depth)"
        sp="$(metric fleetwatch_storage_spool_records)"
        up="$(metric fleetwatch_storage_db_up)"
        printf 'writer: stored=%s rate=%.0f/s queue_depth=%s spool_records=%s db_up=%s sessions=%s loadavg=%s\n' \
            "${stored}" "$(awk -v a="${prev_stored}" -v b="${stored}" -v t1="${prev_t}" -v t2="${t}" 'BEGIN { print (b - a) / (t2 - t1) }')" \
            "${q}" "${sp}" "${up}" "$(sessions)" "$(cut -d' ' -f1 /proc/loadavg)"
        prev_stored="${stored}"
        prev_t="${t}"
    done
}
stored_0="$(metric fleetwatch_storage_positions_stored_total)"
"${sim}" load --server "127.0.0.1:${ingest_port}" --terminals "${load_terminals}" --phone-start 1 \
    --rate "${rate}" --in-flight "${in_flight}" --burst "${burst}" --duration "${seconds}s" \
    --ready-timeout 300s --drain 30s >"${tmp}/load.out" 2>&1 &
load_pid=$!
wait_line "${tmp}/load.out" "terminals authenticated in" 330 "${load_pid}" || die "the load terminals did not connect"
# CPU accounting from the start of the sending phase.
pgp="$(pg_pids)"
cpu0_serve="$(cpu_ticks "${serve_pid}")"
cpu0_idle="$(cpu_ticks ${hold_b_pid})"
cpu0_pg="$(cpu_ticks ${pgp})"
t_send="$(date +%s.%N)"
sample >"${tmp}/writer-samples.txt" &
sampler_pid=$!
say "phase 2: ${load_terminals} terminals sending ${rate}/s for ${seconds} s (in flight ${in_flight}, bursts of ${burst}), ${idle_terminals} idle sessions held; $(sessions) authenticated"
if ((perf)); then
    (sleep 15 && perf record -a -g -F 499 -o "${tmp}/perf.data" -- sleep 20 >"${tmp}/perf.log" 2>&1) &
    perf_pid=$!
fi
((pgss)) && superuser "SELECT pg_stat_statements_reset()" >/dev/null
if ((live_clients > 0)); then
    # Rounds for the sending phase minus a few seconds at each end (the probe connects its
    # clients first).
    probe_s=$((seconds > 12 ? seconds - 8 : seconds / 2 + 1))
    "${probe}" --ingest-port "${ingest_port}" --http-port "${http_port}" --token "${token}" \
        --clients "${live_clients}" --format "${live_format}" --seconds "${probe_s}" \
        "${probe_args[@]}" >"${tmp}/probe.out" 2>&1 &
    probe_pid=$!
    say "phase 2: live probe: ${live_clients} ${live_format} clients, ${probes} probe terminals, rounds for ${probe_s} s"
fi
tail -n +1 -f "${tmp}/load.out" --pid "${load_pid}" | grep --line-buffered -E '^load: t=' | sed -u 's/^/    /' &
tail_pid=$!
# `times` (in this shell, not a subshell): user+sys of reaped children; the generator's shows up
# once it is reaped.
children_cpu() { tail -n 1 "$1" | awk '{ gsub(/[ms]/, " "); split($0, a, " "); print (a[1] * 60 + a[2]) + (a[3] * 60 + a[4]) }'; }
times >"${tmp}/times-0"
set +e
wait "${load_pid}"
load_rc=$?
set -e
times >"${tmp}/times-1"
gen_cpu0="$(children_cpu "${tmp}/times-0")"
gen_cpu1="$(children_cpu "${tmp}/times-1")"
load_pid=""
t_end="$(date +%s.%N)"
probe_rc=0
if [[ -n "${probe_pid}" ]]; then
    set +e
    wait "${probe_pid}"
    probe_rc=$?
    set -e
    probe_pid=""
fi
pgp="$(pg_pids)"
cpu1_serve="$(cpu_ticks "${serve_pid}")"
cpu1_idle="$(cpu_ticks ${hold_b_pid})"
cpu1_pg="$(cpu_ticks ${pgp})"
kill "${tail_pid}" 2>/dev/null || true
wait "${tail_pid}" 2>/dev/null || true
# The generator's CPU: its children-ticks are gone with it; take it from its own summary instead.
summary="$(grep '^load: terminals=' "${tmp}/load.out" | tail -n 1)"
[[ -n "${summary}" ]] || { cat "${tmp}/load.out"; die "the load generator printed no summary"; }
say "phase 2: generator exit ${load_rc}: ${summary}"
val() { grep -o " $1=[0-9.]*" <<<"${summary}" | head -n 1 | cut -d= -f2; }
acked="$(val acked)"

# Everything acknowledged reaches the table: how long after the last ack.
t_drain=${SECONDS}
drained=0
for _ in $(seq 1 600); do
    if [[ "$(metric fleetwatch_storage_queue_depth)" == 0 && "$(metric fleetwatch_storage_spool_records)" == 0 ]]; then
        drained=1
        break
    fi
    sleep 1
done
drain_s=$((SECONDS - t_drain))
stop_pid "${sampler_pid}" TERM 2
sampler_pid=""
sed 's/^/    /' "${tmp}/writer-samples.txt"
stored_1="$(metric fleetwatch_storage_positions_stored_total)"
spooled="$(metric fleetwatch_storage_positions_spooled_total)"
max_queue="$(awk -F'queue_depth=' '{ split($2, a, " "); if (a[1] + 0 > m) m = a[1] + 0 } END { print m + 0 }' "${tmp}/writer-samples.txt")"
max_spool="$(awk -F'spool_records=' '{ split($2, a, " "); if (a[1] + 0 > m) m = a[1] + 0 } END { print m + 0 }' "${tmp}/writer-samples.txt")"
batches="$(metric fleetwatch_storage_batch_seconds_count)"
batch_s="$(metric_sum fleetwatch_storage_batch_seconds_sum)"
# The probe's own reports are not the generator's: leave them out of the comparison.
probe_ids="$(printf '%s\n' "${probe_args[@]}" | sed -n 's/.*=//p' | paste -sd, -)"
rows="$(psql "${url}" -qXtAc "SELECT count(*) FROM positions WHERE vehicle_id NOT IN (${probe_ids:-0})")"

wall="$(awk -v a="${t_send}" -v b="${t_end}" 'BEGIN { print b - a }')"
cpu_pct() { awk -v a="$1" -v b="$2" -v hz="${hz}" -v w="${wall}" 'BEGIN { printf "%.0f%%", (b - a) / hz / w * 100 }'; }
# The generator's whole life (connecting and draining too), over the sending phase's wall time.
gen_cpu="$(awk -v a="${gen_cpu0}" -v b="${gen_cpu1}" -v w="${wall}" 'BEGIN { printf "%.0f%%", (b - a) / w * 100 }')"

echo
echo "==================== e2e benchmark summary ===================="
echo "machine        $(nproc) cores, $(uname -r); generator, server and PostgreSQL on this machine"
echo "postgres       ${pg_desc}"
echo "schema         ${index_desc}"
echo "sessions       ${held} authenticated idle sessions held (target ${terminals}); server VmRSS ${rss_before} -> ${rss_held} KiB = ${rss_per_1000} MiB per 1 000"
echo "load           ${load_terminals} sending terminals + ${idle_terminals} idle sessions; target ${rate}/s for ${seconds} s, in flight ${in_flight}, bursts of ${burst}"
echo "generator      rate=$(val rate)/s sent=$(val sent) acked=${acked} nacked=$(val nacked) unacked=$(val unacked) errors=$(val errors) disconnects=$(val disconnects) (exit ${load_rc})"
echo "ack latency    p50=$(val p50_ms) ms p90=$(val p90_ms) ms p99=$(val p99_ms) ms max=$(val max_ms) ms"
echo "into PostGIS   $((stored_1 - stored_0)) rows stored; writer queue peaked at ${max_queue}, spool at ${max_spool} (spooled_total ${spooled}); $( ((drained)) && echo "queue and spool empty ${drain_s} s after the generator exited" || echo "NOT drained after ${drain_s} s")"
echo "batches        ${batches} committed, mean $(awk -v n="${batches}" -v s="${batch_s}" 'BEGIN { if (n > 0) printf "%.1f ms", s / n * 1000; else print "n/a" }') each (all batches of the run)"
echo "CPU (sending)  server $(cpu_pct "${cpu0_serve}" "${cpu1_serve}"), PostgreSQL $(cpu_pct "${cpu0_pg}" "${cpu1_pg}"), load generator ${gen_cpu} (its whole run), idle-session generator $(cpu_pct "${cpu0_idle}" "${cpu1_idle}") of one core over ${wall%.*} s (2 cores = 200%)"
echo "database       count(*) positions$([[ -n "${probe_ids}" ]] && echo " (without the probe's)") = ${rows}; acknowledged = ${acked}: $([[ "${rows}" == "${acked}" ]] && echo "equal" || echo "DIFFERENT")"
if ((rules)); then
    echo "rules          judged $(metric fleetwatch_rules_positions_total), not judged (queue full) $(metric fleetwatch_rules_dropped_total), violations $(psql "${url}" -qXtAc "SELECT count(*) FROM violations")"
    vw_n="$(metric fleetwatch_rules_violation_write_seconds_count)"
    echo "violation      ${vw_n} writes (transactions), mean $(awk -v n="${vw_n}" -v s="$(metric_sum fleetwatch_rules_violation_write_seconds_sum)" 'BEGIN { if (n > 0) printf "%.1f ms", s / n * 1000; else print "n/a" }'); within 20 / 50 / 100 ms: $(curl -fsS --max-time 5 "http://127.0.0.1:${metrics_port}/metrics" | awk -F'"' '/^fleetwatch_rules_violation_write_seconds_bucket/ { split($3, v, " "); b[$2 + 0] = v[2] } END { printf "%d / %d / %d", b[0.02], b[0.05], b[0.1] }')"
else
    echo "rules          off (--rules turns them on)"
fi
if ((live_clients > 0)); then
    echo "live           ${live_clients} ${live_format} clients; the probe (exit ${probe_rc}):"
    sed 's/^/               /' "${tmp}/probe.out"
fi
echo "==============================================================="
if ((perf)); then
    wait "${perf_pid}" 2>/dev/null || true
    echo "---- perf: CPU samples by process and DSO (20 s of the sending phase, both cores) ----"
    perf report -i "${tmp}/perf.data" --no-children --sort comm,dso --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -n 25 || true
    echo "---- perf: top symbols ----"
    perf report -i "${tmp}/perf.data" --no-children --sort comm,sym --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -n 40 || true
fi
if ((pgss)); then
    echo "---- pg_stat_statements: top statements by total time (sending phase and drain) ----"
    PGOPTIONS="-c client_min_messages=warning" psql -X -q -P pager=off -h "${pgdir}" -p "${pg_port}" -U postgres -d fleetwatch -c "
        SELECT round(total_exec_time::numeric / 1000, 1) AS total_s, calls, rows,
               round(mean_exec_time::numeric, 2) AS mean_ms,
               round((total_exec_time / nullif(rows, 0) * 1000)::numeric, 1) AS us_per_row,
               left(regexp_replace(query, '\s+', ' ', 'g'), 80) AS query
          FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 8"
fi
[[ "${rows}" == "${acked}" ]] || die "rows in positions (${rows}) != acknowledged (${acked})"
((drained)) || die "the writer did not drain"
((probe_rc == 0)) || die "the live probe failed (exit ${probe_rc})"
