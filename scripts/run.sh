#!/usr/bin/env bash
# fleetwatch's run command: ./scripts/run.sh
#
# Installs what is missing (deploy/install-deps.sh), builds the release binary, and decodes the
# sample terminal capture in deploy/samples/ with `fleetwatch decode`, one JSON line per frame.
# (The server, the demo fleet and the simulator arrive with the ingest server; until then this
# is the whole of what fleetwatch runs.)
#
# Options:
#   --no-deps   do not run deploy/install-deps.sh
#   FILE        decode FILE instead of the sample capture ('-' for stdin)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

deps=1
input="deploy/samples/terminal-session.hex"
for arg in "$@"; do
    case "${arg}" in
        --no-deps) deps=0 ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) input="${arg}" ;;
    esac
done

if ((deps)); then deploy/install-deps.sh; fi
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFLEETWATCH_WERROR=ON >/dev/null
cmake --build build/release --target fleetwatch

echo "run.sh: build/release/app/fleetwatch decode < ${input}"
rc=0
if [[ "${input}" == "-" ]]; then
    build/release/app/fleetwatch decode || rc=$?
else
    build/release/app/fleetwatch decode < "${input}" || rc=$?
fi
if ((rc == 1)); then
    echo "run.sh: some frames were rejected (their lines say why: \"ok\":false)." >&2
elif ((rc != 0)); then
    exit "${rc}"
fi
echo "run.sh: decode your own capture with: build/release/app/fleetwatch decode < capture.hex"
