# The cases of tests/bad_inputs/run.sh, one line each:
#   case_ NAME EXIT_STATUS 'EXPECTED MESSAGE (bash glob)' NP 'SETUP (shell, in %W%)' -- ARGS...
# $F holds the fixtures (read only); %W% stands for the case's own directory (its cwd),
# replaced when the case runs (cases run in parallel, each in its own directory).
# shellcheck shell=bash disable=SC2016,SC2154
D=$F/sim/dataset.yaml
S1=$F/sim/control_R1.mcool
TS=$F/t32.h5
CK=$F/run/best.safetensors
DI=$F/dist/best_distances.h5
TR=$F/sim/truth.bed
TY=$F/train.yaml

# ---- tile (2 ranks) -----------------------------------------------------------------
case_ tile_unknown_option 2 "tile: unknown option '--bogus' (tile --help lists them)" 2 '' -- tile "$D" --bogus
case_ tile_unknown_short 2 "tile: unknown option '-x' (tile --help lists them)" 2 '' -- tile "$D" -x
case_ tile_o_without_value 2 "tile: option '-o' needs a value" 2 '' -- tile "$D" -o
case_ tile_output_without_value 2 "tile: option '--output' needs a value" 2 '' -- tile "$D" --output
case_ tile_set_without_value 2 "tile: option '--set' needs a value" 2 '' -- tile "$D" -q --set
case_ tile_no_config 2 "tile: the dataset config (CONFIG.yaml) is missing" 2 '' -- tile
case_ tile_two_configs 2 "tile: one CONFIG.yaml expected, got '$D' too" 2 '' -- tile "$D" "$D"
case_ tile_config_missing 1 "nope.yaml: no such file (the dataset config)" 2 '' -- tile nope.yaml
case_ tile_config_is_dir 1 "$F/sim: is a directory, not a file (the dataset config)" 2 '' -- tile "$F/sim"
case_ tile_config_empty 1 "%W%/cfg.yaml: empty document, expected dataset config as a mapping" 2 ': > cfg.yaml' -- tile "%W%/cfg.yaml"
case_ tile_config_binary 1 "%W%/cfg.yaml:1: YAML syntax error: control characters are not allowed" 2 "printf 'key: \\001\\002\\n' > cfg.yaml" -- tile "%W%/cfg.yaml"
case_ tile_config_yaml_syntax 1 "%W%/cfg.yaml:2: YAML syntax error: did not find expected ',' or ']'" 2 'printf "name: [unclosed\nresolution: 10000\n" > cfg.yaml' -- tile "%W%/cfg.yaml"
case_ tile_config_unknown_key 1 "%W%/cfg.yaml:5: unknown key 'colour' in dataset config (expected one of: *)" 2 'dataset "colour: blue\n"' -- tile "%W%/cfg.yaml"
case_ tile_output_is_own_sample 1 "$S1: the output ('output' in %W%/cfg.yaml) is an input of this run (sample control_R1 in %W%/cfg.yaml): choose another output" 2 \
  'dataset "output: $S1\n"' -- tile "%W%/cfg.yaml"
case_ tile_o_is_sample 1 "$F/sim/treatment_R2.mcool: the output (-o) is an input of this run (sample treatment_R2 in $D): choose another output" 2 '' -- tile "$D" -o "$F/sim/treatment_R2.mcool"
case_ tile_o_is_config 1 "$D: the output (-o) is an input of this run (the dataset config): choose another output" 2 '' -- tile "$D" -o "$D"
case_ tile_o_symlink_to_sample 1 "link.h5: the output (-o) is an input of this run (sample control_R1 in $D): choose another output" 2 'ln -s "$S1" link.h5' -- tile "$D" -o link.h5
case_ tile_o_hardlink_to_sample 1 "hard.h5: the output (-o) is an input of this run (sample control_R1 in $D): choose another output" 2 'ln "$S1" hard.h5' -- tile "$D" -o hard.h5
case_ tile_o_empty 1 "-o: empty path (name the file to write)" 2 '' -- tile "$D" -o ''
case_ tile_output_equals_empty 1 "-o: empty path (name the file to write)" 2 '' -- tile "$D" --output=
case_ tile_o_is_directory 1 "sub: is a directory; -o names the file to write" 2 'mkdir sub' -- tile "$D" -o sub
case_ tile_o_in_missing_dir 1 "nodir/x.h5: directory nodir does not exist (-o)" 2 '' -- tile "$D" -o nodir/x.h5
if [ "$(id -u)" != 0 ]; then # root writes anywhere
  case_ tile_o_in_readonly_dir 1 "ro/x.h5: directory ro is not writable (-o)" 2 'mkdir ro && chmod 555 ro' -- tile "$D" -o ro/x.h5
