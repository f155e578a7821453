# The training recipe (docs/recipe.md): the default recipe's learned Twins score finds
# strong planted changes on held-out data, and gives chance on the null simulation.
# simulate + tile + train + distance twice, about a minute on 2 cores.
hw_script_test(test_recipe_quality tests/integration/test_recipe_quality.sh LABELS integration mpi)
set_tests_properties(test_recipe_quality PROPERTIES PROCESSORS 2 TIMEOUT 600)
# the input scaling against the same scaling done by hand (unit)
hw_test(test_model_recipe SOURCES unit/test_model_recipe.c LABELS unit)
# The method's claim on a larger data set: the learned score beats SSIM, Pearson and MSE
# (docs/recipe.md). About 6 minutes on 2 cores: label slow, outside the default run.
hw_script_test(test_recipe_beats_baselines tests/integration/test_recipe_beats_baselines.sh
               LABELS integration mpi slow)
set_tests_properties(test_recipe_beats_baselines PROPERTIES PROCESSORS 2 TIMEOUT 3600)
# The same claim at the outside benchmark's depth (a 20 kb map at about one contact per pixel,
# smoothed by smooth: auto). About 13 minutes on 2 cores: label slow.
hw_script_test(test_recipe_sparse_depth tests/integration/test_recipe_sparse_depth.sh
               LABELS integration mpi slow)
set_tests_properties(test_recipe_sparse_depth PROPERTIES PROCESSORS 2 TIMEOUT 3600)
# The default score (hybrid) and its learned part (combined) on real structure (a real map's 20 Mb as 20 phase-shifted
# copies) at the outside benchmark's depth. About 30 minutes on 2 cores: label slow.
hw_script_test(test_recipe_real_structure tests/integration/test_recipe_real_structure.sh
               LABELS integration mpi slow)
set_tests_properties(test_recipe_real_structure PROPERTIES PROCESSORS 2 TIMEOUT 3600)
