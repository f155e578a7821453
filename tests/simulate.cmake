# hitwin simulate (docs/simulate.md): config errors, RNG, structure measured
# on the output, reproducibility, cooler compatibility.

# The simulate entry point without the CLI dispatcher.
add_executable(sim_driver ${PROJECT_SOURCE_DIR}/tests/integration/sim_driver.c)
target_link_libraries(sim_driver PRIVATE hitwin_core)
