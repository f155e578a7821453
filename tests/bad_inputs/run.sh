#!/usr/bin/env bash
# The bad-input suite (docs/bad-input.md): every stage run the way users run it
# (mpiexec -n 2 for tile, train, distance, simulate) on hostile arguments and files.
# Each case asserts:
#   - the exit status (2: usage, 1: bad input);
#   - exactly one "hitwin: error:" line, equal to the expected text (a bash glob:
#     exact text, with * only where a reader's wording is not ours to fix);
#   - no line of ours repeated (usage text and messages printed once, not per rank);
#   - the fixtures (every input) byte-identical afterwards (sha256 of the tree);
#   - nothing new or changed in the case's working directory (no output, no *.tmp-*);
#   - no process of the case left running.
# usage: run.sh [FILTER]   (env: HITWIN, MPIEXEC; FILTER: a glob over case names)
# Exit 0 pass, 1 fail, 77 skip (no hitwin).
set -u
HITWIN=${HITWIN:-}
[ -n "$HITWIN" ] && [ -x "$HITWIN" ] || { echo "HITWIN is not set (run through ctest)"; exit 77; }
MPIEXEC=${MPIEXEC:-mpiexec}
FILTER=${1:-*}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
MPI="$MPIEXEC -n 2 --oversubscribe"

T=$(mktemp -d /tmp/hw_badinput_XXXXXX)
[ -n "${BADINPUT_KEEP:-}" ] && echo "keeping $T" || trap 'rm -rf "$T"' EXIT
F=$T/fix     # fixtures: read by every case, never written
mkdir -p "$F"
n_pass=0 n_fail=0 failed_names=()

# ---- fixtures, made once -----------------------------------------------------------
make_fixtures() {
  "$HITWIN" simulate --preset small --out "$F/sim" --quiet > /dev/null || return 1
  $MPI "$HITWIN" tile "$F/sim/dataset.yaml" --set tile_size=32 --set stride=32 -o "$F/t32.h5" -q > /dev/null || return 1
  "$HITWIN" tile "$F/sim/dataset.yaml" --set tile_size=32 --set stride=32 --set split.test= -o "$F/notest.h5" -q > /dev/null || return 1
  printf 'tiles: t32.h5\nbatch_size: 16\nepochs: 1\noutput: run\n' > "$F/train.yaml"
  $MPI "$HITWIN" train "$F/train.yaml" -q > /dev/null || return 1
  $MPI "$HITWIN" distance "$F/t32.h5" -c "$F/run/best.safetensors" -o "$F/dist" -q --no-baselines > /dev/null || return 1
  head -c 3000 "$F/sim/control_R1.mcool" > "$F/trunc.mcool"
  : > "$F/empty.mcool"
  head -c 4096 /dev/urandom > "$F/garbage.mcool"
  cp "$F/sim/control_R1.mcool" "$F/flipped.mcool"
  printf '\xff\xff\xff\xff' | dd of="$F/flipped.mcool" bs=1 seek=40 conv=notrunc 2> /dev/null
  head -c 100 "$F/run/best.safetensors" > "$F/trunc.safetensors"
  head -c 2048 /dev/urandom > "$F/garbage.safetensors"
  printf 'chrZ\t100\t200\tloop\t0.9\n' > "$F/other_genome.bed"
  printf 'not a bed file at all\n' > "$F/words.bed"
  : > "$F/empty.bed"
  mkdir -p "$F/adir" "$F/emptydir"
  local hic=../shared/data/straw_test.hic
  if [ -f "$hic" ]; then cp "$hic" "$F/good.hic"; head -c 5000 "$hic" > "$F/trunc.hic"; fi
  # a dataset config in its own directory, with absolute sample paths
  sample_lines() {
    for s in control_R1 control_R2 treatment_R1 treatment_R2; do
      printf '  - {name: %s, path: %s/sim/%s.mcool, condition: %s, replicate: %s}\n' \
        "$s" "$F" "$s" "${s%_*}" "${s#*_}"
    done
  }
  SAMPLES=$(sample_lines)
}
t0=$SECONDS
make_fixtures || { echo "FAIL: fixtures could not be made"; exit 1; }
echo "fixtures in $((SECONDS - t0)) s"

manifest() { (cd "$1" && find . -print0 | sort -z | xargs -0 -r sha256sum 2>/dev/null; find . -type d | sort); }
FIX_SUM=$(manifest "$F")

