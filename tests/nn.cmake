# CPU neural-network ops (src/nn): finite-difference gradients and a PyTorch fixture.
hw_test(test_nn_gradcheck SOURCES unit/test_nn_gradcheck.c LABELS unit)
hw_test(test_nn_torch SOURCES unit/test_nn_torch.c LABELS unit)
hw_test(test_nn_conv_direct SOURCES unit/test_nn_conv_direct.c LABELS unit)
hw_test(test_nn_rng SOURCES unit/test_nn_rng.c LABELS unit)
hw_test(test_nn_log1p SOURCES unit/test_nn_log1p.c LABELS unit)
hw_test(test_nn_smooth SOURCES unit/test_nn_smooth.c LABELS unit)
hw_test(test_nn_gelu SOURCES unit/test_nn_gelu.c LABELS unit)
# bf16 rounding on the host: the reference of the GPU bf16 mode's casts (docs/gpu.md)
hw_test(test_nn_bf16 SOURCES unit/test_nn_bf16.c LABELS unit)
hw_test(test_nn_conv_bench SOURCES unit/test_nn_conv_bench.c LABELS unit bench)
# MaxViT's ops (nn_maxvit.h): finite differences and a PyTorch fixture (docs/maxvit.md).
hw_test(test_nn_maxvit_gradcheck SOURCES unit/test_nn_maxvit_gradcheck.c LABELS unit)
hw_test(test_nn_maxvit_torch SOURCES unit/test_nn_maxvit_torch.c LABELS unit)
