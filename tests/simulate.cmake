# hitwin simulate (docs/simulate.md): config errors, RNG, structure measured
# on the output, reproducibility, cooler compatibility.

# The simulate entry point without the CLI dispatcher.
add_executable(sim_driver ${PROJECT_SOURCE_DIR}/tests/integration/sim_driver.c)
target_link_libraries(sim_driver PRIVATE hitwin_core)

hw_test(test_sim_structure SOURCES unit/test_sim_structure.c LABELS unit)
hw_test(test_sim_config SOURCES unit/test_sim_config.c LABELS unit)
hw_test(test_sim_rng SOURCES unit/test_sim_rng.c LABELS unit)
hw_script_test(test_sim_repro tests/integration/test_sim_repro.sh LABELS integration mpi
               ARGS $<TARGET_FILE:sim_driver>)
set_tests_properties(test_sim_repro PROPERTIES PROCESSORS 2)
hw_script_test(test_sim_cooler tests/integration/test_sim_cooler.sh LABELS integration
               ARGS $<TARGET_FILE:sim_driver>)
hw_script_test(test_sim_pipeline tests/integration/test_sim_pipeline.sh LABELS integration
               ARGS $<TARGET_FILE:sim_driver>)
hw_test(test_sim_background SOURCES unit/test_sim_background.c LABELS unit)
hw_script_test(test_sim_bg_repro tests/integration/test_sim_bg_repro.sh LABELS integration mpi
               ARGS $<TARGET_FILE:sim_driver>)
set_tests_properties(test_sim_bg_repro PROPERTIES PROCESSORS 2)