fi
case_ tile_exclude_everything 1 "$D: no chromosome left to tile: split.exclude excludes all 3 chromosomes of $S1" 2 '' -- tile "$D" -o x.h5 --set split.exclude=chr1,chr2,chr18
case_ tile_no_window_fits 1 "$D: no window fits: every chromosome is shorter than tile_size x resolution (4096 bins x 10000 bp); lower tile_size or resolution" 2 '' -- tile "$D" -o x.h5 --set tile_size=4096 --set stride=512
case_ tile_resolution_wraps 1 "--set resolution: 4294977296 is out of range [1, 100000000]" 2 '' -- tile "$D" -o x.h5 --set resolution=4294977296
case_ tile_resolution_absent 1 "$F/sim/control_R1.mcool: resolution 5000 bp not in file (has 10000, 20000, 50000, 100000); all samples must offer the dataset's resolution" 2 '' -- tile "$D" -o x.h5 --set resolution=5000
case_ tile_norm_absent 1 "$F/sim/control_R1.mcool: normalisation KR not available at 10000 bp (has NONE, weight)" 2 '' -- tile "$D" -o x.h5 --set normalisation=KR
case_ tile_set_not_assignment 1 "--set 'tile_size': expected key=value" 2 '' -- tile "$D" -o x.h5 --set tile_size
case_ tile_set_unknown_key 1 "--set: unknown key 'colour' (expected one of: *)" 2 '' -- tile "$D" -o x.h5 --set colour=blue
case_ tile_set_not_integer 1 "--set stride: 'abc' is not an integer" 2 '' -- tile "$D" -o x.h5 --set stride=abc
case_ tile_stride_larger_than_tile 1 "$D: stride 64 must be between 1 and tile_size 32" 2 '' -- tile "$D" -o x.h5 --set tile_size=32 --set stride=64
case_ tile_split_unknown_chrom 1 "split.test: $S1: no chromosome 'chrZ' (file has: chr1, chr2, chr18)" 2 '' -- tile "$D" -o x.h5 --set split.test=chrZ
case_ tile_condition_twice 1 "%W%/cfg.yaml: condition 'control' is listed twice in 'conditions'" 2 \
  'CONDS="[control, control, treatment]" dataset ""' -- tile "%W%/cfg.yaml" -o x.h5
case_ tile_condition_unknown 1 "%W%/cfg.yaml: sample 'x_R1' has condition 'x', which is not in conditions" 2 \
  'dataset "" "$SAMPLES
  - {name: x_R1, path: $S1, condition: x, replicate: R1}"' -- tile "%W%/cfg.yaml" -o x.h5
case_ tile_one_replicate 1 "%W%/cfg.yaml: condition 'control' has 1 replicate, at least 2 needed" 2 \
  'dataset "" "$(printf "%s\n" "$SAMPLES" | sed 2d)"' -- tile "%W%/cfg.yaml" -o x.h5
case_ tile_sample_missing 1 "%W%/nope.mcool: no such file (sample control_R1 in %W%/cfg.yaml)" 2 \
  'dataset "" "$(printf "%s\n" "$SAMPLES" | sed "1s|path: [^,]*|path: %W%/nope.mcool|")"' -- tile "%W%/cfg.yaml" -o x.h5
case_ tile_sample_is_dir 1 "$F/adir: is a directory, not a file (sample control_R1 in %W%/cfg.yaml)" 2 \
  'dataset "" "$(printf "%s\n" "$SAMPLES" | sed "1s|path: [^,]*|path: $F/adir|")"' -- tile "%W%/cfg.yaml" -o x.h5
case_ tile_sample_empty 1 "$F/empty.mcool: empty file, not a Hi-C file" 2 \
  'dataset "" "$(printf "%s\n" "$SAMPLES" | sed "1s|path: [^,]*|path: $F/empty.mcool|")"' -- tile "%W%/cfg.yaml" -o x.h5
case_ tile_sample_truncated 1 "$F/trunc.mcool: cannot open as HDF5 (corrupt or truncated file)" 2 \
  'dataset "" "$(printf "%s\n" "$SAMPLES" | sed "1s|path: [^,]*|path: $F/trunc.mcool|")"' -- tile "%W%/cfg.yaml" -o x.h5
