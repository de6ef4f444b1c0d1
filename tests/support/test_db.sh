# Sourced by the shell tests that need the throwaway cluster of scripts/with-postgres.sh.
# shellcheck source=../../scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"

# require_test_database: returns when FLEETWATCH_TEST_DATABASE_URL is set; otherwise skips (77),
# or fails under FLEETWATCH_REQUIRE_DB=1 (scripts/lib.sh skip_or_fail).
require_test_database() {
    [[ -n "${FLEETWATCH_TEST_DATABASE_URL:-}" ]] ||
        skip_or_fail "FLEETWATCH_TEST_DATABASE_URL not set (run under scripts/with-postgres.sh)"
}
