# bench/train_data.sh, sourced by bench/train.sh and bench/train-gpu.sh: the small
# simulated training store both benchmarks use (made once under bench/data/train), and
# its arrays as raw little-endian files for bench/reference_train.py (no h5py needed).
# Needs: $hitwin. Sets: dir, store, W, S, T.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
dir=bench/data/train
mkdir -p $dir
if [ ! -f $dir/sim/tiles.h5 ]; then
  $hitwin simulate --preset small --out $dir/sim --quiet > /dev/null
  $hitwin tile $dir/sim/dataset.yaml -q > /dev/null
fi
store=$dir/sim/tiles.h5
read -r W S T _ < <(h5ls "$store/tiles" | sed -E 's/.*\{([0-9]+), ([0-9]+), ([0-9]+), ([0-9]+)\}.*/\1 \2 \3 \4/')
for ds in tiles qc/kept windows/split samples/class_id; do
  out=$dir/$(echo $ds | tr / _).bin
  [ -f "$out" ] || h5dump -d /$ds -b LE -o "$out" "$store" > /dev/null
done
