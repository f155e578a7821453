# hitwin train (docs/train.md): pairs, augmentation, config, state file (unit);
# replicas and 1 vs 2 ranks in process (mpi); the CLI end to end: resume after a
# kill, bad input (integration). `ctest -R train`, about a minute on 2 cores.

hw_test(test_train_pairs SOURCES unit/test_train_pairs.c LABELS unit)
hw_test(test_train_augment SOURCES unit/test_train_augment.c LABELS unit)
hw_test(test_train_edits SOURCES unit/test_train_edits.c LABELS unit)
# its expected draws use train_thin.h inline: no fused multiply-adds, as in src (CMakeLists.txt)
set_source_files_properties(unit/test_train_augment.c PROPERTIES COMPILE_OPTIONS -ffp-contract=off)
# the device batch's table and its C gather against hw_batcher_fill, bit for bit
hw_test(test_train_batch_table SOURCES unit/test_train_batch_table.c LABELS unit)
# the device tile cache's bookkeeping (streamed tiles, gpu_batch.h)
hw_test(test_train_tile_cache SOURCES unit/test_train_tile_cache.c LABELS unit)
hw_test(test_train_config SOURCES unit/test_train_config.c LABELS unit)
hw_test(test_train_state SOURCES unit/test_train_state.c LABELS unit)
hw_mpi_test(test_train_mpi 2 SOURCES integration/test_train_mpi.c)
set_tests_properties(test_train_mpi PROPERTIES
                     ENVIRONMENT "${HW_TEST_ENV};OPENBLAS_NUM_THREADS=1;OMP_NUM_THREADS=1")

add_executable(train_fixture ${PROJECT_SOURCE_DIR}/tests/integration/train_fixture.c)
target_link_libraries(train_fixture PRIVATE hitwin_core)
target_include_directories(train_fixture PRIVATE ${PROJECT_SOURCE_DIR}/tests)
hw_script_test(test_train_cli tests/integration/test_train_cli.sh LABELS integration mpi
               ARGS $<TARGET_FILE:train_fixture>)
set_tests_properties(test_train_cli PROPERTIES PROCESSORS 2)

# --device without a usable GPU (CUDA_VISIBLE_DEVICES= hides any): the exact messages, exit
# status, nothing written; --device auto falls back to the CPU path bit for bit (train,
# distance and saliency). Runs in every build (tests/gpu/test_device_flag.sh).
hw_script_test(test_device_flag tests/gpu/test_device_flag.sh LABELS integration mpi
               ARGS $<TARGET_FILE:train_fixture>)
set_tests_properties(test_device_flag PROPERTIES PROCESSORS 2 TIMEOUT 300)
hw_script_test(test_cross_fit_pipeline tests/integration/test_cross_fit_pipeline.sh LABELS integration mpi)
set_tests_properties(test_cross_fit_pipeline PROPERTIES PROCESSORS 2)
# the tile store reader on damaged stores, and its in-memory entry point
hw_test(test_tile_store_hostile SOURCES unit/test_tile_store_hostile.c LABELS unit)
# A tiny MaxViT trained on 2 ranks: stopped + resumed equals uninterrupted byte for byte
# (checkpoints and state, with the BatchNorm running statistics), every rank holds rank 0's
# statistics and validated with them, refusals (--device cuda, tile size); docs/maxvit.md.
hw_mpi_test(test_train_maxvit 2 SOURCES integration/test_train_maxvit.c)
set_tests_properties(test_train_maxvit PROPERTIES
                     ENVIRONMENT "${HW_TEST_ENV};OPENBLAS_NUM_THREADS=1;OMP_NUM_THREADS=1")
# smooth: auto: the depth rule and the store's depth (train_smooth.h)
hw_test(test_train_smooth SOURCES unit/test_train_smooth.c LABELS unit)
