# The Siamese SLeNet model (src/model): finite differences, PyTorch fixture, checkpoints.
hw_test(test_model_gradcheck SOURCES unit/test_model_gradcheck.c LABELS unit)
hw_test(test_model_torch SOURCES unit/test_model_torch.c LABELS unit)
hw_test(test_model_checkpoint SOURCES unit/test_model_checkpoint.c LABELS unit)
hw_test(test_checkpoint_config SOURCES unit/test_checkpoint_config.c LABELS unit)
add_executable(safetensors_export integration/safetensors_export.c)
target_link_libraries(safetensors_export PRIVATE hitwin_core)
hw_script_test(test_safetensors_torch tests/integration/test_safetensors_torch.sh LABELS integration
               ARGS $<TARGET_FILE:safetensors_export>)
hw_test(test_model_bench SOURCES unit/test_model_bench.c LABELS unit bench)
# the safetensors reader on crafted headers (offsets, shapes, lengths)
hw_test(test_safetensors_hostile SOURCES unit/test_safetensors_hostile.c LABELS unit)
# The MaxViT backbones behind the backbone interface: maxvit_t's table, a tiny MaxViT against
# finite differences, running statistics, checkpoint round trip (docs/maxvit.md).
hw_test(test_model_maxvit SOURCES unit/test_model_maxvit.c LABELS unit)
hw_test(test_maxvit_geometry SOURCES unit/test_maxvit_geometry.c LABELS unit)
hw_test(test_model_maxvit_torch SOURCES unit/test_model_maxvit_torch.c LABELS unit)
# MaxViT checkpoints' int64 buffers (num_batches_tracked, relative_position_index): written,
# optional on load, a wrong one refused with one line (docs/maxvit.md).
hw_test(test_maxvit_checkpoint_buffers SOURCES unit/test_maxvit_checkpoint_buffers.c LABELS unit)
# MaxViT's saliency hooks: the evaluation-mode input gradient against finite differences,
# parameter gradients untouched, block 0's feature map, IG completeness (docs/maxvit.md).
hw_test(test_maxvit_saliency SOURCES unit/test_maxvit_saliency.c LABELS unit)
# A MaxViT checkpoint of `hitwin train` (tiny SMaxViT and SMaxViTMulti) loads into PyTorch with
# load_state_dict(strict=True), int64 buffers included, and gives hitwin's embeddings
# (docs/maxvit.md, "Checkpoints and PyTorch"); skipped without Debian's torch.
add_executable(checkpoint_embed integration/checkpoint_embed.c)
target_link_libraries(checkpoint_embed PRIVATE hitwin_core)
hw_script_test(test_maxvit_torch_strict tests/integration/test_maxvit_torch_strict.sh LABELS integration
               ARGS $<TARGET_FILE:train_fixture> $<TARGET_FILE:checkpoint_embed>)
