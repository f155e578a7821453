# hitwin plot (docs/plot.md): the canvas, ticks, parsers and metrics reader (unit), and
# every kind end to end on a small simulation, its numbers checked against the HDF5
# file and `hitwin evaluate` (integration).
if(HITWIN_PLOT) # not in the sanitizer builds (src/plot/plot_off.c)
  hw_test(test_plot_canvas SOURCES unit/test_plot_canvas.c LABELS unit)
  target_link_libraries(test_plot_canvas PRIVATE PkgConfig::CAIRO)

  # PNG facts for the script tests: size, and the share of non-white pixels in a rectangle
  add_executable(plot_png_probe ${PROJECT_SOURCE_DIR}/tests/integration/plot_png_probe.c)
  target_link_libraries(plot_png_probe PRIVATE PkgConfig::CAIRO)
  hw_script_test(test_plot_stage tests/integration/test_plot_stage.sh LABELS integration
                 ARGS $<TARGET_FILE:distance_make_ckpt> $<TARGET_FILE:plot_png_probe>)
  set_tests_properties(test_plot_stage PROPERTIES TIMEOUT 300)
endif()

# hitwin sweep (docs/sweep.md): the generated SLURM arrays parsed (2 x 2 x 2 grid,
# resubmission, the reference's 17-run grid, failures, bad files), and the local runner
# on a 2 x 1 grid of the small simulation (about 25 s on 2 cores).
hw_script_test(test_sweep_scripts tests/integration/test_sweep_scripts.sh LABELS integration)
hw_script_test(test_sweep_local tests/integration/test_sweep_local.sh LABELS integration)
set_tests_properties(test_sweep_local PROPERTIES TIMEOUT 300)