case_ tile_sample_garbage 1 "$F/garbage.mcool: not a Hi-C file (neither .hic nor HDF5 .cool/.mcool)" 2 \
  'dataset "" "$(printf "%s\n" "$SAMPLES" | sed "1s|path: [^,]*|path: $F/garbage.mcool|")"' -- tile "%W%/cfg.yaml" -o x.h5
case_ tile_sample_is_tile_store 1 "$F/t32.h5: not a cooler (no /resolutions group and no pixels/bin1_id)" 2 \
  'dataset "" "$(printf "%s\n" "$SAMPLES" | sed "1s|path: [^,]*|path: $TS|")"' -- tile "%W%/cfg.yaml" -o x.h5

# ---- train (2 ranks) ----------------------------------------------------------------
case_ train_unknown_option 2 "train: unknown option '--bogus' (train --help lists them)" 2 '' -- train "$TY" --bogus
case_ train_set_without_value 2 "train: option '--set' needs a value" 2 '' -- train "$TY" --set
case_ train_no_config 2 "train: the train config (CONFIG.yaml) is missing" 2 '' -- train
case_ train_stop_after_wraps 2 "--stop-after-steps: 99999999999999999999 is out of range [1, 9223372036854775807]" 2 '' -- train "$TY" --stop-after-steps 99999999999999999999
case_ train_stop_after_zero 2 "--stop-after-steps: 0 is out of range [1, 9223372036854775807]" 2 '' -- train "$TY" --stop-after-steps 0
case_ train_stop_after_word 2 "--stop-after-steps: 'ten' is not an integer" 2 '' -- train "$TY" --stop-after-steps ten
case_ train_device_unknown 2 "--device tpu: expected cpu, cuda or auto" 2 '' -- train "$TY" --device tpu
case_ train_config_missing 1 "nope.yaml: no such file (the train config)" 2 '' -- train nope.yaml
case_ train_config_is_dir 1 "$F/run: is a directory, not a file (the train config)" 2 '' -- train "$F/run"
case_ train_config_yaml_syntax 1 "%W%/t.yaml:2: YAML syntax error: did not find expected ',' or ']'" 2 'printf "tiles: [x\n" > t.yaml' -- train "%W%/t.yaml"
case_ train_config_unknown_key 1 "%W%/t.yaml:2: unknown key 'colour' in train config (expected one of: *)" 2 'printf "tiles: $TS\ncolour: blue\noutput: o\n" > t.yaml' -- train "%W%/t.yaml"
case_ train_tiles_missing 1 "%W%/none.h5: no such file ('tiles' in $TY)" 2 '' -- train "$TY" --set tiles="%W%/none.h5" --set output="%W%/o"
case_ train_tiles_is_dir 1 "$F/adir: is a directory, not a file ('tiles' in $TY)" 2 '' -- train "$TY" --set tiles="$F/adir" --set output="%W%/o"
case_ train_tiles_is_mcool 1 "$F/sim/control_R1.mcool: not a hitwin tile store (attribute format is not 'hitwin-tiles')" 2 '' -- train "$TY" --set tiles="$S1" --set output="%W%/o"
case_ train_tiles_garbage 1 "$F/garbage.mcool: not an HDF5 file (or truncated)" 2 '' -- train "$TY" --set tiles="$F/garbage.mcool" --set output="%W%/o"
case_ train_output_is_store 1 "$TS: is not a directory ('output' in $TY)" 2 '' -- train "$TY" --set output="$TS"
case_ train_output_holds_config 1 "%W%/o/metrics.jsonl: the output ('output' in %W%/o/metrics.jsonl) is an input of this run (the train config): choose another output" 2 \
  'mkdir o && printf "tiles: $TS\nbatch_size: 16\nepochs: 1\noutput: %W%/o\n" > o/metrics.jsonl' -- train "%W%/o/metrics.jsonl"
case_ train_existing_run 1 "$F/run/state.bin: a run is already there (pass --resume to continue it, or choose another output)" 2 '' -- train "$TY" -q
case_ train_batch_zero 1 "--set batch_size: 0 is out of range [1, 1048576]" 2 '' -- train "$TY" --set batch_size=0 --set output="%W%/o"
case_ train_batch_wraps 1 "--set batch_size: 4294967312 is out of range [1, 1048576]" 2 '' -- train "$TY" --set batch_size=4294967312 --set output="%W%/o"
case_ train_lr_nan 1 "--set learning_rate: 'nan' is not a number" 2 '' -- train "$TY" --set learning_rate=nan --set output="%W%/o"
case_ train_epochs_negative 1 "--set epochs: -1 is out of range [1, 1000000]" 2 '' -- train "$TY" --set epochs=-1 --set output="%W%/o"
case_ train_loss_unknown 1 "--set loss: must be contrastive, triplet or supcon, got 'hinge'" 2 '' -- train "$TY" --set loss=hinge --set output="%W%/o"
case_ train_set_unknown_key 1 "--set: unknown key 'colour' (expected one of: *)" 2 '' -- train "$TY" --set colour=blue --set output="%W%/o"

