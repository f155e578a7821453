# The Siamese SLeNet model (src/model): finite differences, PyTorch fixture, checkpoints.
hw_test(test_model_gradcheck SOURCES unit/test_model_gradcheck.c LABELS unit)
