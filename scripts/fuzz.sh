#!/usr/bin/env bash
# Run the JT/T 808 stream fuzzer for a fixed time over a seed corpus of real frames.
#
# Builds nothing: expects build/fuzz/tests/fuzz/jt808_stream_fuzz (scripts/test.sh builds it;
# by hand: CC=clang CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DFLEETWATCH_FUZZ=ON
#          -DFLEETWATCH_BENCH=OFF && cmake --build build/fuzz --target fleetwatch_fuzzers).
#
# Seeds come from every hex field (even length, >= 4 bytes) in ../shared/testdata/jt808/*.tsv
# and in tests/data/ (*.tsv, *.hex, *.txt) when present. Each is written as its raw bytes and,
# when different, as a wire frame: 0x7e-delimited with 0x7d/0x7e escaped. One more seed per
# file concatenates its wire frames into a stream.
#
# Exits non-zero when libFuzzer reports a crash, leak, timeout or out-of-memory, and says
# where the reproducer is.
#
# Environment:
#   FUZZ_SECONDS        fuzzing time in seconds (default 60)
#   FUZZER              fuzzer binary (default build/fuzz/tests/fuzz/jt808_stream_fuzz)
#   FLEETWATCH_TESTDATA testdata dir (default <repo>/../shared/testdata/jt808)
# Extra arguments are passed to the fuzzer (e.g. -seed=1).
set -euo pipefail

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
    exit 0
fi

ROOT="$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel 2>/dev/null ||
    (cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd))"
cd "${ROOT}"

FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
FUZZER="${FUZZER:-build/fuzz/tests/fuzz/jt808_stream_fuzz}"
TESTDATA="${FLEETWATCH_TESTDATA:-${ROOT}/../shared/testdata/jt808}"
OUT="build/fuzz"
SEEDS="${OUT}/corpus"          # regenerated on every run
WORK="${OUT}/corpus-run"       # copy the fuzzer grows; fresh on every run
ARTIFACTS="${OUT}/artifacts"   # crash-*, leak-*, timeout-*, oom-*
LOG="${OUT}/fuzz.log"
DICT="${OUT}/jt808.dict"

die() { echo "fuzz.sh: error: $*" >&2; exit 1; }

[[ "${FUZZ_SECONDS}" =~ ^[0-9]+$ ]] || die "FUZZ_SECONDS must be a whole number of seconds, got '${FUZZ_SECONDS}'"
if [[ ! -d "${TESTDATA}" ]]; then
    die "test data directory not found: ${TESTDATA}
  The seed corpus is built from the shared JT/T 808 captures, which must sit beside the repo
  (../shared/testdata/jt808). CI must provide it; locally set FLEETWATCH_TESTDATA=<dir>."
fi
shopt -s nullglob
tsv_files=("${TESTDATA}"/*.tsv)
((${#tsv_files[@]})) || die "no *.tsv files in ${TESTDATA}"
[[ -x "${FUZZER}" ]] || die "fuzzer binary not found: ${FUZZER}
  Build it first: CC=clang CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DFLEETWATCH_FUZZ=ON -DFLEETWATCH_BENCH=OFF
                  cmake --build build/fuzz --target fleetwatch_fuzzers"

inputs=("${tsv_files[@]}")
if [[ -d tests/data ]]; then
    while IFS= read -r -d '' f; do inputs+=("$f"); done \
        < <(find tests/data -type f \( -name '*.tsv' -o -name '*.hex' -o -name '*.txt' \) -print0 | sort -z)
fi

# --- seed corpus -----------------------------------------------------------------------------
rm -rf "${SEEDS}" "${WORK}"
mkdir -p "${SEEDS}" "${ARTIFACTS}"

# perl is Essential on Debian (perl-base), so no python/xxd is needed here.
perl -e '
    use strict; use warnings;
    my $dir = shift @ARGV;
    my (%seen, $n);
    sub put {
        my ($name, $bytes) = @_;
        return if $seen{$bytes}++;
        open(my $fh, ">:raw", "$dir/$name") or die "$dir/$name: $!";
        print $fh $bytes; close $fh; $n++;
    }
    sub wire {
        my ($b) = @_;
        $b =~ s/^\x7e//; $b =~ s/\x7e$//;
        $b =~ s/\x7d/\x7d\x01/g; $b =~ s/\x7e/\x7d\x02/g;
        return "\x7e$b\x7e";
    }
    for my $file (@ARGV) {
        open(my $in, "<", $file) or die "$file: $!";
        (my $tag = $file) =~ s{.*/}{}; $tag =~ s/\.[^.]*$//; $tag =~ s/[^A-Za-z0-9_]+/_/g;
        my $stream = "";
        while (my $line = <$in>) {
            next if $line =~ /^\s*#/;
            $line =~ s/\r?\n$//;
            my $col = 0;
            for my $field (split /\t/, $line) {
                $col++;
                (my $hex = $field) =~ s/^\s+|\s+$//g;
                next unless $hex =~ /^[0-9A-Fa-f]{2}(?:[ :]?[0-9A-Fa-f]{2})*$/;
                $hex =~ s/[ :]//g;
                next if length($hex) < 8;
                my $bytes = pack("H*", $hex);
                put("${tag}_l$.c${col}", $bytes);
                my $w = wire($bytes);
                put("${tag}_l$.c${col}_wire", $w) if $w ne $bytes;
                $stream .= $w if length($stream) + length($w) <= 4096;
            }
        }
        close $in;
        put("${tag}_stream", $stream) if length $stream;
    }
    print STDERR "fuzz.sh: wrote $n seed files\n";
