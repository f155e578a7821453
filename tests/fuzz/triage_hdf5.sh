#!/usr/bin/env bash
# Runs an HDF5-backed fuzz harness (fuzz_cool, fuzz_tile_store) and sorts a
# finding by where it happened. libhdf5 parses the bytes before any of our
# code sees them, and Debian 12's libhdf5 (1.10.8) is not memory-safe on
# damaged files (its global heap trusts stored object sizes: overlapping
# memcpy, endless loops; docs/robustness.md). A finding whose innermost
# frame outside libFuzzer, the sanitizers and libc is in libhdf5 ends the
# test as SKIPPED (77), with the input saved under the artifact prefix; any
# other finding fails it (1).
set -uo pipefail
log=$(mktemp)
"$@" >"$log" 2>&1
rc=$?
if [ $rc -eq 0 ]; then
  tail -n 3 "$log"
  rm -f "$log"
  exit 0
fi
frame=$(sed -n '/ERROR: \|SUMMARY: \|runtime error\|==ERROR/,$p' "$log" | grep -E '^ +#[0-9]+ ' |
        grep -vE 'fuzzer::|__sanitizer|__interceptor|__asan|__ubsan|__lsan|libc\.so|AlarmCallback|Fuzzer|_start|libc_start' | head -n 1)
cat "$log" | grep -E 'ERROR|SUMMARY|runtime error|Test unit written|#[0-9]+ ' | head -n 40
rm -f "$log"
if echo "$frame" | grep -q 'libhdf5'; then
  echo "triage: finding inside libhdf5 (not hitwin code): $frame"
  exit 77
fi
echo "triage: finding in hitwin code: $frame"
exit 1