# ---- distance (2 ranks) ---------------------------------------------------------------
case_ distance_unknown_option 2 "distance: unknown option '--bogus' (distance --help lists them)" 2 '' -- distance "$TS" -c "$CK" --bogus
case_ distance_c_without_value 2 "distance: option '-c' needs a value" 2 '' -- distance "$TS" -c
case_ distance_no_checkpoint 2 "give one of --checkpoint or --checkpoint-dir" 2 '' -- distance "$TS"
case_ distance_both_checkpoints 2 "give one of --checkpoint or --checkpoint-dir" 2 '' -- distance "$TS" -c "$CK" -d "$F/run"
case_ distance_no_store 2 "distance: the tile store (STORE) is missing" 2 '' -- distance -c "$CK"
case_ distance_batch_wraps 2 "--batch: 4294967396 is out of range [1, 100000]" 2 '' -- distance "$TS" -c "$CK" --batch 4294967396
case_ distance_batch_zero 2 "--batch: 0 is out of range [1, 100000]" 2 '' -- distance "$TS" -c "$CK" -b 0
case_ distance_batch_word 2 "--batch: 'many' is not an integer" 2 '' -- distance "$TS" -c "$CK" -b many
case_ distance_split_unknown 2 "--split tset: expected all, train, validation or test" 2 '' -- distance "$TS" -c "$CK" --split tset
case_ distance_device_unknown 2 "--device tpu: expected cpu, cuda or auto" 2 '' -- distance "$TS" -c "$CK" --device tpu
case_ distance_store_missing 1 "nope.h5: no such file (the tile store)" 2 '' -- distance nope.h5 -c "$CK" -o out
case_ distance_store_is_dir 1 "$F/adir: is a directory, not a file (the tile store)" 2 '' -- distance "$F/adir" -c "$CK" -o out
case_ distance_store_is_mcool 1 "$F/sim/control_R1.mcool: not a hitwin tile store (attribute format is not 'hitwin-tiles')" 2 '' -- distance "$S1" -c "$CK" -o out
case_ distance_store_truncated 1 "$F/trunc.mcool: not an HDF5 file (or truncated)" 2 '' -- distance "$F/trunc.mcool" -c "$CK" -o out
case_ distance_checkpoint_missing 1 "%W%/nope.safetensors: no such file (--checkpoint)" 2 '' -- distance "$TS" -c "%W%/nope.safetensors" -o out
case_ distance_checkpoint_is_dir 1 "$F/adir: is a directory, not a file (--checkpoint)" 2 '' -- distance "$TS" -c "$F/adir" -o out
case_ distance_checkpoint_garbage 1 "$F/garbage.safetensors: not a safetensors file (no 8-byte header length followed by a JSON header)" 2 '' -- distance "$TS" -c "$F/garbage.safetensors" -o out
case_ distance_checkpoint_truncated 1 "$F/trunc.safetensors: truncated safetensors file (the header needs 1384 bytes, the file has 100)" 2 '' -- distance "$TS" -c "$F/trunc.safetensors" -o out
case_ distance_checkpoint_is_store 1 "$F/t32.h5: not a safetensors file (no 8-byte header length followed by a JSON header)" 2 '' -- distance "$TS" -c "$TS" -o out
case_ distance_checkpoint_dir_empty 1 "$F/emptydir: no backbone checkpoints (*.safetensors holding features.0.weight) in the directory" 2 '' -- distance "$TS" -d "$F/emptydir" -o out
case_ distance_checkpoint_dir_missing 1 "%W%/nodir: cannot open checkpoint directory" 2 '' -- distance "$TS" -d "%W%/nodir" -o out
case_ distance_o_is_file 1 "$TS: is not a directory (-o)" 2 '' -- distance "$TS" -c "$CK" -o "$TS"
case_ distance_o_empty 1 "-o: empty path (name the directory to write)" 2 '' -- distance "$TS" -c "$CK" -o ''
case_ distance_output_overwrites_store 1 "%W%/o/best_distances.h5: the output (-o) is an input of this run (the tile store): choose another output" 2 \
  'mkdir o && cp "$TS" o/best_distances.h5' -- distance "%W%/o/best_distances.h5" -c "$CK" -o "%W%/o"
