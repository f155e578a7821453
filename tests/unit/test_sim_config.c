/* Simulate config: defaults, YAML overlay, the exact error messages for bad
 * configurations, the YAML round trip, and the CLI's refusals (no output
 * written on an error). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hitwin/dist.h"
#include "hitwin/error.h"
#include "hitwin/log.h"
#include "hitwin/sim_config.h"
#include "hitwin/sim_genome.h"
#include "hitwin/simulate.h"
#include "test_util.h"

/* Load text over the small defaults with an output set, validate; the error
 * message ("" when it loads). */
static const char *load_error(const char *text) {
    static char msg[4096];
    hw_sim_config cfg;
    hw_sim_config_defaults(&cfg, "small");
    cfg.output = strdup("out");
    hw_error_clear();
    int rc = hw_sim_config_load_string(&cfg, text, "sim.yaml");
    if (rc == 0) rc = hw_sim_config_validate(&cfg);
    snprintf(msg, sizeof msg, "%s", rc == 0 ? "" : hw_error());
    hw_sim_config_free(&cfg);
    return msg;
}

int main(int argc, char **argv) {
    hw_dist d;
    hw_dist_init(&d, &argc, &argv);
    hw_log_set_quiet(1);

    /* defaults */
    hw_sim_config cfg;
    CHECK(hw_sim_config_defaults(&cfg, "small") == 0);
    CHECK_INT_EQ(cfg.nchroms, 3);
    CHECK_STR_EQ(cfg.chroms[2].name, "chr18");
    CHECK_INT_EQ(cfg.resolution, 10000);
    CHECK_INT_EQ(cfg.replicates, 2);
    hw_sim_config_free(&cfg);
    CHECK(hw_sim_config_defaults(&cfg, "mouse") == 0);
    CHECK_INT_EQ(cfg.nchroms, 19);
    CHECK_INT_EQ(cfg.chroms[0].length, 195471971);
    hw_sim_config_free(&cfg);
    CHECK(hw_sim_config_defaults(&cfg, "human") < 0);
    CHECK_STR_EQ(hw_error(), "unknown genome preset 'human' (expected small or mouse)");

    /* a good config */
    CHECK_STR_EQ(load_error("genome:\n  chromosomes:\n    - {name: chrA, length: 5000000}\n"
                            "decay: {exponent: 0.8}\nreplicates: 3\n"
                            "changes:\n  - {kind: loop_loss, count: 2, strength: 0.5}\n"),
                 "");

    /* unknown keys, at the top and nested */
    CHECK_STR_EQ(load_error("resolutin: 5000\n"),
                 "sim.yaml:1: unknown key 'resolutin' in the simulate config (expected one of: "
                 "genome, resolution, coarser_resolutions, max_distance, decay, compartments, "
                 "domains, loops, stripes, locus_sd, conditions, replicates, depth, noise, changes, "
                 "genome_wide, seed, output, balance, background)");
    CHECK_STR_EQ(load_error("loops:\n  fraction: 0.5\n  strenght: 2\n"),
                 "sim.yaml:3: unknown key 'strenght' in loops (expected one of: fraction, "
                 "strength, width)");
    /* negative and impossible sizes */
    CHECK_STR_EQ(load_error("genome:\n  chromosomes:\n    - {name: chr1, length: -5}\n"),
                 "sim.yaml:3: 'length' in a chromosome = -5 is out of range [1, 4000000000000]");
    CHECK_STR_EQ(load_error("resolution: -10000\n"),
                 "sim.yaml:1: 'resolution' in the simulate config = -10000 is out of range [100, "
                 "10000000]");
    CHECK_STR_EQ(load_error("domains: {min_size: 3000000, max_size: 2000000}\n"),
                 "sim.yaml: domains.min_size (3000000) is larger than domains.max_size (2000000)");
    CHECK_STR_EQ(load_error("domains: {max_size: 5000000}\n"),
                 "sim.yaml: domains.max_size (5000000) is larger than max_distance (4000000): "
                 "domain corners and loops would fall outside the simulated band");
    CHECK_STR_EQ(load_error("genome:\n  chromosomes:\n    - {name: chr1, length: 1000000}\n"),
                 "sim.yaml: chromosome chr1 (1000000 bp) is shorter than domains.max_size "
                 "(2000000) or 20 bins");
    CHECK_STR_EQ(load_error("coarser_resolutions: [25000]\nresolution: 10000\n"),
                 "sim.yaml: coarser resolution 25000 is not a multiple of resolution 10000 larger "
                 "than it");
    CHECK_STR_EQ(load_error("max_distance: 50000\n"),
                 "sim.yaml: max_distance (50000) must be at least 10 bins (100000)");
    CHECK_STR_EQ(load_error("genome:\n  chromosomes:\n    - {name: chr1, length: 5000000}\n"
                            "    - {name: chr1, length: 6000000}\n"),
                 "sim.yaml:4: chromosome 'chr1' listed twice");
    CHECK_STR_EQ(load_error("genome: {preset: rat}\n"),
                 "sim.yaml:1: unknown genome preset 'rat' (expected small or mouse)");
    CHECK_STR_EQ(load_error("changes:\n  - {kind: loop_move, count: 1}\n"),
                 "sim.yaml:2: unknown change kind 'loop_move' (expected one of: loop_loss, "
                 "boundary_loss, domain_weakening, compartment_shift, loop_gain)");
    CHECK_STR_EQ(load_error("changes:\n  - {kind: loop_loss, count: 1, strength: 1.5}\n"),
                 "sim.yaml:2: 'strength' in a change = 1.5 is out of range [0, 1]");
    CHECK_STR_EQ(load_error("changes:\n  - {kind: loop_loss}\n"),
                 "sim.yaml:2: missing required key 'count' in a change");
    CHECK_STR_EQ(load_error("changes: []\ngenome_wide: {kind: ctcf}\n"),
                 "sim.yaml:2: give either changes or genome_wide, not both");
    CHECK_STR_EQ(load_error("conditions: [wt, wt]\n"),
                 "sim.yaml:1: conditions must be two different names without spaces, '/' or '_' "
                 "(e.g. [control, treatment])");
    CHECK_STR_EQ(load_error("noise: {dropout: 0.9}\n"),
                 "sim.yaml:1: 'dropout' in noise = 0.9 is out of range [0, 0.5]");

    /* too many changes for the genome: an error before anything is written */
    CHECK(hw_sim_config_defaults(&cfg, "small") == 0);
    cfg.output = strdup("out");
    CHECK(hw_sim_config_load_string(&cfg, "changes:\n  - {kind: boundary_loss, count: 500}\n",
                                    "sim.yaml") == 0);
    CHECK(hw_sim_config_validate(&cfg) == 0);
    sim_genome g;
    CHECK(sim_genome_build(&cfg, &g) < 0);
    CHECK(strncmp(hw_error(), "cannot place 500 boundary_loss changes: only ", 45) == 0);
    sim_genome_free(&g);
    hw_sim_config_free(&cfg);

    /* the resolved YAML reads back to the same config */
    CHECK(hw_sim_config_defaults(&cfg, "small") == 0);
    cfg.output = strdup("out dir");
    CHECK(hw_sim_config_validate(&cfg) == 0);
    char *y1 = hw_sim_config_to_yaml(&cfg);
    hw_sim_config cfg2;
    hw_sim_config_defaults(&cfg2, "mouse");
    CHECK(hw_sim_config_load_string(&cfg2, y1, "resolved.yaml") == 0);
    CHECK(hw_sim_config_validate(&cfg2) == 0);
    char *y2 = hw_sim_config_to_yaml(&cfg2);
    CHECK_STR_EQ(y2, y1);
    free(y1);
    free(y2);
    hw_sim_config_free(&cfg);
    hw_sim_config_free(&cfg2);

    /* CLI refusals: usage errors exit 2, config errors 1, nothing written */
    char *a1[] = {"simulate", "--frobnicate", NULL};
    CHECK_INT_EQ(hw_simulate_main(2, a1), 2);
    char *a2[] = {"simulate", "--config", "/nonexistent/sim.yaml", "--out", "/tmp/hw_sim_never", NULL};
    CHECK_INT_EQ(hw_simulate_main(5, a2), 1);
    CHECK_STR_EQ(hw_error(), "/nonexistent/sim.yaml: no such file (--config)");
    char *a3[] = {"simulate", "--preset", "rat", "--out", "/tmp/hw_sim_never", NULL};
    CHECK_INT_EQ(hw_simulate_main(5, a3), 1);
    CHECK_STR_EQ(hw_error(), "--preset: unknown genome preset 'rat' (expected small or mouse)");
    char *a4[] = {"simulate", "--seed", "-3", "--out", "/tmp/hw_sim_never", NULL};
    CHECK_INT_EQ(hw_simulate_main(5, a4), 1);
    CHECK_STR_EQ(hw_error(), "--seed must be a non-negative integer, got '-3'");
    char *a5[] = {"simulate", NULL};
    CHECK_INT_EQ(hw_simulate_main(1, a5), 1);
    CHECK_STR_EQ(hw_error(), "simulate config: no output directory (give --out DIR or output: in "
                             "the config)");
    struct stat st;
    CHECK(stat("/tmp/hw_sim_never", &st) != 0);

    int rc = TEST_RESULT();
    hw_dist_finalize();
    return rc;
}