# config TEXT-FILE: write a dataset config into the case's directory ($W/cfg.yaml)
dataset() { # dataset EXTRA_TOP_LEVEL_YAML [SAMPLES_YAML]
  { printf 'name: bad\nresolution: 10000\nsplit: {test: [chr2], validation: [chr18]}\n'
    printf 'conditions: %s\n' "${CONDS:-[control, treatment]}"
    printf '%b' "$1"
    printf 'samples:\n%s\n' "${2:-$SAMPLES}"; } > "$W/cfg.yaml"
}

# ---- one case ----------------------------------------------------------------------
# case_ NAME RC EXPECTED NP SETUP -- ARGS...
#   NP 2: under mpiexec -n 2; 1: a plain process. SETUP: shell code run in the case's
#   directory first (the case's own files: they must be unchanged afterwards too).
#   EXPECTED: the text after "hitwin: error: ", a bash glob where only * is a wildcard.
# Cases run $JOBS at a time (a failing mpiexec job spends most of its 2 s waiting), each
# in its own directory $T/work/NAME; %W% in a case stands for it.
JOBS=${BADINPUT_JOBS:-4}
STDOUT_TO=""
mkdir -p "$T/res" "$T/work"
run_case() {
  local name=$1 want_rc=$2 want=$3 np=$4 setup=$5
  shift 6
  local W=$T/work/$name R=$T/res/$name
  mkdir -p "$W" "$R"
  want=${want//%W%/$W}; setup=${setup//%W%/$W}
  local args=() a limit=unlimited
  for a in "$@"; do
    if [ "$a" = --ulimit-f-0 ]; then limit=0; continue; fi # not passed: the file size limit 0
    args+=("${a//%W%/$W}")
  done
  set -- "${args[@]}"
  (cd "$W" && eval "$setup") > "$R/setup.log" 2>&1 || { echo "FAIL $name: setup: $(cat "$R/setup.log")" > "$R/fail"; return; }
  local before; before=$(manifest "$W")
  local cmd=("$HITWIN" "$@")
  [ "$np" = 2 ] && cmd=($MPI "$HITWIN" "$@")
  local out=${STDOUT_TO:-$R/stdout}; out=${out//%W%/$W}
  # stderr through a pipe: a file size limit on the case must not stop its error line
  ( set -o pipefail; cd "$W" && setsid --wait bash -c 'echo $$ > "$0"; ulimit -f "$1"; shift; exec "$@"' "$R/sid" "$limit" timeout 60 "${cmd[@]}" 2>&1 >> "$out" < /dev/null | cat > "$R/stderr" )
  local rc=$? problems=()
  [ "$rc" = "$want_rc" ] || problems+=("exit status $rc, expected $want_rc")
  local errs; errs=$(grep -c '^hitwin: error: ' "$R/stderr")
  if [ "$errs" != 1 ]; then
    problems+=("$errs 'hitwin: error:' lines, expected 1")
  else
    local line; line=$(grep '^hitwin: error: ' "$R/stderr"); line=${line#hitwin: error: }
    # only * is a wildcard: [ ] ? in messages are literal
    local pat=${want//\[/\\[}; pat=${pat//\]/\\]}; pat=${pat//\?/\\?}
    # shellcheck disable=SC2053
    [[ $line == $pat ]] || problems+=("message: '$line'" "   wanted: '$want'")
    echo "$line" > "$R/message"
  fi
  local dup; dup=$(grep -E '^(hitwin|usage:|  -)' "$R/stderr" | sort | uniq -d | head -1)
  [ -z "$dup" ] || problems+=("repeated line: '$dup'")
  [ "$(grep -c '^usage:' "$R/stderr")" -le 1 ] || problems+=("usage printed more than once")
  grep -qiE 'AddressSanitizer|runtime error:|LeakSanitizer|Segmentation|core dumped' "$R/stderr" && problems+=("sanitizer/crash report")
  [ "$(manifest "$W")" = "$before" ] || problems+=("the working directory changed: $(cd "$W" && find . -newer "$R/sid" | head -3 | tr '\n' ' ')")
  [ "$(manifest "$F")" = "$FIX_SUM" ] || problems+=("an input (fixture) changed")
  local sid; sid=$(cat "$R/sid" 2> /dev/null)
  if [ -n "$sid" ]; then
    for _ in 1 2 3 4 5 6 7 8 9 10; do pgrep -s "$sid" > /dev/null 2>&1 || break; sleep 0.2; done
    if pgrep -s "$sid" > /dev/null 2>&1; then problems+=("processes left: $(pgrep -s "$sid" -l | tr '\n' ' ')"); pkill -9 -s "$sid"; fi
  fi
  if [ ${#problems[@]} != 0 ]; then
    { echo "FAIL $name: ${cmd[*]}"
      printf '    %s\n' "${problems[@]}"
      sed 's/^/    | /' "$R/stderr" | head -8; } > "$R/fail"
  fi
}
case_() {
  # shellcheck disable=SC2053
  [[ $1 == $FILTER ]] || return 0
  n_cases=$((n_cases + 1))
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
  run_case "$@" &
}
n_cases=0

# shellcheck source=cases.sh
. "$(dirname "$0")/cases.sh"

wait

# ---- faults: a rank killed with SIGKILL during tile ---------------------------------------
# No output that looks complete is left, nor a temporary file (the other rank gets SIGTERM
# from mpiexec and removes it); a rerun gives the same store as an uninterrupted run.
fault_kill_tile() {
  local R=$T/res/fault_kill_tile W=$T/work/fault_kill_tile problems=()
  mkdir -p "$R" "$W"
  local args=(tile "$F/sim/dataset.yaml" --set tile_size=64 --set stride=4 -q)
  (cd "$W" && exec $MPI "$HITWIN" "${args[@]}" -o k.h5 > /dev/null 2> "$R/stderr") &
  local mp=$! kids=
  for _ in $(seq 100); do kids=$(pgrep -P "$mp" -f "$HITWIN" | tail -1); [ -n "$kids" ] && break; sleep 0.05; done
  # the subshell execs mpiexec: the ranks are its children
  sleep 0.4
  local victim; victim=$(pgrep -P "$mp" -f "$HITWIN" | tail -1)
  [ -n "$victim" ] && kill -9 "$victim" 2> /dev/null
  wait "$mp"; local rc=$?
  if [ "$rc" = 0 ]; then
    echo "note: fault_kill_tile: the run ended before the kill; nothing checked"
  else
    [ ! -e "$W/k.h5" ] || problems+=("a killed tile left k.h5")
    sleep 0.5
    local tmp; tmp=$(find "$W" -name '*.tmp-*' | head -1)
    [ -z "$tmp" ] || problems+=("a killed tile left $tmp")
    (cd "$W" && $MPI "$HITWIN" "${args[@]}" -o k.h5 > /dev/null 2>&1) || problems+=("the rerun failed")
    (cd "$W" && $MPI "$HITWIN" "${args[@]}" -o ref.h5 > /dev/null 2>&1) || problems+=("the reference run failed")
    if command -v h5diff > /dev/null; then
      for obj in /tiles /qc/kept /qc/rows_covered /windows/split /windows/start; do
        h5diff -q "$W/k.h5" "$W/ref.h5" "$obj" > /dev/null 2>&1 || problems+=("rerun differs from an uninterrupted run in $obj")
      done
    fi
  fi
  if [ ${#problems[@]} != 0 ]; then
    { echo "FAIL fault_kill_tile"; printf '    %s\n' "${problems[@]}"; } > "$R/fail"
  fi
  rm -f "$W"/*.h5
}
[[ fault_kill_tile == $FILTER ]] && { n_cases=$((n_cases + 1)); fault_kill_tile; }

for r in "$T"/res/*; do
  [ -d "$r" ] || continue
  if [ -f "$r/fail" ]; then cat "$r/fail"; n_fail=$((n_fail + 1)); failed_names+=("${r##*/}"); else n_pass=$((n_pass + 1)); fi
done
[ "$(manifest "$F")" = "$FIX_SUM" ] || { echo "FAIL: the fixtures changed during the run"; n_fail=$((n_fail + 1)); }
leftover=$(find "$F" "$T/work" -name '*.tmp-*' -o -name '.*.tmp' | head -3)
[ -z "$leftover" ] || { echo "FAIL: temporary files left: $leftover"; n_fail=$((n_fail + 1)); }
echo "bad inputs: $n_cases cases, $n_pass passed, $n_fail failed ($((SECONDS - t0)) s)"
[ "$n_fail" = 0 ] || { printf 'failed: %s\n' "${failed_names[*]}"; exit 1; }
exit 0
