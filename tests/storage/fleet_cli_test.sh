#!/usr/bin/env bash
# The real `fleetwatch migrate` and `fleetwatch fleet import` against a fresh database on the
# cluster FLEETWATCH_TEST_DATABASE_URL points at (scripts/with-postgres.sh). Exit 77 = skipped.
# Usage: fleet_cli_test.sh FLEETWATCH_BINARY REPOSITORY_DIR
set -euo pipefail
bin="$1"
repo="$2"

# shellcheck source=../support/test_db.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/test_db.sh"
require_test_database
admin="${FLEETWATCH_TEST_DATABASE_URL}"
db="fwtest_cli_$$_${RANDOM}"
work="$(mktemp -d)"
cleanup() {
    psql "${admin}" -qXc "DROP DATABASE IF EXISTS ${db} WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "${work}"
}
trap cleanup EXIT
psql "${admin}" -qXc "CREATE DATABASE ${db} TEMPLATE template1"
url="${admin} dbname=${db}"  # libpq: the last dbname wins
sql() { psql "${url}" -qXtAc "$1"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_in() { grep -qF -- "$2" <<<"$1" || fail "expected '$2' in: $1"; }

# A file with a pledge looser than the law: exit 2, the line and field, nothing imported.
sed 's/max_continuous_driving_min: 180/max_continuous_driving_min: 300/' "${repo}/deploy/demo-fleet.yaml" \
    >"${work}/bad-fleet.yaml"
line="$(grep -n 'max_continuous_driving_min: 300' "${work}/bad-fleet.yaml" | cut -d: -f1)"
set +e
err="$("${bin}" fleet import "${work}/bad-fleet.yaml" --database-url "${url}" 2>&1 >/dev/null)"
rc=$?
set -e
[[ ${rc} == 2 ]] || fail "bad file: exit ${rc}, expected 2: ${err}"
expect_in "${err}" "${work}/bad-fleet.yaml:${line}: pledges[0].max_continuous_driving_min: 300 is looser than the legal limit 240 (道路交通安全法实施条例 §62)"
expect_in "${err}" "nothing was imported"
# (the file is rejected before the database is touched: not even the schema is there)
[[ "$(sql "SELECT to_regclass('vehicles') IS NULL")" == t ]] || fail "the database was touched by a bad file"

out="$("${bin}" migrate --database-url "${url}")"
expect_in "${out}" "applied 1 (fleet) 2 (positions)"
out="$("${bin}" migrate --database-url "${url}")"
expect_in "${out}" "the schema is up to date"

out="$("${bin}" fleet import "${repo}/deploy/demo-fleet.yaml" --database-url "${url}")"
expect_in "${out}" "vehicles   6 (6 inserted, 0 updated, 0 unchanged)"
expect_in "${out}" "trips      6 (6 inserted, 0 updated, 0 unchanged)"
out="$(FLEETWATCH_DATABASE_URL="${url}" "${bin}" fleet import "${repo}/deploy/demo-fleet.yaml")"
expect_in "${out}" "vehicles   6 (0 inserted, 0 updated, 6 unchanged)"
[[ "$(sql "SELECT count(*) FROM vehicles")" == 6 ]] || fail "expected 6 vehicles"

# A database that is not there: exit 1 and a hint.
set +e
err="$("${bin}" fleet import "${repo}/deploy/demo-fleet.yaml" \
    --database-url "host=127.0.0.1 port=1 dbname=x connect_timeout=2" 2>&1)"
rc=$?
set -e
[[ ${rc} == 1 ]] || fail "no database: exit ${rc}, expected 1"
expect_in "${err}" "is the database running?"
echo "fleet CLI: OK"
