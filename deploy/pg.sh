#!/usr/bin/env bash
# deploy/pg.sh — a private PostgreSQL 15 + PostGIS cluster for fleetwatch, in one directory.
#
# No system service is needed. The cluster lives in DIR (data in DIR/data, log in
# DIR/postgres.log, unix socket in DIR), listens on 127.0.0.1:PORT only, trusts local
# connections (nothing else can reach it), and has a role and database `fleetwatch` with
# PostGIS installed (also in template1, so databases created from it have PostGIS).
# PostgreSQL refuses to run as root: as root, the server runs as the `postgres` user (made by
# the Debian package; a system user `fleetwatch-pg` is created if it is missing) and DIR is
# given to that user. As a normal user, it runs as you.
#
# Usage: deploy/pg.sh COMMAND [--dir DIR] [--port PORT] [--no-fsync]
#   start    initialise DIR if needed, start the server, create role/database/PostGIS; prints
#            the connection string. Idempotent: an already running cluster is left running.
#   stop     stop the server (fast shutdown); fine if it is not running
#   status   say whether it runs; exit 0 if it does, 3 if not
#   url      print the libpq connection string, e.g.
#            host=127.0.0.1 port=55432 dbname=fleetwatch user=fleetwatch
#   psql     open psql on the fleetwatch database (extra arguments go to psql)
# Options:
#   --dir DIR    cluster directory (default: var/pg in the repository)
#   --port PORT  TCP port on 127.0.0.1 (default: the port of the last start, else 55432)
#   --no-fsync   fsync, synchronous_commit and full_page_writes off: fast, and a crash can
#                corrupt the cluster. For throwaway test clusters only (scripts/with-postgres.sh).
# Environment: PG_BIN (default /usr/lib/postgresql/15/bin)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
DEFAULT_PORT=55432

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
die() { echo "pg.sh: $*" >&2; exit 1; }

command="${1:-}"
[[ -n "${command}" ]] || { usage >&2; exit 2; }
shift
dir="${ROOT}/var/pg"
port=""
fsync=on
extra=()
while (($#)); do
    case "$1" in
        --dir) dir="${2:?--dir needs a directory}"; shift ;;
        --port) port="${2:?--port needs a number}"; shift ;;
        --no-fsync) fsync=off ;;
        -h|--help) usage; exit 0 ;;
        *) if [[ "${command}" == psql ]]; then extra+=("$1"); else die "unknown option: $1"; fi ;;
    esac
    shift
done
[[ -z "${port}" || "${port}" =~ ^[0-9]+$ ]] || die "--port must be a number, not '${port}'"

mkdir -p "${dir}"
dir="$(cd "${dir}" && pwd -P)"
data="${dir}/data"
settings="${data}/fleetwatch.conf"
log="${dir}/postgres.log"

# The port: --port, else the one the cluster was last started with, else the default.
saved_port() { sed -n "s/^port = \([0-9]*\)$/\1/p" "${settings}" 2>/dev/null || true; }
if [[ -z "${port}" ]]; then
    port="$(saved_port)"
    port="${port:-${DEFAULT_PORT}}"
fi
url="host=127.0.0.1 port=${port} dbname=fleetwatch user=fleetwatch"

# --- who runs the server -------------------------------------------------------------------
server_user=""
if ((EUID == 0)); then
    if id postgres >/dev/null 2>&1; then
        server_user=postgres
    else
        server_user=fleetwatch-pg
        id "${server_user}" >/dev/null 2>&1 ||
            useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
                "${server_user}"
    fi
fi

as_server() {
    if [[ -n "${server_user}" ]]; then
        runuser -u "${server_user}" -- "$@"
    else
        "$@"
    fi
}

[[ -x "${PG_BIN}/pg_ctl" ]] ||
    die "${PG_BIN}/pg_ctl not found: install postgresql-15 and postgresql-15-postgis-3 (deploy/install-deps.sh)"

is_running() { [[ -f "${data}/PG_VERSION" ]] && as_server "${PG_BIN}/pg_ctl" -D "${data}" status >/dev/null 2>&1; }

sql() {  # sql DATABASE STATEMENT — as the superuser, through the unix socket
    PGOPTIONS="-c client_min_messages=warning" \
        "${PG_BIN}/psql" -X -q -v ON_ERROR_STOP=1 -h "${dir}" -p "$(saved_port)" -U postgres -d "$1" -tAc "$2"
}

