/* The simulate config: genome, ground-truth structure, the two conditions and
 * their differences, replicates and their noise, outputs. YAML, loaded with
 * the strict yaml_tree (unknown keys are errors with file:line); every key
 * and default is listed in docs/simulate.md. Lengths are in bp. */
#ifndef HITWIN_SIM_CONFIG_H
#define HITWIN_SIM_CONFIG_H

#include <stdint.h>

#include "hitwin/contacts.h"

/* Kinds of planted treatment changes (the Twins paper's cases). */
typedef enum {
    SIM_LOOP_LOSS = 0,          /* CTCF depletion: a loop weakens or vanishes */
    SIM_BOUNDARY_LOSS = 1,      /* a boundary goes, two neighbouring domains merge */
    SIM_DOMAIN_WEAKENING = 2,   /* cohesin loss in a region: domains and loops fade */
    SIM_COMPARTMENT_SHIFT = 3,  /* a compartment segment switches A <-> B */
    SIM_LOOP_GAIN = 4,          /* a new focal loop between two boundaries */
    SIM_NKINDS = 5
} sim_change_kind;

const char *sim_change_kind_name(sim_change_kind k);

typedef struct {
    sim_change_kind kind;
    int count;
    double strength; /* 0 = no change (null), 1 = full loss / full switch */
    int64_t size;    /* domain_weakening: region size (bp) */
} sim_change_spec;

/* Genome-wide perturbation: every boundary/loop (ctcf) or every domain
 * (cohesin) changes by a locus-specific magnitude in [0, 1]. */
typedef enum { SIM_GW_NONE = 0, SIM_GW_CTCF = 1, SIM_GW_COHESIN = 2 } sim_gw_kind;

typedef struct {
    int ignore_diags; /* diagonals |i-j| < ignore_diags are left out (cooler: 2) */
    double mad_max;   /* 0 = no MAD filter (cooler CLI default 5) */
    int min_nnz;      /* bins with fewer nonzero pixels are masked (cooler: 10) */
    double tol;       /* variance of the marginals at convergence (cooler: 1e-5) */
    int max_iters;    /* cooler: 200 */
} sim_balance_opts;

/* One named piece of a background chromosome that becomes an output
 * chromosome (bp, half-open). */
typedef struct {
    char name[HW_NAME_CAP];
    char chrom[HW_NAME_CAP]; /* as written in the background file */
    int64_t start, end;
} sim_region;

/* A real map as the expected structure (docs/simulate.md, "Real-map
 * backgrounds"). file == NULL: the synthetic genome. */
typedef struct {
    char *file;            /* resolved path (absolute once validated) */
    int32_t resolution;    /* 0 = the simulate resolution */
    char *norm;            /* "auto", "NONE" or a column/normalisation of the file */
    char **chroms;         /* chromosomes to use (NULL = all with enough data) */
    int nchroms;
    sim_region *regions;   /* NULL = whole chromosomes */
    int nregions;
    int nout;              /* output chromosomes resolved (= nchroms of the config) */
    int64_t *offset;       /* per output chromosome: first bp in the file's chromosome */
    char **source_chrom;   /* per output chromosome: the file's chromosome name */
    int32_t file_resolution;/* the file's resolution that is read (summed to resolution) */
    char *norm_used;       /* "NONE" (balanced here) or the file's normalisation */
    int64_t data_bp;       /* bp of the output chromosomes the file has data on */
    double smooth_scale;   /* smoothing half-width h(d) = floor(sqrt(d / scale)) bins */
    int insulation_window; /* bins */
    double boundary_prominence; /* log2 insulation units */
    double loop_enrichment;     /* peak / donut mean */
    int loop_min_distance;      /* bins */
} sim_background;

typedef struct {
    char *source;       /* config path, "" when none */
    char *preset;       /* "small", "mouse" or "custom" (explicit chromosome list) */
    char *assembly;
    hw_chrom *chroms;
    int nchroms;
    int32_t resolution;
    int32_t *coarser;   /* coarser resolutions, multiples of resolution, ascending */
    int ncoarser;
    int64_t max_distance;

    double decay_exponent;      /* P(s) ~ s^-a */
    double comp_strength;       /* log enrichment of same-compartment pixels */
    int64_t comp_mean_size;     /* mean compartment segment length */
    int64_t tad_min, tad_max;   /* top-level domain sizes drawn log-uniformly */
    double tad_strength;        /* intra-domain enrichment (1 + t) */
    double tad_nested;          /* fraction of domains split into sub-domains */
    double loop_fraction;       /* fraction of domains with a corner loop */
    double loop_strength;       /* peak enrichment (1 + L) at the loop pixel */
    double loop_width;          /* Gaussian sigma, bins */
    double stripe_fraction;     /* fraction of domains with a stripe */
    double stripe_strength;
    double locus_sd;            /* log-sd of per-domain / per-loop strengths */

    char *conditions[2];
    int replicates;             /* per condition */

    double contacts_per_mb;     /* depth: contacts per Mb of chromosome ... */
    double total_contacts;      /* ... or genome-wide total (> 0 wins) */
    double depth_cv;            /* library-to-library depth variation */
    double slope_sd;            /* library-to-library change of the decay exponent */
    double bias_sd;             /* per-replicate per-bin coverage bias (log-sd) */
    double shared_bias_sd;      /* per-bin bias shared by all libraries (mappability, GC) */
    double dropout;             /* fraction of unmappable bins (no contacts) */
    double bio_sd;              /* per-replicate log-sd of structure strengths */
    double pixel_sd;            /* per-library fixed multiplicative pixel pattern (log-sd) */
    double dispersion;          /* gamma-Poisson over-dispersion phi: Var = mu + phi mu^2 */

    sim_change_spec *changes;
    int nchanges;
    int changes_given;          /* 0: defaults scaled to the genome at validation */
    sim_gw_kind gw_kind;
    double gw_strength, gw_spread;

    uint64_t seed;
    char *output;
    sim_balance_opts balance;
    sim_background bg;
} hw_sim_config;

/* Defaults of a preset ("small" or "mouse"), changes included. -1 + hw_error
 * on an unknown preset. */
int hw_sim_config_defaults(hw_sim_config *cfg, const char *preset);

/* Overlay a YAML file on cfg (already holding defaults). -1 with
 * "<file>:<line>: <cause>". */
int hw_sim_config_load(hw_sim_config *cfg, const char *path);
int hw_sim_config_load_string(hw_sim_config *cfg, const char *text, const char *name);

/* Fill what depends on other fields (default changes scale with the genome
 * unless the config lists some), then check cross-field rules (sizes that
 * cannot work together). -1 + "<file>: <cause>". */
int hw_sim_config_validate(hw_sim_config *cfg);

/* Turn every change into a null change (strength 0). */
void hw_sim_config_make_null(hw_sim_config *cfg);

/* The resolved config as YAML that hw_sim_config_load reads back. Caller frees. */
char *hw_sim_config_to_yaml(const hw_sim_config *cfg);

void hw_sim_config_free(hw_sim_config *cfg);

int64_t hw_sim_genome_length(const hw_sim_config *cfg);

#endif
