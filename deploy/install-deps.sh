#!/usr/bin/env bash
# Install the Debian packages fleetwatch needs to build, test, fuzz and benchmark.
#
# Idempotent and fast on re-runs: when every package is already installed it does not touch
# apt at all. `apt-get update` runs only when something is missing. Works as root, or through
# sudo when it exists.
#
# Usage: deploy/install-deps.sh [--check]
#   --check   only report what is missing; exit 1 if anything is (installs nothing)
set -euo pipefail

# One list for the whole project. Later issues add their packages to the right group here
# (Boost, libpqxx, PostgreSQL/PostGIS, protobuf, prometheus-cpp ...).
PACKAGES=(
    # --- toolchain and build system
    build-essential cmake ninja-build pkg-config git
    # --- clang: the fuzz build (libFuzzer, ASan/UBSan/LSan runtimes come from libclang-rt-14-dev,
    #     which clang only recommends). lld is not needed: clang links fuzzers with GNU ld.
    clang libclang-rt-14-dev
    # --- tests and benchmarks
    libgtest-dev libgmock-dev libbenchmark-dev
    # --- libraries: JSON, command line, logging, formatting
    nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev
    # --- code style and static analysis (.clang-format, .clang-tidy)
    clang-format clang-tidy
    # --- small tools: xxd for hex dumps of fuzz artifacts (scripts use perl, which is essential);
    #     curl for the metrics command scripts/run.sh prints
    xxd curl
    # --- events and metrics: protobuf 3.21 (proto/, the spool), prometheus-cpp (every stats struct)
    libprotobuf-dev protobuf-compiler prometheus-cpp-dev
    # --- fleet file and storage: yaml-cpp (fleet/), libpqxx 6.4 (storage/ only), Boost 1.74;
    #     PostgreSQL 15 + PostGIS 3 for deploy/pg.sh's private cluster and the postgis tests
    #     (psql comes with postgresql-15 via postgresql-client-15)
    libyaml-cpp-dev libpqxx-dev libboost1.74-dev postgresql-15 postgresql-15-postgis-3
    #     (ingest/server and `fleetwatch serve` use libboost1.74-dev for Asio, prometheus-cpp-dev
    #     core + pull for /metrics, libspdlog-dev for logs and libyaml-cpp-dev for --config)
    # --- api/: libsodium (argon2id password hashes, random tokens, SHA-256 of tokens)
    libsodium-dev
    # --- push/webhooks: OpenSSL (https to the WeCom/DingTalk robots, HMAC-SHA256 signatures)
    #     and the CA store the https peers are verified against
    libssl-dev ca-certificates
    # --- later: Boost (Asio, Beast, Geometry), libpqxx, PostgreSQL/PostGIS, protobuf, prometheus-cpp
)

check_only=0
case "${1:-}" in
    --check) check_only=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    "") ;;
    *) echo "install-deps.sh: unknown argument: $1" >&2; exit 2 ;;
esac

missing=()
for pkg in "${PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
    [[ "$status" == "installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
    echo "install-deps.sh: all ${#PACKAGES[@]} packages already installed"
    exit 0
fi

echo "install-deps.sh: missing: ${missing[*]}"
if ((check_only)); then
    exit 1
fi

SUDO=()
if ((EUID != 0)); then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "install-deps.sh: not root and sudo is not installed; install as root: ${missing[*]}" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"
echo "install-deps.sh: installed ${missing[*]}"