' "${SEEDS}" "${inputs[@]}"

seed_count=$(find "${SEEDS}" -type f | wc -l)
((seed_count > 0)) || die "no hex frames found in: ${inputs[*]}"
cp -r "${SEEDS}" "${WORK}"

# Framing tokens and the message ids we decode, to help the mutator.
cat > "${DICT}" <<'DICT'
flag="\x7e"
esc_7d="\x7d\x01"
esc_7e="\x7d\x02"
id_0001="\x00\x01"
id_0002="\x00\x02"
id_0003="\x00\x03"
id_0100="\x01\x00"
id_0102="\x01\x02"
id_0200="\x02\x00"
id_0704="\x07\x04"
id_0801="\x08\x01"
id_0900="\x09\x00"
id_8001="\x80\x01"
id_8100="\x81\x00"
DICT

# --- fuzz ------------------------------------------------------------------------------------
rm -f "${ARTIFACTS}"/crash-* "${ARTIFACTS}"/leak-* "${ARTIFACTS}"/timeout-* "${ARTIFACTS}"/oom-*
echo "fuzz.sh: ${FUZZER} for ${FUZZ_SECONDS}s over ${seed_count} seeds from ${#inputs[@]} files"
echo "fuzz.sh: full log in ${LOG}"

rc=0
UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
    "${FUZZER}" \
    -max_total_time="${FUZZ_SECONDS}" \
    -max_len=4096 \
    -timeout=10 \
    -rss_limit_mb=2048 \
    -print_final_stats=1 \
    -dict="${DICT}" \
    -artifact_prefix="${ARTIFACTS}/" \
    "$@" \
    "${WORK}" >"${LOG}" 2>&1 || rc=$?

artifacts=("${ARTIFACTS}"/crash-* "${ARTIFACTS}"/leak-* "${ARTIFACTS}"/timeout-* "${ARTIFACTS}"/oom-*)

if ((rc == 0 && ${#artifacts[@]} == 0)); then
    # The progress lines are many; show the end: coverage reached and final stats.
    tail -n 25 "${LOG}"
    echo "fuzz.sh: OK, no crash in ${FUZZ_SECONDS}s ($(find "${WORK}" -type f | wc -l) corpus files)"
    exit 0
fi

# Failure: show the report (from the first sanitizer/libFuzzer error line) and the reproducer.
first=$(grep -n -m1 -E '^==[0-9]+==|ERROR: libFuzzer|runtime error:|SUMMARY: |deadly signal|ALARM: working on the last Unit' "${LOG}" | cut -d: -f1 || true)
echo "------------------------------------------------------------------ fuzzer report"
if [[ -n "${first}" ]]; then
    tail -n "+$((first > 5 ? first - 5 : 1))" "${LOG}" | head -n 200
else
    tail -n 80 "${LOG}"
fi
echo "------------------------------------------------------------------"
echo "fuzz.sh: FAILED: fuzzer exit code ${rc}; full log: ${ROOT}/${LOG}" >&2
for a in "${artifacts[@]}"; do
    echo "fuzz.sh: artifact: ${ROOT}/${a} ($(wc -c <"${a}") bytes)" >&2
    if command -v xxd >/dev/null 2>&1; then
        xxd -l 256 "${a}" >&2
    fi
    echo "fuzz.sh: reproduce with: ${FUZZER} ${a}" >&2
done
((${#artifacts[@]})) || echo "fuzz.sh: no artifact file was written (see the log)" >&2
exit 1
