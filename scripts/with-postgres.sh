#!/usr/bin/env bash
# scripts/with-postgres.sh CMD... — runs CMD against a throwaway PostgreSQL 15 + PostGIS.
#
# Starts a private cluster (deploy/pg.sh, fsync off for speed) in a new temporary directory on
# a free port of 127.0.0.1, exports FLEETWATCH_TEST_DATABASE_URL (a libpq connection string
# for the role `fleetwatch`, which may create databases; PostGIS is in template1), runs CMD,
# and always stops the cluster and removes the directory, whatever CMD does. Exits with CMD's
# status. Example:
#   scripts/with-postgres.sh ctest --test-dir build/release -L postgis
set -euo pipefail

(($#)) || { echo "usage: scripts/with-postgres.sh CMD..." >&2; exit 2; }
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_SH="${ROOT}/deploy/pg.sh"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/fleetwatch-pg.XXXXXX")"
cleanup() {
    "${PG_SH}" stop --dir "${tmp}" >/dev/null 2>&1 || true
    rm -rf "${tmp}"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# shellcheck source=lib.sh
source "${ROOT}/scripts/lib.sh"

started=0
for _ in $(seq 1 20); do
    port=$((20000 + RANDOM % 40000))
    port_in_use "${port}" && continue
    if "${PG_SH}" start --dir "${tmp}" --port "${port}" --no-fsync >"${tmp}.start.log" 2>&1; then
        started=1
        break
    fi
done
if ((!started)); then
    echo "with-postgres.sh: could not start a PostgreSQL cluster:" >&2
    cat "${tmp}.start.log" >&2 || true
    rm -f "${tmp}.start.log"
    exit 1
fi
rm -f "${tmp}.start.log"

FLEETWATCH_TEST_DATABASE_URL="$("${PG_SH}" url --dir "${tmp}")"
export FLEETWATCH_TEST_DATABASE_URL
echo "with-postgres.sh: PostgreSQL + PostGIS on 127.0.0.1:${port} (${tmp}); FLEETWATCH_TEST_DATABASE_URL=${FLEETWATCH_TEST_DATABASE_URL}" >&2

set +e
"$@"
rc=$?
set -e
exit "${rc}"
