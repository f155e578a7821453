#!/usr/bin/env bash
# hitwin saliency and hitwin features end to end (docs/saliency.md), on the small simulated
# data set tiled at 32 bins (stride 8) with a randomly initialised SLeNet:
#   - 1 rank and 2 ranks give the same saliency.h5 (h5diff: every dataset and attribute) and
#     the same bedGraph tracks, byte for byte;
#   - the file holds per window the four maps and per chromosome the strips with their counts,
#     the config, checkpoint and version; no temporary file is left;
#   - --chrom NAME writes saliency_NAME.h5 whose strips equal the whole run's for NAME;
#   - --regions BED keeps the windows overlapping its regions, and inside them the strips are
#     the whole run's; a BED with an unknown chromosome is one error line;
#   - --pairs condition leaves the replicate maps out;
#   - features: a BED9 sorted like sort -k1,1 -k2,2n (strand + or -, thick = the call, the
#     separation range as gffTags in the name), and
#     features.h5; --map of a kind left out is one error line;
#   - registration: a store whose treatment differs from its control in the single contact
#     (100, 110) gives a condition saliency strip that is nonzero at row 10 (the separation),
#     column 105 (the midpoint), and nowhere else (through 3 overlapping windows, 2 ranks).
# usage: test_saliency_stage.sh MAKE_CKPT PLANT   (env: HITWIN, MPIEXEC). About 20 s on 2 cores.
set -u
make_ckpt=$1
plant=$2
HITWIN=${HITWIN:?run through ctest}
mpi="${MPIEXEC:-mpiexec} -n 2 --oversubscribe"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
tmp=$(mktemp -d /tmp/hw_saliency_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
die() { echo "FAIL: $*" >&2; fail=1; }

"$HITWIN" simulate --preset small --out "$tmp/sim" --quiet > /dev/null || { echo "FAIL: simulate"; exit 1; }
$mpi "$HITWIN" tile "$tmp/sim/dataset.yaml" --set tile_size=32 --set stride=8 -o "$tmp/t.h5" -q > /dev/null \
  || { echo "FAIL: tile"; exit 1; }
"$make_ckpt" "$tmp/m.safetensors" 32 5 1 || { echo "FAIL: checkpoint"; exit 1; }

# every split: three chromosomes, their strips built on both ranks (round robin)
args=("$tmp/t.h5" --checkpoint "$tmp/m.safetensors" --steps 5 --chunk 4 -q)
"$HITWIN" saliency "${args[@]}" -o "$tmp/one" > "$tmp/one.log" 2>&1 || { cat "$tmp/one.log"; die "1 rank"; }
$mpi "$HITWIN" saliency "${args[@]}" -o "$tmp/two" > "$tmp/two.log" 2>&1 || { cat "$tmp/two.log"; die "2 ranks"; }
h5diff "$tmp/one/saliency.h5" "$tmp/two/saliency.h5" > "$tmp/diff.log" 2>&1 \
  || { head "$tmp/diff.log"; die "saliency.h5 differs between 1 and 2 ranks"; }
for t in condition_features condition_saliency replicate_features replicate_saliency; do
  [ -s "$tmp/one/$t.bedgraph" ] || die "$t.bedgraph missing or empty"
  cmp -s "$tmp/one/$t.bedgraph" "$tmp/two/$t.bedgraph" || die "$t.bedgraph differs between 1 and 2 ranks"
done
ls "$tmp/one" "$tmp/two" | grep -q 'tmp-' && die "a temporary file was left"
grep -h '^elapsed\|^saliency' "$tmp/one.log" "$tmp/two.log"

# layout and provenance
h5ls -r "$tmp/one/saliency.h5" > "$tmp/ls.txt"
for d in windows/condition_features windows/condition_saliency windows/replicate_features \
         windows/replicate_saliency windows/start windows/chrom windows/n_pairs \
         strips/chr2/condition_features strips/chr2/condition_saliency_count strips/chr2/replicate_saliency; do
  grep -q "^/$d " "$tmp/ls.txt" || die "saliency.h5 lacks /$d"
done
grep -q '^/windows/condition_features .*{[0-9]*, 10, 10}' "$tmp/ls.txt" || die "feature maps are not G x G (10 at 32)"
grep -q '^/strips/chr2/condition_saliency .*{32, ' "$tmp/ls.txt" || die "strips are not [tile, bins]"
for a in format hitwin_version config checkpoint tile_store steps; do
  h5dump -a "/$a" "$tmp/one/saliency.h5" > /dev/null 2>&1 || die "saliency.h5 lacks attribute $a"
done

# one chromosome at a time: the same strips
"$HITWIN" saliency "${args[@]}" --chrom chr2 -o "$tmp/one" > /dev/null 2>&1 || die "--chrom chr2"
[ -f "$tmp/one/saliency_chr2.h5" ] && [ -f "$tmp/one/chr2_condition_saliency.bedgraph" ] || die "--chrom outputs missing"
h5diff "$tmp/one/saliency.h5" "$tmp/one/saliency_chr2.h5" /strips/chr2 /strips/chr2 > /dev/null 2>&1 \
  || die "--chrom chr2 strips differ from the whole run's"

# --rule midpoint: recorded; the feature strips are the reference rule's (no IG in them), the
# saliency strips are not (the path is sampled elsewhere)
"$HITWIN" saliency "${args[@]}" --chrom chr2 --rule midpoint -o "$tmp/mid" > /dev/null 2>&1 || die "--rule midpoint"
h5dump -a /rule "$tmp/mid/saliency_chr2.h5" | grep -q '"midpoint"' || die "--rule midpoint: attribute rule"
grep -q 'rule: midpoint' <(h5dump -a /config "$tmp/mid/saliency_chr2.h5") || die "--rule midpoint: not in the config"
grep -q 'rule: reference' <(h5dump -a /config "$tmp/one/saliency_chr2.h5") || die "the default rule is not reference"
h5diff "$tmp/one/saliency_chr2.h5" "$tmp/mid/saliency_chr2.h5" /strips/chr2/condition_features \
  /strips/chr2/condition_features > /dev/null 2>&1 || die "--rule midpoint changed the feature strips"
h5diff -q "$tmp/one/saliency_chr2.h5" "$tmp/mid/saliency_chr2.h5" /strips/chr2/condition_saliency \
  /strips/chr2/condition_saliency > /dev/null 2>&1 && die "--rule midpoint: the same saliency strips as the reference rule"

# --regions: only the windows whose tile overlaps a region (a track line, a comment, the
# alias "2" for chr2); strip pixels with both bins inside the region equal the whole run's
# (rows 0-7, columns 48-111 of chr2: bins 44-115, inside [40, 120)), pixels far from both
# regions are gaps (count 0), and the window table is smaller
printf 'track name=calls\n# a comment\nchr2\t400000\t1200000\tcall\n2 3000000 3100000\n' > "$tmp/r.bed"
$mpi "$HITWIN" saliency "${args[@]}" --chrom chr2 --regions "$tmp/r.bed" -o "$tmp/reg" > "$tmp/reg.log" 2>&1 \
  || { cat "$tmp/reg.log"; die "--regions"; }
for f in one reg; do
  h5dump -d /strips/chr2/condition_saliency -s "0,48" -c "8,64" "$tmp/$f/saliency_chr2.h5" | sed 1d > "$tmp/$f.strip"
  h5dump -d /strips/chr2/replicate_features -s "0,48" -c "8,64" "$tmp/$f/saliency_chr2.h5" | sed 1d >> "$tmp/$f.strip"
done
grep -q '(5,48): [^0]' "$tmp/one.strip" || die "--regions: the whole run's strip is zero where it is compared"
cmp -s "$tmp/one.strip" "$tmp/reg.strip" || die "--regions: strips inside the region differ from the whole run's"
h5dump -d /strips/chr2/condition_saliency_count -s "5,600" -c "1,4" "$tmp/reg/saliency_chr2.h5" \
  | grep -q '(5,600): 0, 0, 0, 0' || die "--regions: a pixel outside every region is covered"
nw() { h5dump -H -d /windows/start "$1" | sed -n 's/.*DATASPACE  SIMPLE { ( \([0-9]*\) ).*/\1/p'; }
[ "$(nw "$tmp/reg/saliency_chr2.h5")" -lt "$(nw "$tmp/one/saliency_chr2.h5")" ] || die "--regions kept every window"
grep -q 'regions: .*r.bed' <(h5dump -a /config "$tmp/reg/saliency_chr2.h5") || die "--regions: not in the config attribute"
printf 'chrZ\t1\t100\n' > "$tmp/bad.bed"
"$HITWIN" saliency "${args[@]}" --regions "$tmp/bad.bed" -o "$tmp/badreg" > "$tmp/badreg.log" 2>&1 && die "--regions with an unknown chromosome succeeded"
grep -qx "hitwin: error: $tmp/bad.bed:1: chromosome 'chrZ' is not in the tile store" "$tmp/badreg.log" \
  || { cat "$tmp/badreg.log"; die "--regions with an unknown chromosome: not the expected line"; }
[ -e "$tmp/badreg" ] && die "--regions with an unknown chromosome left an output directory"

# condition pairs only
"$HITWIN" saliency "${args[@]}" --pairs condition -o "$tmp/cond" > /dev/null 2>&1 || die "--pairs condition"
h5ls -r "$tmp/cond/saliency.h5" | grep -q replicate && die "--pairs condition wrote replicate maps"
[ -f "$tmp/cond/replicate_features.bedgraph" ] && die "--pairs condition wrote a replicate track"

# features
"$HITWIN" features "$tmp/one/saliency.h5" -o "$tmp/feat" --quantile 0.99 --min-size 2 > "$tmp/feat.log" 2>&1 \
  || { cat "$tmp/feat.log"; die "features"; }
cat "$tmp/feat.log"
bed=$tmp/feat/features.bed
[ -f "$bed" ] && [ -f "$tmp/feat/features.h5" ] || die "features outputs missing"
n=$(grep -vc '^track\|^#' "$bed")
[ "$n" -gt 0 ] || die "no feature calls at quantile 0.99"
grep -v '^track\|^#' "$bed" | sort -k1,1 -k2,2n -c || die "features.bed is not sorted"
awk -F'\t' '!/^track|^#/ && (NF != 9 || ($6 != "+" && $6 != "-") || $3 <= $2 || $7 != $2 || $8 != $3 ||
             $4 !~ /^Name=condition_features_[0-9]+;sep_start=[0-9]+;sep_end=[0-9]+;mean=/) {bad++}
             END {exit bad > 0}' "$bed" || die "features.bed: a line that is not BED9 as documented"
"$HITWIN" features "$tmp/cond/saliency.h5" -o "$tmp/feat2" --map replicate_features > "$tmp/e.log" 2>&1 \
  && die "features on a missing map succeeded"
grep -c '^hitwin: error: ' "$tmp/e.log" | grep -qx 1 || die "features on a missing map: not one error line"
# registration of a planted single-contact difference, end to end
$mpi "$plant" "$tmp/plant.h5" 100 110 || die "saliency_plant: store"
$mpi "$HITWIN" saliency "$tmp/plant.h5" --checkpoint "$tmp/m.safetensors" --steps 5 -o "$tmp/plant" -q \
  > "$tmp/plant.log" 2>&1 || { cat "$tmp/plant.log"; die "saliency on the planted store"; }
"$plant" --check "$tmp/plant/saliency.h5" 10 105 || die "the planted contact is not at its exact strip bin"
[ $fail = 0 ] && echo "PASS"
exit $fail
