/* `hitwin info FILE`: what a Hi-C file holds, for users and for scripts. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hitwin/cli_args.h"
#include "hitwin/contacts.h"
#include "hitwin/error.h"
#include "hitwin/log.h"
#include "hitwin/stage_guard.h"
#include "hitwin/stages.h"

static const char *format_name(hw_format f) {
    switch (f) {
    case HW_FORMAT_HIC: return ".hic";
    case HW_FORMAT_COOL: return ".cool";
    case HW_FORMAT_MCOOL: return ".mcool";
    }
    return "?";
}

static void usage(FILE *out) {
    fprintf(out, "usage: hitwin info FILE\n"
                 "Print format, version, genome, resolutions, normalisations and chromosomes of a\n"
                 ".hic, .cool or .mcool file.\n");
}

int hw_info_main(int argc, char **argv) {
    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        usage(stdout);
        return 0;
    }
    if (argc != 2) {
        if (argc < 2) return hw_usage_fail(usage, "info: FILE is missing");
        return hw_usage_fail(usage, "info: one FILE expected, got '%s' too", argv[2]);
    }
    if (argv[1][0] == '-' && argv[1][1]) return hw_usage_fail(usage, "info: unknown option '%s'", argv[1]);
    if (hw_guard_read_only(argv[1], 1) != 0) {
        log_error("%s", hw_error());
        return 1;
    }
    hw_contacts *f = hw_contacts_open(argv[1]);
    if (!f) {
        log_error("%s", hw_error());
        return 1;
    }
    const hw_info *in = hw_contacts_info(f);
    printf("file\t%s\n", argv[1]);
    printf("format\t%s\n", format_name(in->format));
    printf("version\t%d\n", in->version);
    printf("genome\t%s\n", in->genome);
    printf("resolutions\t");
    for (int r = 0; r < in->nresolutions; r++) printf("%s%d", r ? "," : "", in->resolutions[r]);
    printf("\nnormalisations\t");
    for (int k = 0; k < in->nnorms; k++) printf("%s%s", k ? "," : "", in->norms[k]);
    printf("\nchromosomes\t%d\n", in->nchroms);
    for (int c = 0; c < in->nchroms; c++)
        printf("chrom\t%s\t%lld\n", in->chroms[c].name, (long long)in->chroms[c].length);
    hw_contacts_close(f);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        log_error("standard output: write failed (%s)", strerror(errno));
        return 1;
    }
    return 0;
}
