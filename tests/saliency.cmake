# hitwin saliency / hitwin features (docs/saliency.md): the numeric core (input gradient,
# IG completeness, batched == unbatched, registration, strips, feature calls) and the stage
# end to end (1 vs 2 ranks identical, bedGraph and BED outputs, bad input).
# --regions: the BED reader
hw_test(test_bed_regions SOURCES unit/test_bed_regions.c LABELS unit)
hw_test(test_saliency SOURCES unit/test_saliency.c LABELS unit)
set_tests_properties(test_saliency PROPERTIES TIMEOUT 300)
# feature difference and IG against PyTorch running the reference's formula (committed fixture)
hw_test(test_saliency_torch SOURCES unit/test_saliency_torch.c LABELS unit)
# the stages end to end: 1 vs 2 ranks identical, layout, --chrom, --pairs, features' BED, and
# a planted single-contact difference found at its exact strip bin (saliency_plant writes the
# store and checks the strip)
add_executable(saliency_plant ${PROJECT_SOURCE_DIR}/tests/integration/saliency_plant.c)
target_link_libraries(saliency_plant PRIVATE hitwin_core)
hw_script_test(test_saliency_stage tests/integration/test_saliency_stage.sh LABELS integration mpi
               ARGS $<TARGET_FILE:distance_make_ckpt> $<TARGET_FILE:saliency_plant>)
set_tests_properties(test_saliency_stage PROPERTIES PROCESSORS 2 TIMEOUT 300)
# `hitwin saliency --device cuda` without a usable GPU (one line, exit 1, no -o directory) and
# --device auto = cpu: test_device_flag (tests/train.cmake), with train's and distance's; its
# GPU path against the CPU's: test_gpu_saliency (tests/gpu.cmake)
# feature calls at planted sites with a model trained for 15 epochs, against the null
# simulation (about 6 minutes on 2 cores: slow, outside the default run)
hw_script_test(test_saliency_sites tests/integration/test_saliency_sites.sh LABELS integration mpi slow)
set_tests_properties(test_saliency_sites PROPERTIES PROCESSORS 2 TIMEOUT 3600)
# hitwin distance and hitwin saliency with tiny MaxViT checkpoints (one from hitwin train): the
# model_name column, distances against embeddings computed in the test, IG completeness through
# the stage, the head refusal (docs/maxvit.md).
hw_test(test_maxvit_stages SOURCES integration/test_maxvit_stages.c LABELS integration)
set_tests_properties(test_maxvit_stages PROPERTIES TIMEOUT 300)
