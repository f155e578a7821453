/* `hitwin plot KIND INPUT... -o FIGURE [options]` (docs/plot.md): the arguments, the
 * checks every kind shares (inputs exist, the figure is not one of them), and the kind. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hitwin/cli_args.h"
#include "hitwin/distance_read.h"
#include "hitwin/error.h"
#include "hitwin/log.h"
#include "hitwin/output_guard.h"
#include "hitwin/plot.h"
#include "hitwin/plot_canvas.h"
#include "hitwin/xalloc.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: hitwin plot KIND INPUT... -o FIGURE.png|.svg|.pdf [options]\n"
            "Figures of the pipeline's outputs (docs/plot.md). KIND and its INPUTs:\n"
            "  distances  DISTANCES.h5...  within/between distance tracks per chromosome and the\n"
            "                              Twins score beneath; several files or measures overlaid\n"
            "  hist       DISTANCES.h5...  KDEs of within and between pair distances, threshold, rates\n"
            "  training   RUN_DIR|metrics.jsonl...  loss, validation loss and accuracy per epoch\n"
            "  evaluate   DISTANCES.h5... --truth FILE  ROC curves of every measure's scores\n"
            "  region     DATASET.yaml --region CHROM:START-END  contact maps of every sample (log\n"
            "                              scale, shared limits), the condition difference, and\n"
            "                              with --saliency / --features their tracks beneath\n"
            "options:\n"
            "  -o, --output FILE         the figure; its extension picks the format\n"
            "  -r, --region CHROM[:START-END]  one chromosome, or a part of it (bp)\n"
            "  -m, --measure LIST        comma-separated measures (default: pairwise; evaluate:\n"
            "                            every measure with scores)\n"
            "  -t, --truth FILE          evaluate: truth.bed or truth.bedgraph of hitwin simulate;\n"
            "                            distances: its planted changes shaded\n"
            "      --min-magnitude X     evaluate, bedGraph truth: changed above X (default 0.5)\n"
            "      --saliency FILE       region: saliency.h5 of hitwin saliency (its strip beneath)\n"
            "      --strip NAME          region: which strip (default condition_saliency)\n"
            "      --features FILE       region: features.bed of hitwin features\n"
            "  -l, --labels LIST         comma-separated names of the inputs in legends\n"
            "  -d, --data FILE           also write the numbers drawn, as TSV\n"
            "      --title TEXT          the figure's title\n"
            "  -h, --help\n");
}

typedef int (*plot_fn)(const hw_plot_request *r);
static const struct {
    const char *name;
    plot_fn fn;
    int dirs_ok; /* inputs may be directories (run directories) */
} kinds[] = {{"distances", hw_plot_distances, 0},
             {"hist", hw_plot_hist, 0},
             {"training", hw_plot_training, 1},
             {"evaluate", hw_plot_evaluate, 0},
             {"region", hw_plot_region_maps, 0}};
#define N_KINDS (int)(sizeof kinds / sizeof *kinds)

/* a comma-separated list split in place */
static int split_list(char *s, char **out, int cap) {
    int n = 0;
    for (char *tok = strtok(s, ","); tok && n < cap; tok = strtok(NULL, ",")) out[n++] = tok;
    return n;
}