# --- commands ------------------------------------------------------------------------------
initialise() {
    if [[ -n "${server_user}" ]]; then
        chown "${server_user}:" "${dir}"
        as_server test -w "${dir}" ||
            die "user ${server_user} cannot write ${dir} (is a parent directory closed to others?); use --dir elsewhere"
    fi
    echo "pg.sh: initialising a PostgreSQL cluster in ${data}"
    as_server "${PG_BIN}/initdb" -D "${data}" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
        --no-instructions >/dev/null
    # Trust only what can reach the cluster: its own socket and 127.0.0.1.
    as_server sh -c "printf '%s\n' 'local all all trust' 'host all all 127.0.0.1/32 trust' > '${data}/pg_hba.conf'"
    as_server sh -c "echo \"include_if_exists = 'fleetwatch.conf'\" >> '${data}/postgresql.conf'"
}

write_settings() {
    local durability
    durability="fsync = ${fsync}"$'\n'"synchronous_commit = ${fsync}"$'\n'"full_page_writes = ${fsync}"
    as_server sh -c "cat > '${settings}'" <<CONF
# Written by deploy/pg.sh start; rewritten on every start.
listen_addresses = '127.0.0.1'
port = ${port}
unix_socket_directories = '${dir}'
timezone = 'UTC'
log_timezone = 'UTC'
${durability}
CONF
}

ensure_database() {
    if [[ -z "$(sql postgres "SELECT 1 FROM pg_roles WHERE rolname = 'fleetwatch'")" ]]; then
        sql postgres "CREATE ROLE fleetwatch LOGIN CREATEDB"
    fi
    # DROP DATABASE ... WITH (FORCE) (the tests' throwaway databases) must be able to end an
    # autovacuum worker in that database; that takes pg_signal_backend. (Idempotent.)
    sql postgres "GRANT pg_signal_backend TO fleetwatch" >/dev/null
    # PostGIS needs a superuser to install; fleetwatch's first migration then finds it there.
    # In template1 first, so that the fleetwatch database (and test databases) inherit it.
    sql template1 "CREATE EXTENSION IF NOT EXISTS postgis"
    if [[ -z "$(sql postgres "SELECT 1 FROM pg_database WHERE datname = 'fleetwatch'")" ]]; then
        sql postgres "CREATE DATABASE fleetwatch OWNER fleetwatch"
    fi
    sql fleetwatch "CREATE EXTENSION IF NOT EXISTS postgis"
}

start() {
    [[ -f "${data}/PG_VERSION" ]] || initialise
    if is_running; then
        local running_port
        running_port="$(saved_port)"
        if [[ "${running_port}" != "${port}" ]]; then
            echo "pg.sh: already running on port ${running_port} (not ${port}); stop it first to change" >&2
            port="${running_port}"
            url="host=127.0.0.1 port=${port} dbname=fleetwatch user=fleetwatch"
        fi
    else
        write_settings
        if ! as_server "${PG_BIN}/pg_ctl" -D "${data}" -l "${log}" -w -t 60 start >/dev/null; then
            echo "pg.sh: the server did not start; the end of ${log}:" >&2
            tail -n 20 "${log}" >&2 || true
            exit 1
        fi
    fi
    ensure_database
    echo "pg.sh: PostgreSQL 15 + PostGIS running in ${dir} on 127.0.0.1:${port}"
    echo "${url}"
}

stop() {
    if is_running; then
        as_server "${PG_BIN}/pg_ctl" -D "${data}" -m fast -w -t 60 stop >/dev/null
        echo "pg.sh: stopped the cluster in ${dir}"
    else
        echo "pg.sh: not running (${dir})"
    fi
}

status() {
    if is_running; then
        echo "pg.sh: running in ${dir} on 127.0.0.1:$(saved_port)"
        echo "host=127.0.0.1 port=$(saved_port) dbname=fleetwatch user=fleetwatch"
    else
        echo "pg.sh: not running (${dir})"
        exit 3
    fi
}

case "${command}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    url) echo "${url}" ;;
    psql) exec "${PG_BIN}/psql" "${url}" "${extra[@]}" ;;
    -h|--help|help) usage ;;
    *) usage >&2; exit 2 ;;
esac
