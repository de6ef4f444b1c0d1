#!/usr/bin/env bash
# The real `fleetwatch serve` HTTP API and `fleetwatch user` commands against a fresh database
# on the cluster FLEETWATCH_TEST_DATABASE_URL points at (scripts/with-postgres.sh), with the
# demo fleet imported: the first start's random admin password (logged once), login, the
# leader of the demo convoy seeing only its buses, user add/passwd/list. Exit 77 = skipped.
# Usage: api_cli_test.sh FLEETWATCH_BINARY REPOSITORY_DIR
set -euo pipefail
bin="$1"
repo="$2"

# shellcheck source=../support/test_db.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/test_db.sh"
require_test_database
command -v curl >/dev/null || { echo "curl not installed"; exit 77; }
admin="${FLEETWATCH_TEST_DATABASE_URL}"
db="fwtest_api_cli_$$_${RANDOM}"
work="$(mktemp -d)"
serve_pid=""
cleanup() {
    [[ -n "${serve_pid}" ]] && kill "${serve_pid}" 2>/dev/null && wait "${serve_pid}" 2>/dev/null
    psql "${admin}" -qXc "DROP DATABASE IF EXISTS ${db} WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "${work}"
}
trap cleanup EXIT
psql "${admin}" -qXc "CREATE DATABASE ${db} TEMPLATE template1"
url="${admin} dbname=${db}"  # libpq: the last dbname wins
fail() { echo "FAIL: $*" >&2; [[ -f "${work}/serve.log" ]] && tail -n 20 "${work}/serve.log" >&2; exit 1; }
expect_in() { grep -qF -- "$2" <<<"$1" || fail "expected '$2' in: $1"; }
json_field() { sed -nE "s/.*\"$1\":\"([^\"]*)\".*/\\1/p"; }

"${bin}" fleet import "${repo}/deploy/demo-fleet.yaml" --database-url "${url}" >/dev/null

# serve: HTTP on a port of its choosing, no admin password given -> a random one, logged once.
env -u FLEETWATCH_ADMIN_PASSWORD "${bin}" serve --database.url "${url}" --ingest.listen 127.0.0.1:0 \
    --http.listen 127.0.0.1:0 --metrics.listen "" --storage.spool_dir "${work}/spool" \
    --http.static_dir "${repo}/web" \
    >"${work}/serve.log" 2>&1 &
serve_pid=$!
port=""
for _ in $(seq 1 300); do
    port="$(sed -nE 's/.*http: REST API on 127\.0\.0\.1:([0-9]+).*/\1/p' "${work}/serve.log" | head -n 1)"
    [[ -n "${port}" ]] && break
    kill -0 "${serve_pid}" 2>/dev/null || fail "serve died"
    sleep 0.1
done
[[ -n "${port}" ]] || fail "serve did not start its HTTP server"
password="$(sed -nE 's/.*created the user admin with the password ([A-Za-z0-9_-]+) .*/\1/p' "${work}/serve.log")"
[[ -n "${password}" ]] || fail "no admin password in the log"
api="http://127.0.0.1:${port}/api/v1"

health="$(curl -fsS "${api}/health")"
[[ "${health}" == '{"database":true,"status":"ok"}' ]] || fail "health: ${health}"
code="$(curl -s -o /dev/null -w '%{http_code}' "${api}/vehicles")"
[[ "${code}" == 401 ]] || fail "vehicles without a token: ${code}"

login="$(curl -fsS -X POST "${api}/auth/login" -H 'Content-Type: application/json' \
    -d "{\"username\":\"admin\",\"password\":\"${password}\"}")"
token="$(json_field token <<<"${login}")"
[[ -n "${token}" ]] || fail "login: ${login}"
expect_in "${login}" '"role":"admin"'
all="$(curl -fsS -H "Authorization: Bearer ${token}" "${api}/vehicles")"
[[ "$(grep -o '"plate"' <<<"${all}" | wc -l)" == "$(psql "${url}" -qXtAc 'SELECT count(*) FROM vehicles')" ]] \
    || fail "admin does not see every vehicle: ${all}"

