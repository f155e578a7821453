# GPU tests (docs/gpu.md): built whenever CUDA is, skipped (exit 77) where no device is
# visible. RESOURCE_LOCK gpu keeps them from running at the same time as each other.
if(HITWIN_HAVE_CUDA)
  add_executable(test_gpu_smoke gpu/test_gpu_smoke.cu)
  target_link_libraries(test_gpu_smoke PRIVATE hitwin_core)
  add_test(NAME test_gpu_smoke COMMAND test_gpu_smoke WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(test_gpu_smoke PROPERTIES LABELS gpu SKIP_RETURN_CODE 77 RESOURCE_LOCK gpu)

  # every CUDA op against the C op of src/nn and optim.c (tolerances in the file's header)
  hw_test(test_gpu_ops SOURCES gpu/test_gpu_ops.c LABELS gpu)
  set_tests_properties(test_gpu_ops PROPERTIES RESOURCE_LOCK gpu TIMEOUT 300)

  # the MaxViT ops' CUDA twins against the C ops (tolerances in the file's header and in
  # docs/maxvit.md "CUDA twins")
  hw_test(test_gpu_maxvit_ops SOURCES gpu/test_gpu_maxvit_ops.c LABELS gpu)
  set_tests_properties(test_gpu_maxvit_ops PROPERTIES RESOURCE_LOCK gpu TIMEOUT 300)

  # the GPU SLeNet training step against the CPU model's (tolerances in the file's header)
  hw_test(test_gpu_slenet SOURCES gpu/test_gpu_slenet.c LABELS gpu)
  set_tests_properties(test_gpu_slenet PROPERTIES RESOURCE_LOCK gpu TIMEOUT 300)

  # the GPU MaxViT (SMaxViT, SMaxViTMulti) against the CPU model: losses, gradients, BatchNorm
  # statistics, embeddings, Adam steps (tolerances in the file's header)
  hw_test(test_gpu_maxvit SOURCES gpu/test_gpu_maxvit.c LABELS gpu)
  set_tests_properties(test_gpu_maxvit PROPERTIES RESOURCE_LOCK gpu TIMEOUT 600)

  # the integrated-gradient path of `hitwin saliency --device cuda` against the CPU model's
  # (tolerances in the file's header)
  hw_test(test_gpu_saliency SOURCES gpu/test_gpu_saliency.c LABELS gpu)
  set_tests_properties(test_gpu_saliency PROPERTIES RESOURCE_LOCK gpu TIMEOUT 300)

  # batches gathered, thinned and flipped on the device against hw_batcher_fill, bit for bit
  hw_test(test_gpu_batch SOURCES gpu/test_gpu_batch.c LABELS gpu)
  set_tests_properties(test_gpu_batch PROPERTIES RESOURCE_LOCK gpu TIMEOUT 300)

  # NCCL all-reduce over 2 ranks (skips where the node has fewer GPUs than ranks)
  hw_mpi_test(test_gpu_nccl 2 SOURCES gpu/test_gpu_nccl.c LABELS gpu)
  set_tests_properties(test_gpu_nccl PROPERTIES RESOURCE_LOCK gpu TIMEOUT 300)
endif()

# `hitwin train --device cuda` / `hitwin distance --device cuda` / `hitwin saliency --device
# cuda` end to end against the CPU path (tolerances in the script's header); 2rank needs 2
# GPUs (NCCL: one GPU per rank)
if(HITWIN_HAVE_CUDA)
  foreach(mode train 2rank distance saliency maxvit)
    hw_script_test(test_gpu_stage_${mode} tests/gpu/test_train_gpu.sh LABELS gpu integration
                   ARGS ${mode})
    set_tests_properties(test_gpu_stage_${mode} PROPERTIES RESOURCE_LOCK gpu TIMEOUT 600)
  endforeach()
  set_tests_properties(test_gpu_stage_2rank PROPERTIES LABELS "gpu;integration;mpi" PROCESSORS 2)
  set_tests_properties(test_gpu_stage_saliency PROPERTIES LABELS "gpu;integration;mpi" PROCESSORS 2)
endif()
