#!/usr/bin/env bash
# bench/tile.sh: `hitwin tile` against the reference approach (one hic-straw
# getRecordsAsMatrix / cooler fetch per window plus the QC in Python,
# bench/reference_tile.py) on the same 4 samples, .hic and .mcool, in one run
# on this machine; then hitwin on 1 and 2 ranks. Prints seconds, MB/s of
# compressed input, and the ratios. mpiexec start-up (about 0.2 s) is inside
# the rank timings.
#   usage: bench/tile.sh [BUILD_DIR]   (default build)
# Inputs (4 samples, mm10 chr18 + chr19 at 10 kb, ~2.2M pixels each) are made
# once by bench/make_bench_data.py into bench/data/ (ignored by git).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
hitwin=$build/hitwin
data=bench/data
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
[ -x "$hitwin" ] || { echo "bench/tile: build first ($hitwin missing)"; exit 1; }
if [ ! -f $data/sample4.hic ]; then
  python3 bench/make_bench_data.py --out $data --samples 4 --chroms chr18,chr19
fi

for ext in hic mcool; do
  cat > $data/bench_$ext.yaml <<YAML
name: bench-$ext
resolution: 10000
split: {test: [chr19], validation: [], exclude: []}
samples:
  - {path: sample1.$ext, condition: ctrl, replicate: R1}
  - {path: sample2.$ext, condition: ctrl, replicate: R2}
  - {path: sample3.$ext, condition: ko, replicate: R1}
  - {path: sample4.$ext, condition: ko, replicate: R2}
output: bench_$ext.h5
YAML
done

now() { date +%s.%N; }
mb() { du -cb "$@" | tail -n1 | awk '{print $1 / 1e6}'; }
secs() { echo "$2 - $1" | bc; }
for ext in hic mcool; do
  files=$(ls $data/sample?.$ext)
  size=$(mb $files)
  t0=$(now); ref_kept=$(python3 bench/reference_tile.py $files 2>/dev/null); t1=$(now)
  # one process, free to use every core (HDF5 deflate is prepared on spare cores)
  $hitwin tile $data/bench_$ext.yaml -q > /dev/null; t2=$(now)
  # one rank and two ranks, each rank bound to one core by mpiexec: rank scaling
  # (the stage's own "elapsed" line leaves out MPI start-up and shut-down, ~0.3 s)
  e1=$(mpiexec -n 1 $hitwin tile $data/bench_$ext.yaml -q -o $data/bench_${ext}_1.h5 | sed -n 's/^elapsed: \([0-9.]*\) s/\1/p'); t3=$(now)
  e2=$(mpiexec -n 2 --oversubscribe $hitwin tile $data/bench_$ext.yaml -q -o $data/bench_${ext}_2.h5 | sed -n 's/^elapsed: \([0-9.]*\) s/\1/p'); t4=$(now)
  ours_kept=$(python3 -c "import h5py; print(int(h5py.File('$data/bench_$ext.h5')['qc/kept'][:].sum()))")
  awk -v e=$ext -v s=$size -v r=$(secs $t0 $t1) -v p=$(secs $t1 $t2) -v o1=$(secs $t2 $t3) \
      -v o2=$(secs $t3 $t4) -v rk=$ref_kept -v ok=$ours_kept -v e1=$e1 -v e2=$e2 'BEGIN {
    printf "%-6s input %.1f MB compressed | reference %.2f s (%.2f MB/s) | hitwin: 1 process %.2f s (%.1f MB/s), 1 rank on 1 core %.2f s (%.1f MB/s), 2 ranks %.2f s (%.1f MB/s)\n", e, s, r, s / r, p, s / p, o1, s / o1, o2, s / o2
    printf "%-6s vs reference: %.1fx (1 process), %.1fx (1 rank, 1 core) | 1 -> 2 ranks: %.2fx wall, %.2fx stage (%.2f s -> %.2f s) | tiles kept: reference %d, hitwin %d\n", e, r / p, r / o1, o1 / o2, e1 / e2, e1, e2, rk, ok
  }'
done
