# GPU benchmarks (docs/gpu.md, "Benchmark"): built whenever the CUDA backend is, into the
# build directory; run by bench/gpu-kernels.sh (and bench/train-gpu.sh). Not tests: they
# measure and print, they check nothing.
if(HITWIN_HAVE_CUDA)
  # the main kernels of a training step against the device's bandwidth and FLOP peaks
  add_executable(bench_gpu_kernels ${CMAKE_CURRENT_LIST_DIR}/gpu_kernels.c)
  target_link_libraries(bench_gpu_kernels PRIVATE hitwin_core)
  set_target_properties(bench_gpu_kernels PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR})
  # the MaxViT ops' CUDA twins on maxvit_t's block-0 shapes (bench/gpu-maxvit-kernels.sh)
  add_executable(bench_gpu_maxvit_kernels ${CMAKE_CURRENT_LIST_DIR}/gpu_maxvit_kernels.c)
  target_link_libraries(bench_gpu_maxvit_kernels PRIVATE hitwin_core)
  set_target_properties(bench_gpu_maxvit_kernels PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR})
endif()

# bench/saliency.sh's driver: per-pair cost of features + integrated gradients on CPU
add_executable(bench_saliency ${CMAKE_CURRENT_LIST_DIR}/saliency_bench.c)
target_link_libraries(bench_saliency PRIVATE hitwin_core)
set_target_properties(bench_saliency PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR})

# bench/maxvit-cpu.sh's driver: maxvit_t evaluation forward and training step on the CPU
add_executable(bench_maxvit ${CMAKE_CURRENT_LIST_DIR}/maxvit_bench.c)
target_link_libraries(bench_maxvit PRIVATE hitwin_core)
set_target_properties(bench_maxvit PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR})

# the accuracy of the IG path rules per step count (docs/saliency.md "Steps and rule")
add_executable(bench_saliency_rule ${CMAKE_CURRENT_LIST_DIR}/saliency_rule.c)
target_link_libraries(bench_saliency_rule PRIVATE hitwin_core)
set_target_properties(bench_saliency_rule PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR})