case_ distance_output_link_to_store 1 "%W%/o/best_distances.h5: the output (-o) is an input of this run (the tile store): choose another output" 2 \
  'mkdir o && ln -s "$TS" o/best_distances.h5' -- distance "$TS" -c "$CK" -o "%W%/o"
case_ distance_split_without_windows 1 "$F/notest.h5: no windows in split 'test' with at least two samples passing QC" 2 '' -- distance "$F/notest.h5" -c "$CK" -o out --split test

# ---- evaluate (1 process) -------------------------------------------------------------
case_ evaluate_unknown_option 2 "evaluate: unknown option '--bogus' (evaluate --help lists them)" 1 '' -- evaluate "$DI" --truth "$TR" --bogus
case_ evaluate_no_truth 2 "--truth is required" 1 '' -- evaluate "$DI"
case_ evaluate_no_distances 2 "evaluate: the distance file (DISTANCES.h5) is missing" 1 '' -- evaluate --truth "$TR"
case_ evaluate_truth_without_value 2 "evaluate: option '--truth' needs a value" 1 '' -- evaluate "$DI" --truth
case_ evaluate_min_magnitude_word 2 "--min-magnitude: 'half' is not a number" 1 '' -- evaluate "$DI" --truth "$TR" -m half
case_ evaluate_min_magnitude_inf 2 "--min-magnitude: inf is out of range [-1e+300, 1e+300]" 1 '' -- evaluate "$DI" --truth "$TR" -m inf
case_ evaluate_distances_missing 1 "nope.h5: no such file (the distance file)" 1 '' -- evaluate nope.h5 --truth "$TR"
case_ evaluate_distances_is_dir 1 "$F/adir: is a directory, not a file (the distance file)" 1 '' -- evaluate "$F/adir" --truth "$TR"
case_ evaluate_distances_is_store 1 "$TS: not a hitwin distance file (attribute format is not 'hitwin-distances')" 1 '' -- evaluate "$TS" --truth "$TR"
case_ evaluate_distances_garbage 1 "$F/garbage.mcool: not an HDF5 file (or truncated)" 1 '' -- evaluate "$F/garbage.mcool" --truth "$TR"
case_ evaluate_truth_missing 1 "nope.bed: no such file (--truth)" 1 '' -- evaluate "$DI" --truth nope.bed
case_ evaluate_truth_is_dir 1 "$F/adir: is a directory, not a file (--truth)" 1 '' -- evaluate "$DI" --truth "$F/adir"
case_ evaluate_truth_words 1 "$F/words.bed:1: start 'a' is not an integer" 1 '' -- evaluate "$DI" --truth "$F/words.bed"
case_ evaluate_truth_empty 1 "$F/empty.bed: the truth holds no interval" 1 '' -- evaluate "$DI" --truth "$F/empty.bed"
case_ evaluate_truth_other_genome 1 "$F/other_genome.bed: no interval overlaps a window of $DI (truth chromosome chrZ, windows on chr1 ...): check the chromosome names and the genome" 1 '' -- evaluate "$DI" --truth "$F/other_genome.bed"
case_ evaluate_json_is_distances 1 "$DI: the output (--json) is an input of this run (the distance file): choose another output" 1 '' -- evaluate "$DI" --truth "$TR" --json "$DI"
case_ evaluate_json_is_truth 1 "$TR: the output (--json) is an input of this run (--truth): choose another output" 1 '' -- evaluate "$DI" --truth "$TR" --json "$TR"
case_ evaluate_json_is_dir 1 "sub: is a directory; --json names the file to write" 1 'mkdir sub' -- evaluate "$DI" --truth "$TR" --json sub
case_ evaluate_json_missing_dir 1 "nodir/e.json: directory nodir does not exist (--json)" 1 '' -- evaluate "$DI" --truth "$TR" --json nodir/e.json
case_ evaluate_json_empty 1 "--json: empty path (name the file to write)" 1 '' -- evaluate "$DI" --truth "$TR" --json ''

