# Tests of the shared core: config, tiling geometry, tile store, CLI.
hw_test(test_dataset_config SOURCES unit/test_dataset_config.c LABELS unit)
hw_test(test_windows SOURCES unit/test_windows.c LABELS unit)
