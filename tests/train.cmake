# hitwin train (docs/train.md): pairs, augmentation, config, state file (unit);
# replicas and 1 vs 2 ranks in process (mpi); the CLI end to end: resume after a
# kill, bad input (integration). `ctest -R train`, about a minute on 2 cores.

hw_test(test_train_pairs SOURCES unit/test_train_pairs.c LABELS unit)
hw_test(test_train_augment SOURCES unit/test_train_augment.c LABELS unit)
hw_test(test_train_config SOURCES unit/test_train_config.c LABELS unit)
