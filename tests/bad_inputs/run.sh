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
# usage: run.sh [FILTER]   (env: HITWIN, MPIEXEC; FILTER: a glob over case names;
#   BADINPUT_EVERY=N: only every Nth case of cases.sh, in its order (1st, N+1th, ...),
#   so each stage keeps 1/N of its cases: the sanitizer build's deterministic subset;
#   BADINPUT_FAULTS=0: no kill -9 faults)
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
# the small file systems of the disk-full cases (tmpfs, where this user may mount)
unmount_all() { grep -o " $T/[^ ]*" /proc/mounts 2> /dev/null | while read -r m; do umount "$m"; done; }
if [ -n "${BADINPUT_KEEP:-}" ]; then echo "keeping $T"; trap unmount_all EXIT; else trap 'unmount_all; rm -rf "$T"' EXIT; fi
CAN_MOUNT=0 # read by cases.sh
# shellcheck disable=SC2034
mkdir -p "$T/probe" && mount -t tmpfs -o size=64k tmpfs "$T/probe" 2> /dev/null && umount "$T/probe" && CAN_MOUNT=1
rmdir "$T/probe"
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
    # not passed on: a file size limit (ulimit -f, 1024-byte blocks) for hitwin
    if [[ $a == --ulimit-f-* ]]; then limit=${a#--ulimit-f-}; continue; fi
    args+=("${a//%W%/$W}")
  done
  set -- "${args[@]}"
  (cd "$W" && eval "$setup") > "$R/setup.log" 2>&1 || { echo "FAIL $name: setup: $(cat "$R/setup.log")" > "$R/fail"; return; }
  local before; before=$(manifest "$W")
  local cmd=("$HITWIN" "$@")
  [ "$np" = 2 ] && cmd=($MPI "$HITWIN" "$@")
  if [ "$np" = 2 ] && [ "$limit" != unlimited ]; then
    # the limit on the ranks only: mpiexec's PMIx server cannot start under one, and the
    # shared-memory transport (ftruncate of its segment) fails under one: TCP on loopback
    # shellcheck disable=SC2054,SC2206
    cmd=($MPI --mca btl self,tcp bash -c 'ulimit -f "$0" && exec "$@"' "$limit" "$HITWIN" "$@")
    limit=unlimited
  fi
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
EVERY=${BADINPUT_EVERY:-1}
n_seen=0
case_() {
  # shellcheck disable=SC2053
  [[ $1 == $FILTER ]] || return 0
  n_seen=$((n_seen + 1))
  [ $(((n_seen - 1) % EVERY)) = 0 ] || return 0
  n_cases=$((n_cases + 1))
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
  run_case "$@" &
}
n_cases=0

# shellcheck source=cases.sh
. "$(dirname "$0")/cases.sh"

wait

# ---- faults: one rank killed with SIGKILL part way -----------------------------------------
# The other rank gets SIGTERM from mpiexec and removes its temporary files (every rank
# registers the tile store's; rank 0 writes distance's and train's files). Each fault
# asserts: the job ends (no rank waits forever: 120 s limit), non-zero; no output that
# looks complete and no temporary file is left; the rerun (train: --resume) gives the
# same bytes as an uninterrupted run.

# rank_pid PID RANK: the process of MPI rank RANK below PID (OMPI_COMM_WORLD_RANK in its
# environment), searched two levels down (timeout, mpiexec, ranks).
rank_pid() {
  local p c
  for p in $(pgrep -P "$1"); do
    for c in "$p" $(pgrep -P "$p"); do
      [ "$(cat /proc/"$c"/comm 2> /dev/null)" = hitwin ] || continue
      tr '\0' '\n' < /proc/"$c"/environ 2> /dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2" && { echo "$c"; return 0; }
    done
  done
  return 1
}
# kill_when PID RANK READY: once rank RANK of the job PID runs and the shell test READY
# holds, SIGKILL it. 0: killed while the job ran; 1: the job ended first.
kill_when() {
  local victim=
  for _ in $(seq 3000); do
    kill -0 "$1" 2> /dev/null || return 1
    [ -n "$victim" ] || victim=$(rank_pid "$1" "$2")
    if [ -n "$victim" ] && eval "$3"; then kill -9 "$victim" 2> /dev/null && return 0; return 1; fi
    sleep 0.01
  done
  return 1
}
# fault_run NAME RANK READY DIR ARGS...: hitwin ARGS under mpiexec -n 2 in DIR, rank RANK
# killed when READY holds; sets fault_rc (the job's status) and fault_killed (0/1).
fault_run() {
  local name=$1 rank=$2 ready=$3 dir=$4; shift 4
  (cd "$dir" && exec timeout 120 $MPI "$HITWIN" "$@" > /dev/null 2> "$T/res/$name/stderr") &
  local mp=$!
  kill_when "$mp" "$rank" "$ready"; fault_killed=$?
  wait "$mp"; fault_rc=$?
}
# same_files A B: every file of A byte-identical in B and the same names (cmp)
same_files() {
  local f bad=0
  [ "$(cd "$1" && find . -type f | sort)" = "$(cd "$2" && find . -type f | sort)" ] || { echo "other files: $(cd "$1" && find . -type f | sort | tr '\n' ' ') vs $(cd "$2" && find . -type f | sort | tr '\n' ' ')"; return 1; }
  while IFS= read -r f; do cmp -s "$1/$f" "$2/$f" || { echo "$f differs"; bad=1; }; done < <(cd "$1" && find . -type f | sort)
  return $bad
}
fault_done() { # fault_done NAME PROBLEMS...
  local name=$1; shift
  [ $# = 0 ] || { echo "FAIL $name"; printf '    %s\n' "$@"; sed 's/^/    | /' "$T/res/$name/stderr" | grep -v '^    | --\|^    | $' | head -6; } > "$T/res/$name/fail"
}
no_temps() { local t; t=$(find "$1" -name '*.tmp-*' | head -1); [ -z "$t" ] || echo "left $t"; }

# tile: rank RANK killed once the store's temporary file exists (writing has begun)
fault_kill_tile() {
  local rank=$1 name=fault_kill_tile_rank$1 problems=()
  local W=$T/work/$name R=$T/res/$name; mkdir -p "$W/run" "$W/ref" "$R"
  local args=(tile "$F/sim/dataset.yaml" --set tile_size=64 --set stride=4 -q -o k.h5)
  fault_run "$name" "$rank" 'compgen -G "$W/run/k.h5.tmp-*" > /dev/null' "$W/run" "${args[@]}"
  if [ "$fault_killed" != 0 ]; then
    problems+=("the run (status $fault_rc) ended before rank $rank was killed")
  else
    [ "$fault_rc" != 0 ] && [ "$fault_rc" != 124 ] || problems+=("exit status $fault_rc after a rank was killed (124: a rank hung)")
    [ ! -e "$W/run/k.h5" ] || problems+=("a killed tile left k.h5")
    local t; t=$(no_temps "$W"); [ -z "$t" ] || problems+=("a killed tile $t")
    (cd "$W/run" && $MPI "$HITWIN" "${args[@]}" > /dev/null 2>&1) || problems+=("the rerun failed")
    (cd "$W/ref" && $MPI "$HITWIN" "${args[@]}" > /dev/null 2>&1) || problems+=("the reference run failed")
    cmp -s "$W/run/k.h5" "$W/ref/k.h5" || problems+=("the rerun's store is not byte-identical to an uninterrupted run's")
  fi
  fault_done "$name" "${problems[@]}"
  rm -rf "$W"
}

# distance: rank 1 killed while the embeddings and distances are computed (-o made, nothing
# written yet), and again once rank 0 writes the outputs (a temporary file exists)
fault_kill_distance() {
  local when=$1 name=fault_kill_distance_$1 problems=() ready
  local W=$T/work/$name R=$T/res/$name; mkdir -p "$W/run" "$W/ref" "$R"
  if [ "$when" = compute ]; then ready='[ -d "$W/run/out" ]'; else ready='compgen -G "$W/run/out/*.tmp-*" > /dev/null'; fi
  local args=(distance "$FS4" -c "$CK" -o out -q)
  fault_run "$name" 1 "$ready" "$W/run" "${args[@]}"
  if [ "$fault_killed" != 0 ]; then
    # the writing phase is short: on a fast machine the job may end before it is seen
    if [ "$when" = write ] && [ "$fault_rc" = 0 ]; then echo "note: $name: the run ended before the kill; nothing checked"
    else problems+=("the run (status $fault_rc) ended before rank 1 was killed"); fi
  else
    [ "$fault_rc" != 0 ] && [ "$fault_rc" != 124 ] || problems+=("exit status $fault_rc after a rank was killed (124: a rank hung)")
    (cd "$W/ref" && $MPI "$HITWIN" "${args[@]}" > /dev/null 2>&1) || problems+=("the reference run failed")
    # Nothing may be left, or else the whole set, equal to an uninterrupted run's: rank 1 is
    # killed asynchronously, and a kill that lands after both ranks agreed the set is whole
    # (rank 1 has only MPI_Finalize left) cannot undo rank 0's renames. A part of a set, or
    # a temporary, fails.
    local left d; left=$(find "$W/run" -mindepth 1 | head -3 | tr '\n' ' ')
    if [ -n "$left" ]; then
      d=$(same_files "$W/run/out" "$W/ref/out") || problems+=("a killed distance left a partial set: $left ($d)")
      rm -rf "$W/run/out"
    fi
    (cd "$W/run" && $MPI "$HITWIN" "${args[@]}" > /dev/null 2>&1) || problems+=("the rerun failed")
    d=$(same_files "$W/run/out" "$W/ref/out") || problems+=("the rerun differs from an uninterrupted run: $d")
  fi
  fault_done "$name" "${problems[@]}"
  rm -rf "$W"
}

# train: rank 1 killed after the first state (checkpoint_every_steps); the run is refused
# without --resume, and --resume ends with the bytes of an uninterrupted run
fault_kill_train() {
  local name=fault_kill_train problems=()
  local W=$T/work/$name R=$T/res/$name; mkdir -p "$W/run" "$W/ref" "$R"
  local d
  for d in run ref; do
    printf 'tiles: %s\nbatch_size: 8\nepochs: 3\ncheckpoint_every_steps: 3\noutput: out\n' "$TS" > "$W/$d/t.yaml"
  done
  fault_run "$name" 1 '[ -f "$W/run/out/state.bin" ]' "$W/run" train t.yaml -q
  if [ "$fault_killed" != 0 ]; then
    problems+=("the run (status $fault_rc) ended before rank 1 was killed")
  else
    [ "$fault_rc" != 0 ] && [ "$fault_rc" != 124 ] || problems+=("exit status $fault_rc after a rank was killed (124: a rank hung)")
    local t; t=$(no_temps "$W"); [ -z "$t" ] || problems+=("a killed train $t")
    local msg; msg=$(cd "$W/run" && $MPI "$HITWIN" train t.yaml -q 2>&1 > /dev/null | grep '^hitwin: error:')
    [ "$msg" = "hitwin: error: out/state.bin: a run is already there (pass --resume to continue it, or choose another output)" ] \
      || problems+=("a killed run is not refused without --resume: '$msg'")
    (cd "$W/run" && $MPI "$HITWIN" train t.yaml --resume > /dev/null 2> "$R/resume.err") || problems+=("the resumed run failed: $(grep error "$R/resume.err")")
    grep -q "resuming from out/state.bin: epoch" "$R/resume.err" || problems+=("the rerun did not resume: $(grep -m1 'resum\|error' "$R/resume.err")")
    (cd "$W/ref" && $MPI "$HITWIN" train t.yaml -q > /dev/null 2>&1) || problems+=("the reference run failed")
    for f in best.safetensors best_nn.safetensors state.bin; do
      cmp -s "$W/run/out/$f" "$W/ref/out/$f" || problems+=("resumed $f differs from an uninterrupted run's")
    done
    # metrics.jsonl: the same but for the timings
    fields() { sed -E 's/"(pairs_per_s|train_seconds|seconds)": [^,]*, //g' "$1"; }
    diff <(fields "$W/run/out/metrics.jsonl") <(fields "$W/ref/out/metrics.jsonl") > /dev/null || problems+=("resumed metrics.jsonl differs from an uninterrupted run's")
    t=$(no_temps "$W"); [ -z "$t" ] || problems+=("$t")
  fi
  fault_done "$name" "${problems[@]}"
  rm -rf "$W"
}

faults=()
if [ "${BADINPUT_FAULTS:-1}" != 0 ]; then
  for f in fault_kill_tile_rank1 fault_kill_tile_rank0 fault_kill_distance_compute fault_kill_distance_write fault_kill_train; do
    # shellcheck disable=SC2053
    [[ $f == $FILTER ]] && faults+=("$f")
  done
fi
if [ ${#faults[@]} != 0 ]; then
  FS4=$T/s4.h5  # a store with more windows (stride 4): distance runs long enough to be cut
  $MPI "$HITWIN" tile "$F/sim/dataset.yaml" --set tile_size=32 --set stride=4 -o "$FS4" -q > /dev/null 2>&1 \
    || { echo "FAIL: the fault fixture could not be made"; n_fail=$((n_fail + 1)); }
fi
for f in "${faults[@]}"; do
  n_cases=$((n_cases + 1))
  case $f in
    fault_kill_tile_rank*) fault_kill_tile "${f#fault_kill_tile_rank}" ;;
    fault_kill_distance_*) fault_kill_distance "${f#fault_kill_distance_}" ;;
    fault_kill_train) fault_kill_train ;;
  esac
done

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
