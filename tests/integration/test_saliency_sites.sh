#!/usr/bin/env bash
# Feature calls at planted sites (docs/saliency.md, "What the calls find"): simulate
# configs/simulate-recipe.yaml (test chromosome chr2: a boundary loss at 6.75-9.79 Mb, a loop
# loss at 10.56-10.80 Mb, a domain weakening at 12.52-14.61 Mb, all strength 1) and its null
# (the same sites, no change), tile, train the default recipe for 15 epochs, run saliency on
# the test chromosome (condition pairs, every 2nd window, 100 steps) and call features on the
# condition feature strip (quantile 0.99, spans >= 5 bins). Checks:
#   - real: the strongest call overlaps a planted site (measured: all 11 calls lie in the
#     boundary-loss site);
#   - the share of calls overlapping a planted site is larger in the real run than in the null
#     (measured 22/24 against 15/50);
#   - the null calls at the sites no more often than elsewhere: its share of calls overlapping a
#     site is at most the share a call placed at random on chr2 would have (the sites' length,
#     each widened by the null's mean call length, over chr2's), plus two binomial sd
#     (measured 15/50 = 0.30 against about 0.37).
# Printed, not checked: which sites are called; the loop loss is not (its change is a few
# pixels, and the 15-epoch model's maps do not single it out).
# About 6 minutes on 2 cores: label slow.   usage: test_saliency_sites.sh   (env: HITWIN, MPIEXEC)
set -u
HITWIN=${HITWIN:?run through ctest}
mpi="${MPIEXEC:-mpiexec} -n 2 --oversubscribe"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/hw_sites_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
die() { echo "FAIL: $*" >&2; fail=1; }

pipeline() { # NAME [simulate flags]
  local n=$1
  shift
  $mpi "$HITWIN" simulate --config "$root/configs/simulate-recipe.yaml" --out "$tmp/$n" --quiet "$@" > /dev/null \
    || { echo "FAIL: $n: simulate"; exit 1; }
  $mpi "$HITWIN" tile "$tmp/$n/dataset.yaml" -o "$tmp/$n/tiles.h5" -q > /dev/null || { echo "FAIL: $n: tile"; exit 1; }
  $mpi "$HITWIN" train "$root/configs/train-slenet.yaml" --set tiles="$tmp/$n/tiles.h5" \
    --set output="$tmp/$n/train" --set epochs=15 --set batch_size=32 -q > "$tmp/$n.train.log" 2>&1 \
    || { echo "FAIL: $n: train"; cat "$tmp/$n.train.log"; exit 1; }
  $mpi "$HITWIN" saliency "$tmp/$n/tiles.h5" --checkpoint "$tmp/$n/train/best.safetensors" --split test \
    --pairs condition --every 2 -o "$tmp/$n/sal" -q || { echo "FAIL: $n: saliency"; exit 1; }
  "$HITWIN" features "$tmp/$n/sal/saliency.h5" -o "$tmp/$n/sal" --quantile 0.99 --min-size 5 \
    || { echo "FAIL: $n: features"; exit 1; }
}
pipeline real
pipeline null --null

# calls as "start end score" on chr2, and the planted sites of chr2
calls() { grep -v '^track\|^#' "$tmp/$1/sal/features.bed" | awk -F'\t' '$1 == "chr2" {print $2, $3, $5}'; }
sites=$(awk -F'\t' '!/^#/ && $1 == "chr2" {print $2, $3, $4}' "$tmp/real/truth.bed")
echo "planted sites on chr2:"; echo "$sites"
in_site() { # START END -> 0 when [START, END) overlaps a site
  echo "$sites" | awk -v s="$1" -v e="$2" '$1 < e && s < $2 {hit = 1} END {exit !hit}'
}
share() { # NAME -> "hits total"
  local h=0 t=0 s e sc
  while read -r s e sc; do
    t=$((t + 1))
    in_site "$s" "$e" && h=$((h + 1))
  done < <(calls "$1")
  echo "$h $t"
}
read -r rh rt < <(share real)
read -r nh nt < <(share null)
echo "calls overlapping a planted site: real $rh of $rt, null $nh of $nt"
top=$(calls real | sort -k3,3nr | head -1)
echo "strongest real call: chr2 $top"
[ -n "$top" ] || die "no call in the real run"
[ -n "$top" ] && { in_site $top || die "the strongest real call ($top) overlaps no planted site"; }
for k in boundary_loss loop_loss domain_weakening; do
  read -r s e < <(echo "$sites" | awk -v k="$k" '$3 == k {print $1, $2; exit}')
  n=$(calls real | awk -v s="$s" -v e="$e" '$1 < e && s < $2' | wc -l)
  echo "  $k $s-$e: $n real call(s)"
done
awk -v a="$rh" -v b="$rt" -v c="$nh" -v d="$nt" 'BEGIN {exit !(b > 0 && (d == 0 || a / b > c / d))}' \
  || die "the real run's share of calls at planted sites ($rh/$rt) is not above the null's ($nh/$nt)"
chr2_len=$(awk '/name: "chr2"/ {gsub(/[^0-9]/, "", $NF); print $NF}' "$tmp/real/simulate.yaml")
mean_call=$(calls null | awk '{n++; s += $2 - $1} END {print n ? s / n : 0}')
p0=$(echo "$sites" | awk -v L="$chr2_len" -v c="$mean_call" '{w += $2 - $1 + c} END {p = w / L; print (p > 1 ? 1 : p)}')
echo "null: $nh of $nt calls at sites; a call placed at random would be at a site with p = $p0 (chr2 $chr2_len bp)"
awk -v h="$nh" -v t="$nt" -v p="$p0" 'BEGIN {exit !(t == 0 || h / t <= p + 2 * sqrt(p * (1 - p) / t))}' \
  || die "the null calls at the planted sites more often than elsewhere ($nh/$nt against p = $p0)"
[ $fail = 0 ] && echo "PASS"
exit $fail
