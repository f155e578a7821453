# GPU tests: built whenever CUDA is, skipped (exit 77) where no device is visible.
if(HITWIN_HAVE_CUDA)
  add_executable(test_gpu_smoke gpu/test_gpu_smoke.cu)
  target_link_libraries(test_gpu_smoke PRIVATE hitwin_core)
  add_test(NAME test_gpu_smoke COMMAND test_gpu_smoke WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(test_gpu_smoke PROPERTIES LABELS gpu SKIP_RETURN_CODE 77 RESOURCE_LOCK gpu)
endif()