# ---- info (1 process) -----------------------------------------------------------------
case_ info_no_file 2 "info: FILE is missing" 1 '' -- info
case_ info_two_files 2 "info: one FILE expected, got '$S1' too" 1 '' -- info "$S1" "$S1"
case_ info_unknown_option 2 "info: unknown option '--bogus'" 1 '' -- info --bogus
case_ info_missing 1 "nope.mcool: no such file (the file to read)" 1 '' -- info nope.mcool
case_ info_is_dir 1 "$F/adir: is a directory, not a file (the file to read)" 1 '' -- info "$F/adir"
case_ info_empty 1 "$F/empty.mcool: empty file, not a Hi-C file" 1 '' -- info "$F/empty.mcool"
case_ info_garbage 1 "$F/garbage.mcool: not a Hi-C file (neither .hic nor HDF5 .cool/.mcool)" 1 '' -- info "$F/garbage.mcool"
case_ info_truncated_mcool 1 "$F/trunc.mcool: cannot open as HDF5 (corrupt or truncated file)" 1 '' -- info "$F/trunc.mcool"
case_ info_tile_store 1 "$F/t32.h5: not a cooler (no /resolutions group and no pixels/bin1_id)" 1 '' -- info "$TS"
if [ -f "$F/trunc.hic" ]; then
  case_ info_truncated_hic 1 "$F/trunc.hic: truncated file (needed 4 bytes at offset 715269, file has 5000)" 1 '' -- info "$F/trunc.hic"
fi

# ---- dump (1 process) -----------------------------------------------------------------
case_ dump_no_region 2 "dump: REGION is missing" 1 '' -- dump "$S1"
case_ dump_no_args 2 "dump: FILE and REGION are missing" 1 '' -- dump
case_ dump_too_many 2 "dump: at most FILE REGION REGION2, got 'chr18' too" 1 '' -- dump "$S1" chr1 chr2 chr18
case_ dump_resolution_wraps 2 "--resolution: 4294977296 is out of range [1, 2147483647]" 1 '' -- dump "$S1" chr1 --resolution 4294977296
case_ dump_resolution_zero 2 "--resolution: 0 is out of range [1, 2147483647]" 1 '' -- dump "$S1" chr1 -r 0
case_ dump_resolution_word 2 "--resolution: '10kb' is not an integer" 1 '' -- dump "$S1" chr1 -r 10kb
case_ dump_resolution_without_value 2 "dump: option '--resolution' needs a value" 1 '' -- dump "$S1" chr1 --resolution
case_ dump_type_unknown 2 "--type: must be observed or oe, got 'raw'" 1 '' -- dump "$S1" chr1 -r 10000 --type raw
case_ dump_unknown_option 2 "dump: unknown option '--bogus' (dump --help lists them)" 1 '' -- dump "$S1" chr1 --bogus
case_ dump_missing 1 "nope.mcool: no such file (the file to read)" 1 '' -- dump nope.mcool chr1
case_ dump_is_dir 1 "$F/adir: is a directory, not a file (the file to read)" 1 '' -- dump "$F/adir" chr1
case_ dump_unknown_chrom 1 "$S1: no chromosome 'chrZ' (file has: chr1, chr2, chr18)" 1 '' -- dump "$S1" chrZ -r 10000
case_ dump_reversed_region 1 "region 'chr1:5000-1000': coordinates outside chr1 (length 24000000) or empty" 1 '' -- dump "$S1" chr1:5000-1000 -r 10000
case_ dump_region_syntax 1 "region 'chr1:abc': expected CHROM:START-END" 1 '' -- dump "$S1" chr1:abc -r 10000
case_ dump_resolution_absent 1 "$F/sim/control_R1.mcool: resolution 12345 bp not in file (has 10000, 20000, 50000, 100000)" 1 '' -- dump "$S1" chr1 -r 12345
case_ dump_truncated 1 "$F/trunc.mcool: cannot open as HDF5 (corrupt or truncated file)" 1 '' -- dump "$F/trunc.mcool" chr1
case_ dump_flipped_bytes 1 "$F/flipped.mcool: cannot open as HDF5 (corrupt or truncated file)" 1 '' -- dump "$F/flipped.mcool" chr1 -r 10000
STDOUT_TO=%W%/same.mcool
case_ dump_stdout_is_input 1 "%W%/same.mcool: standard output is this file: redirect the output elsewhere" 1 'cp "$S1" same.mcool' -- dump "%W%/same.mcool" chr1 -r 10000
STDOUT_TO=""

