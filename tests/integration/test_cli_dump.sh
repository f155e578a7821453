#!/usr/bin/env bash
# `hitwin dump` and `hitwin info` against the reference tools' output on the
# shared data (fixtures: tests/fixtures/make_dump_fixtures.sh): raw counts
# byte-identical to `cooler dump --join` and to hic-straw; normalised values
# within a relative 1e-6 (float32 values); exact error lines.
set -u
B=${HITWIN:?run through ctest}
D=../shared/data
fail=0
check() { # name, command output file, expected file
  if ! diff -q "$2" "$3" > /dev/null; then echo "FAIL $1: output differs from $3"; diff "$2" "$3" | head -5; fail=1; fi
}
near() { # name, got, expected: same coordinates, values within rel 1e-6
  if ! paste "$2" "$3" | awk -F'\t' '
      { for (k = 1; k <= 6; k++) if ($k != $(k + 7)) { print "coordinates differ at line " NR; bad = 1; exit 1 }
        d = $7 - $14; if (d < 0) d = -d; t = $14 < 0 ? -$14 : $14
        if (d > 1e-6 * t + 1e-9) { print "line " NR ": " $7 " vs " $14; bad = 1; exit 1 } }
      END { exit bad }' || [ "$(wc -l < "$2")" != "$(wc -l < "$3")" ]; then
    echo "FAIL $1"; fail=1
  fi
}
expect_error() { # name, expected stderr line, command...
  local name=$1 want=$2; shift 2
  local got rc
  got=$("$@" 2>&1 > /dev/null); rc=$?
  if [ $rc -eq 0 ] || [ "$got" != "$want" ]; then echo "FAIL $name: rc $rc, got '$got'"; echo "  want '$want'"; fail=1; fi
}
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

$B dump $D/gm12878_raw_values.cool 1 > $t/a; check "cooler intra raw" $t/a tests/data/dump_gm12878_chr1.tsv
$B dump $D/gm12878_raw_values.cool 1:0-30,000,000 2:0-30000000 > $t/b
check "cooler inter raw" $t/b tests/data/dump_gm12878_chr1_chr2.tsv
$B dump $D/gm12878_raw_values.cool 2:0-30000000 chr1:0-30000000 > $t/b2   # chromosome order of the file
check "cooler inter swapped" $t/b2 tests/data/dump_gm12878_chr1_chr2.tsv
$B dump $D/straw_test.hic 1 > $t/c; check "hic intra raw" $t/c tests/data/dump_straw_1_NONE.tsv
$B dump $D/straw_test.hic chr1 --norm KR > $t/d; near "hic KR" $t/d tests/data/dump_straw_1_KR.tsv
$B dump $D/hic2cool_0.7.0_multi_res.mcool chr1:0-40000000 -r 1000000 -n KR > $t/e
near "hic2cool divisive KR" $t/e tests/data/dump_hic2cool_KR.tsv

$B info $D/straw_test.hic > $t/info
printf 'format\t.hic\nversion\t8\ngenome\thg19\nresolutions\t2500000\nnormalisations\tNONE,VC,VC_SQRT,KR,SCALE\nchromosomes\t25\nchrom\t1\t249250621\n' > $t/info_want
grep -v '^file' $t/info | head -7 > $t/info_got
check "info hic" $t/info_got $t/info_want
$B info $D/hic2cool_0.7.0_multi_res.mcool | grep -E '^(format|resolutions|normalisations|chromosomes)' > $t/info2
printf 'format\t.mcool\nresolutions\t1000000,2500000\nnormalisations\tNONE,KR,VC,VC_SQRT\nchromosomes\t25\n' > $t/info2_want
check "info mcool" $t/info2 $t/info2_want

expect_error "unknown chromosome" \
  "hitwin: error: $D/gm12878_raw_values.cool: no chromosome 'chr99' (file has: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, X, Y, MT)" \
  $B dump $D/gm12878_raw_values.cool chr99
expect_error "resolution needed" \
  "hitwin: error: $D/hic2cool_0.7.0_multi_res.mcool: several resolutions (1000000, 2500000): choose one with --resolution" \
  $B dump $D/hic2cool_0.7.0_multi_res.mcool chr1
expect_error "bad region" "hitwin: error: region 'chr1:5-2': coordinates outside 1 (length 249250621) or empty" \
  $B dump $D/straw_test.hic chr1:5-2
expect_error "missing file" "hitwin: error: /nonexistent.hic: no such file (the file to read)" \
  $B info /nonexistent.hic
expect_error "not a Hi-C file" "hitwin: error: README.md: not a Hi-C file (neither .hic nor HDF5 .cool/.mcool)" \
  $B info README.md
expect_error "unknown command" "hitwin: error: unknown command 'tiles' (hitwin --help lists them)" $B tiles

[ $fail -eq 0 ] && echo "all dump/info checks passed"
exit $fail
