# CPU neural-network ops (src/nn): finite-difference gradients and a PyTorch fixture.
hw_test(test_nn_gradcheck SOURCES unit/test_nn_gradcheck.c LABELS unit)
hw_test(test_nn_torch SOURCES unit/test_nn_torch.c LABELS unit)