# user add / list / passwd; the demo convoy's leader is `li`.
echo "leader-password-1" | "${bin}" user add li --role leader --password-stdin --database-url "${url}" >/dev/null
set +e
err="$(echo "leader-password-1" | "${bin}" user add li --role leader --password-stdin --database-url "${url}" 2>&1)"
rc=$?
short="$(echo "short" | "${bin}" user add wu --role manager --password-stdin --database-url "${url}" 2>&1)"
rc_short=$?
set -e
[[ ${rc} == 1 ]] || fail "duplicate user: exit ${rc}: ${err}"
expect_in "${err}" "the user li exists"
[[ ${rc_short} == 2 ]] || fail "short password: exit ${rc_short}: ${short}"
list="$("${bin}" user list --database-url "${url}")"
expect_in "${list}" "li"
expect_in "${list}" "leader"
grep -q argon2 <<<"${list}" && fail "user list shows a hash"

li="$(curl -fsS -X POST "${api}/auth/login" -H 'Content-Type: application/json' \
    -d '{"username":"li","password":"leader-password-1"}' | json_field token)"
[[ -n "${li}" ]] || fail "li cannot log in"
mine="$(curl -fsS -H "Authorization: Bearer ${li}" "${api}/vehicles")"
expected="$(psql "${url}" -qXtAc "SELECT count(DISTINCT t.vehicle_id) FROM trips t JOIN convoys c ON c.id = t.convoy_id WHERE c.leader_username = 'li'")"
[[ "${expected}" -gt 0 ]] || fail "the demo fleet has no convoy led by li"
[[ "$(grep -o '"plate"' <<<"${mine}" | wc -l)" == "${expected}" ]] || fail "li sees: ${mine}"
other="$(psql "${url}" -qXtAc "SELECT min(v.id) FROM vehicles v WHERE NOT EXISTS (SELECT 1 FROM trips t JOIN convoys c ON c.id = t.convoy_id WHERE t.vehicle_id = v.id AND c.leader_username = 'li')")"
code="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${li}" "${api}/vehicles/${other}")"
[[ "${code}" == 403 ]] || fail "li reading vehicle ${other}: ${code}"
code="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${li}" "${api}/users")"
[[ "${code}" == 403 ]] || fail "li listing users: ${code}"

echo "leader-password-2" | "${bin}" user passwd li --password-stdin --database-url "${url}" >/dev/null
code="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${li}" "${api}/me")"
[[ "${code}" == 401 ]] || fail "li's token survived a password change: ${code}"

# The access log has the request, without the query string.
curl -s -o /dev/null -H "Authorization: Bearer ${token}" "${api}/vehicles/1/positions?limit=1&token=secret"
sleep 0.2
grep -q 'http GET /api/v1/vehicles/1/positions 200' "${work}/serve.log" || fail "no access log line"
grep -q 'token=secret' "${work}/serve.log" && fail "the query string was logged"

# The dashboard's files at /, and nothing outside them however the path is written.
root="http://127.0.0.1:${port}"
expect_in "$(curl -fsS "${root}/")" "<title>fleetwatch</title>"
for target in /../README.md /%2e%2e/README.md /..%2fREADME.md; do
    code="$(curl -s --path-as-is -o "${work}/body" -w '%{http_code}' "${root}${target}")"
    [[ "${code}" == 400 ]] || fail "GET ${target}: ${code}"
    grep -q fleetwatch "${work}/body" && grep -q 'Quick start' "${work}/body" && fail "GET ${target} served the README"
done

# The README's API examples, run as written against this server (its port, its admin password),
# with one violation stored the way the engine stores it so the violation calls have one.
psql "${url}" -qXc "INSERT INTO violations (type, severity, vehicle_id, started_at, peak, peak_unit)
    VALUES ('overspeed', 'serious', 1, now() - interval '5 minutes', 72, 'km/h')" >/dev/null
examples="$(sed -n '/<!-- api-examples/,/^```$/p' "${repo}/README.md" | sed '1,2d;$d')"
[[ "$(grep -c 'curl -fsS' <<<"${examples}")" -ge 10 ]] || fail "README has no api-examples block"
examples="${examples//http:\/\/127.0.0.1:8080/http:\/\/127.0.0.1:${port}}"
examples="${examples//fleetwatch-demo/${password}}"
out="$(bash -euo pipefail -c "${examples}" 2>&1)" || fail "the README's API examples: ${out}"
expect_in "${out}" '"action":"acknowledge"'
expect_in "${out}" '"type":"Feature"'
[[ "$(psql "${url}" -qXtAc "SELECT status FROM violations")" == acknowledged ]] \
    || fail "the README's acknowledge did not acknowledge"

kill -TERM "${serve_pid}"
wait "${serve_pid}" || fail "serve exited $?"
serve_pid=""
echo "api_cli_test: ok"