# a full disk: stdout on /dev/full, a file size limit of 0 for --json
STDOUT_TO=/dev/full
case_ dump_disk_full 1 "standard output: write failed (No space left on device): the dump is incomplete" 1 '' -- dump "$S1" chr1 -r 10000
case_ info_disk_full 1 "standard output: write failed (No space left on device)" 1 '' -- info "$S1"
STDOUT_TO=""
case_ evaluate_json_disk_full 1 "e.json: write failed" 1 '' -- evaluate "$DI" --truth "$TR" --json e.json --ulimit-f-0

# a file size limit on the ranks of the MPI stages (run.sh sets it inside mpiexec), at
# each point where a writer can meet it: nothing left, one line, no crash at MPI_Finalize
case_ tile_file_size_limit_create 1 "x.h5: cannot create the tile store (directory missing or not writable, disk full or a file size limit?)" 2 '' -- tile "$D" -o x.h5 -q --ulimit-f-0
case_ tile_file_size_limit_dataset 1 "x.h5: cannot create the tile store (dataset /tiles: disk full or a file size limit?)" 2 '' -- tile "$D" -o x.h5 -q --set tile_size=32 --set stride=32 --ulimit-f-10
case_ tile_file_size_limit_write 1 "x.h5: cannot write tiles (disk full or file system error?)" 2 '' -- tile "$D" -o x.h5 -q --set tile_size=32 --set stride=32 --ulimit-f-200
case_ distance_file_size_limit_create 1 "out/best_distances.h5: cannot create (directory not writable, disk full or a file size limit?)" 2 '' -- distance "$TS" -c "$CK" -o out -q --ulimit-f-0
case_ distance_file_size_limit_write 1 "out/best_distances.h5: writing the distance file failed" 2 '' -- distance "$TS" -c "$CK" -o out -q --ulimit-f-50
case_ train_file_size_limit_checkpoint 1 "%W%/o/best.safetensors: write failed: File too large" 2 '' -- train "$TY" --set output="%W%/o" -q --ulimit-f-0
case_ train_file_size_limit_state 1 "%W%/o/state.bin: cannot write the training state (File too large)" 2 '' -- train "$TY" --set output="%W%/o" -q --ulimit-f-500
# a full disk: a 128 KiB tmpfs (where this user may mount one; run.sh unmounts them)
if [ "$CAN_MOUNT" = 1 ]; then
  MNT='mkdir full && mount -t tmpfs -o size=128k tmpfs full'
  case_ tile_disk_full 1 "full/x.h5: cannot write tiles (disk full or file system error?)" 2 "$MNT" -- tile "$D" -o full/x.h5 -q --set tile_size=32 --set stride=32
  case_ distance_disk_full 1 "full/out/best_distances.h5: writing the distance file failed" 2 "$MNT" -- distance "$TS" -c "$CK" -o full/out -q
  case_ train_disk_full 1 "%W%/full/o/best.safetensors: write failed: No space left on device" 2 "$MNT" -- train "$TY" --set output="%W%/full/o" -q
fi

# ---- simulate (2 ranks) ---------------------------------------------------------------
case_ simulate_unknown_option 2 "simulate: unknown argument '--bogus'" 2 '' -- simulate --bogus
case_ simulate_preset_unknown 1 "--preset: unknown genome preset 'rat' (expected small or mouse)" 2 '' -- simulate --preset rat --out o
case_ simulate_preset_without_value 1 "--preset needs a value (small or mouse)" 2 '' -- simulate --out o --preset
case_ simulate_seed_negative 1 "--seed must be a non-negative integer, got '-3'" 2 '' -- simulate --seed -3 --out o
case_ simulate_seed_wraps 1 "--seed must be a non-negative integer, got '99999999999999999999999'" 2 '' -- simulate --seed 99999999999999999999999 --out o
case_ simulate_out_empty 1 "--out needs a directory" 2 '' -- simulate --out ''
case_ simulate_out_is_file 1 "$TS: is not a directory (--out)" 2 '' -- simulate --out "$TS"
case_ simulate_config_missing 1 "nope.yaml: no such file (--config)" 2 '' -- simulate --config nope.yaml --out o
case_ simulate_config_is_dir 1 "$F/adir: is a directory, not a file (--config)" 2 '' -- simulate --config "$F/adir" --out o
case_ simulate_config_in_out 1 "%W%/o/simulate.yaml: the output (--out) is an input of this run (--config): choose another output" 2 \
  'mkdir o && cp "$F/sim/simulate.yaml" o/simulate.yaml' -- simulate --config "%W%/o/simulate.yaml" --out "%W%/o"