int hw_plot_main(int argc, char **argv) {
    enum { OPT_TITLE = 1000, OPT_MIN_MAG, OPT_SALIENCY, OPT_STRIP, OPT_FEATURES };
    static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                         {"region", required_argument, 0, 'r'},
                                         {"measure", required_argument, 0, 'm'},
                                         {"truth", required_argument, 0, 't'},
                                         {"min-magnitude", required_argument, 0, OPT_MIN_MAG},
                                         {"labels", required_argument, 0, 'l'},
                                         {"data", required_argument, 0, 'd'},
                                         {"title", required_argument, 0, OPT_TITLE},
                                         {"saliency", required_argument, 0, OPT_SALIENCY},
                                         {"strip", required_argument, 0, OPT_STRIP},
                                         {"features", required_argument, 0, OPT_FEATURES},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    hw_plot_request req = {.min_magnitude = 0.5};
    char *measure_arg = NULL, *labels_arg = NULL;
    const char *region_arg = NULL;
    int c;
    optind = 1;
    while ((c = hw_getopt(argc, argv, "o:r:m:t:l:d:h", opts)) != -1) {
        switch (c) {
        case 'o': req.out = optarg; break;
        case 'r': region_arg = optarg; break;
        case 'm': measure_arg = optarg; break;
        case 't': req.truth = optarg; break;
        case 'l': labels_arg = optarg; break;
        case 'd': req.data_out = optarg; break;
        case OPT_TITLE: req.title = optarg; break;
        case OPT_SALIENCY: req.saliency = optarg; break;
        case OPT_STRIP: req.strip = optarg; break;
        case OPT_FEATURES: req.features = optarg; break;
        case OPT_MIN_MAG:
            if (hw_parse_double("--min-magnitude", optarg, -1e300, 1e300, &req.min_magnitude) != 0)
                return hw_usage_error(NULL);
            break;
        case 'h': usage(stdout); return 0;
        default: return hw_usage_error(usage);
        }
    }
    if (optind == argc) return hw_usage_fail(usage, "plot: the KIND is missing (distances, hist, training, evaluate, region)");
    int kind = -1;
    for (int k = 0; k < N_KINDS; k++)
        if (!strcmp(argv[optind], kinds[k].name)) kind = k;
    if (kind < 0)
        return hw_usage_fail(usage, "plot: unknown kind '%s' (expected distances, hist, training, evaluate or region)",
                             argv[optind]);
    req.inputs = argv + optind + 1;
    req.n_inputs = argc - optind - 1;
    if (req.n_inputs == 0) return hw_usage_fail(usage, "plot %s: no INPUT file given", kinds[kind].name);
    if (!req.out) return hw_usage_fail(usage, "plot %s: the figure (-o FILE.png|.svg|.pdf) is missing", kinds[kind].name);
    hw_figure_format fmt;
    if (hw_figure_format_of(req.out, &fmt) != 0) return hw_usage_error(NULL);
    if (region_arg && hw_plot_region_parse(region_arg, &req.region) != 0) return hw_usage_error(NULL);
    int is_region = !strcmp(kinds[kind].name, "region");
    if ((req.saliency || req.features || req.strip) && !is_region)
        return hw_usage_fail(usage, "plot %s: --saliency, --strip and --features are for plot region", kinds[kind].name);
    if (is_region && !req.region.set)
        return hw_usage_fail(usage, "plot region: --region CHROM:START-END is missing");
    if (req.truth && strcmp(kinds[kind].name, "evaluate") && strcmp(kinds[kind].name, "distances"))
        return hw_usage_fail(usage, "plot %s: --truth is for plot evaluate and plot distances", kinds[kind].name);
    char measure_buf[512] = "";
    if (measure_arg) snprintf(measure_buf, sizeof measure_buf, "%s", measure_arg);
    char *mnames[HW_N_MEASURES + 1];
    int nm = measure_arg ? split_list(measure_buf, mnames, HW_N_MEASURES + 1) : 0;
    if (nm > HW_N_MEASURES) return hw_usage_fail(usage, "--measure: more than %d measures", HW_N_MEASURES);
    for (int k = 0; k < nm; k++) {
        int q = hw_measure_index(mnames[k]);
        if (q < 0) {
            char why[256]; /* hw_usage_fail writes the buffer hw_error() returns */
            snprintf(why, sizeof why, "%s", hw_error());
            return hw_usage_fail(usage, "--measure: %s", why);
        }
        req.measures[req.n_measures++] = q;
    }
    if (!nm && kind == 3)
        for (int q = 0; q < HW_N_MEASURES; q++) req.measures[req.n_measures++] = q;
    else if (!nm) /* the first input's default score (combined where it has no hybrid) */
        req.measures[req.n_measures++] = req.n_inputs ? hw_distance_default_measure(req.inputs[0]) : HW_M_DEFAULT;

    /* every input exists and the figure is none of them */
    hw_input *in = xcalloc((size_t)req.n_inputs + 4, sizeof *in);
    int n_in = 0, rc = 0;
    for (int k = 0; k < req.n_inputs && !rc; k++) {
        struct stat st;
        if (kinds[kind].dirs_ok && stat(req.inputs[k], &st) == 0 && S_ISDIR(st.st_mode)) continue;
        in[n_in] = (hw_input){req.inputs[k], "INPUT"};
        rc = hw_input_check(&in[n_in++]);
    }
    const char *extra[3][2] = {{req.truth, "--truth"}, {req.saliency, "--saliency"}, {req.features, "--features"}};
    for (int k = 0; k < 3 && !rc; k++)
        if (extra[k][0]) {
            in[n_in] = (hw_input){extra[k][0], extra[k][1]};
            rc = hw_input_check(&in[n_in++]);
        }
    if (!rc) rc = hw_output_file_check(req.out, "-o", in, n_in);
    if (!rc && req.data_out) rc = hw_output_file_check(req.data_out, "--data", in, n_in);
    free(in);
    if (rc) {
        log_error("%s", hw_error());
        return 1;
    }
    char *label_buf = NULL;
    if (labels_arg) {
        label_buf = xstrdup(labels_arg);
        req.labels = xcalloc((size_t)req.n_inputs + 1, sizeof *req.labels);
        int nl = split_list(label_buf, req.labels, req.n_inputs + 1);
        if (nl != req.n_inputs) {
            free(req.labels), free(label_buf);
            return hw_usage_fail(usage, "--labels: %d names for %d inputs", nl, req.n_inputs);
        }
    } else {
        req.labels = hw_plot_labels(req.inputs, req.n_inputs);
    }
    rc = kinds[kind].fn(&req);
    if (rc) log_error("%s", hw_error());
    else printf("wrote %s%s%s\n", req.out, req.data_out ? " and " : "", req.data_out ? req.data_out : "");
    if (!labels_arg)
        for (int k = 0; k < req.n_inputs; k++) free(req.labels[k]);
    free(req.labels), free(label_buf);
    return rc ? 1 : 0;
}
