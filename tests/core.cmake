# Tests of the shared core: config, tiling geometry, tile store, CLI.
hw_test(test_dataset_config SOURCES unit/test_dataset_config.c LABELS unit)
hw_test(test_windows SOURCES unit/test_windows.c LABELS unit)
hw_test(test_temp_files SOURCES unit/test_temp_files.c LABELS unit)
hw_test(test_h5_deflate SOURCES unit/test_h5_deflate.c LABELS unit)
hw_test(test_tile_stage SOURCES integration/test_tile_stage.c LABELS integration mpi)
set_tests_properties(test_tile_stage PROPERTIES PROCESSORS 2
                     ENVIRONMENT "${HW_TEST_ENV};MPIEXEC=${MPIEXEC_EXECUTABLE}")
hw_script_test(test_cli_dump tests/integration/test_cli_dump.sh LABELS integration)
# every file in configs/ loads and validates with its stage's loader
hw_test(test_shipped_configs SOURCES unit/test_shipped_configs.c LABELS unit)
# OpenBLAS's kernels on CPUs it does not know: the rule, and what `hitwin version` reports
hw_test(test_blas_core SOURCES unit/test_blas_core.c LABELS unit)