case_ simulate_config_yaml_syntax 1 "%W%/s.yaml:2: YAML syntax error: did not find expected ',' or ']'" 2 'printf "seed: [1\n" > s.yaml' -- simulate --config "%W%/s.yaml" --out o
case_ simulate_config_unknown_key 1 "%W%/s.yaml:1: unknown key 'colour' in the simulate config (expected one of: *)" 2 'printf "colour: blue\n" > s.yaml' -- simulate --config "%W%/s.yaml" --out o
case_ simulate_config_resolution_wraps 1 "%W%/s.yaml:1: 'resolution' in the simulate config = 4294977296 is out of range [100, 10000000]" 2 'printf "resolution: 4294977296\n" > s.yaml' -- simulate --config "%W%/s.yaml" --out o

# ---- the command itself ------------------------------------------------------------------
case_ bare_hitwin 2 "a COMMAND is missing (hitwin --help lists them)" 1 '' --
case_ unknown_command 2 "unknown command 'tiles' (hitwin --help lists them)" 1 '' -- tiles "$D"

# ---- saliency (2 ranks) and features ------------------------------------------------------
case_ saliency_steps_zero 2 "--steps: 0 is out of range [1, 100000]" 2 '' -- saliency "$TS" -c "$CK" -o out --steps 0
case_ saliency_no_output 2 "saliency: -o DIR is missing" 2 '' -- saliency "$TS" -c "$CK"
case_ saliency_no_checkpoint 2 "saliency: --checkpoint is missing" 2 '' -- saliency "$TS" -o out
case_ saliency_pairs_unknown 2 "--pairs some: expected condition, replicate or all" 2 '' -- saliency "$TS" -c "$CK" -o out --pairs some
case_ saliency_device_unknown 2 "--device tpu: expected cpu, cuda or auto" 2 '' -- saliency "$TS" -c "$CK" -o out --device tpu
case_ saliency_rule_unknown 2 "--rule simpson: expected reference or midpoint" 2 '' -- saliency "$TS" -c "$CK" -o out --rule simpson
case_ saliency_head_checkpoint 1 "$F/run/best_nn.safetensors: not a backbone checkpoint (no features.2.weight / linear.1.weight of SLeNet, no stem.0.0.weight of MaxViT); saliency supports SLeNet, SMaxViT and SMaxViTMulti" 2 '' -- saliency "$TS" -c "$F/run/best_nn.safetensors" -o out
case_ saliency_split_without_windows 1 "$F/notest.h5: no windows in split 'test' with a pair of samples passing QC" 2 '' -- saliency "$F/notest.h5" -c "$CK" -o out --split test
case_ saliency_chrom_unknown 1 "--chrom chrZ: no such chromosome in $TS" 2 '' -- saliency "$TS" -c "$CK" -o out --chrom chrZ
case_ saliency_regions_missing 1 "nope.bed: no such file (--regions)" 2 '' -- saliency "$TS" -c "$CK" -o out --regions nope.bed
case_ saliency_regions_unknown_chrom 1 "%W%/r.bed:2: chromosome 'chrZ' is not in the tile store" 2 "printf 'chr1\\t0\\t100\\nchrZ\\t1\\t100\\n' > r.bed" -- saliency "$TS" -c "$CK" -o out --regions "%W%/r.bed"
case_ saliency_regions_binary 1 "%W%/r.bed:1: expected chrom, start and end" 2 "printf '\\001\\002\\377' > r.bed" -- saliency "$TS" -c "$CK" -o out --regions "%W%/r.bed"
case_ saliency_regions_no_window 1 "$TS: no windows in split 'all' overlapping a region of %W%/r.bed with a pair of samples passing QC" 2 "printf 'chr1\\t900000000\\t900000100\\n' > r.bed" -- saliency "$TS" -c "$CK" -o out --regions "%W%/r.bed"
case_ saliency_store_is_mcool 1 "$F/sim/control_R1.mcool: not a hitwin tile store (attribute format is not 'hitwin-tiles')" 2 '' -- saliency "$S1" -c "$CK" -o out
case_ features_not_saliency 1 "$TS: not a hitwin saliency file (format hitwin-saliency)" 1 '' -- features "$TS" -o out
case_ features_quantile_out_of_range 2 "--quantile 2: expected a number in (0.5, 1)" 1 '' -- features "$TS" -o out --quantile 2
case_ features_no_output 2 "features: -o DIR is missing" 1 '' -- features "$TS"
case_ features_missing_file 1 "nope.h5: no such file (the saliency file)" 1 '' -- features nope.h5 -o out
