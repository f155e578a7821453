# hitwin distance / hitwin evaluate (docs/distance.md): measures against chess-hic,
# numpy and hand values, metrics against hand-computed examples and scipy, and the
# stage end to end on simulated data (1 vs 2 ranks, embed-once, formats, errors).

# A random-init checkpoint for the integration test (hw_model_create + hw_model_save).
add_executable(distance_make_ckpt ${PROJECT_SOURCE_DIR}/tests/integration/distance_make_ckpt.c)
target_link_libraries(distance_make_ckpt PRIVATE hitwin_core)

hw_test(test_distance_measures SOURCES unit/test_distance_measures.c LABELS unit)
hw_test(test_evaluate_metrics SOURCES unit/test_evaluate_metrics.c LABELS unit)
hw_test(test_cross_fit SOURCES unit/test_cross_fit.c LABELS unit)
hw_test(test_distance_stage SOURCES integration/test_distance_stage.c LABELS integration mpi
        ARGS $<TARGET_FILE:distance_make_ckpt> ${MPIEXEC_EXECUTABLE})
set_tests_properties(test_distance_stage PROPERTIES PROCESSORS 2 TIMEOUT 300)
hw_test(test_scc_insulation SOURCES unit/test_scc_insulation.c LABELS unit)
hw_test(test_window_scores SOURCES unit/test_window_scores.c LABELS unit)

# Two runs of tile (1 and 2 ranks) and of distance on the same input: the same bytes.
hw_script_test(test_output_bytes tests/integration/test_output_bytes.sh LABELS integration mpi)
set_tests_properties(test_output_bytes PROPERTIES PROCESSORS 2)
