# Sourced by the shell tests that need the throwaway cluster of scripts/with-postgres.sh.
# require_test_database: returns when FLEETWATCH_TEST_DATABASE_URL is set; otherwise exits 77
# (ctest's SKIP_RETURN_CODE), or 1 when FLEETWATCH_REQUIRE_DB=1 (CI must not pass by skipping).
require_test_database() {
    [[ -n "${FLEETWATCH_TEST_DATABASE_URL:-}" ]] && return 0
    if [[ "${FLEETWATCH_REQUIRE_DB:-}" == 1 ]]; then
        echo "FLEETWATCH_TEST_DATABASE_URL not set but FLEETWATCH_REQUIRE_DB=1; run under scripts/with-postgres.sh" >&2
        exit 1
    fi
    echo "FLEETWATCH_TEST_DATABASE_URL not set; run under scripts/with-postgres.sh"
    exit 77
}
