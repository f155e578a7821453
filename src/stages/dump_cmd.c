/* `hitwin dump FILE REGION [REGION2]`: the nonzero pixels of the upper triangle
 * in the bedGraph2 layout of `cooler dump --join` and `hictk dump`:
 *   chrom1 start1 end1 chrom2 start2 end2 value    (tab-separated)
 * sorted by (bin1, bin2). Non-finite values (masked bins) are left out, as straw
 * does. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hitwin/cli_args.h"
#include "hitwin/contacts.h"
#include "hitwin/error.h"
#include "hitwin/log.h"
#include "hitwin/stage_guard.h"
#include "hitwin/stages.h"
#include "hitwin/xalloc.h"

typedef struct {
    int chrom;
    int64_t start, end; /* bp, end exclusive; -1 = whole chromosome */
} region;

typedef struct {
    int64_t i, j;
    float v;
} pixel;

typedef struct {
    pixel *p;
    size_t n, cap;
    int intra;
    int64_t lo1, hi1, lo2, hi2;
} pixel_list;

/* "chr1", "chr1:1000000-2000000", "chr1:1,000,000-2,000,000" */
static int parse_region(const hw_contacts *f, const char *text, region *r) {
    char name[HW_NAME_CAP];
    const char *colon = strrchr(text, ':');
    size_t n = colon ? (size_t)(colon - text) : strlen(text);
    if (n >= sizeof name) return hw_fail("region '%s': chromosome name too long", text);
    memcpy(name, text, n);
    name[n] = '\0';
    r->chrom = hw_find_chrom(hw_contacts_info(f), hw_contacts_path(f), name);
    if (r->chrom < 0) return -1;
    int64_t len = hw_contacts_info(f)->chroms[r->chrom].length;
    r->start = 0;
    r->end = len;
    if (!colon) return 0;
    char digits[128];
    size_t k = 0;
    for (const char *c = colon + 1; *c && k < sizeof digits - 1; c++)
        if (*c != ',') digits[k++] = *c;
    digits[k] = '\0';
    char *end;
    long long a = strtoll(digits, &end, 10);
    if (end == digits || *end != '-') return hw_fail("region '%s': expected CHROM:START-END", text);
    char *e2;
    long long b = strtoll(end + 1, &e2, 10);
    if (e2 == end + 1 || *e2) return hw_fail("region '%s': expected CHROM:START-END", text);
    if (a < 0 || b <= a || b > len)
        return hw_fail("region '%s': coordinates outside %s (length %lld) or empty", text,
                       hw_contacts_info(f)->chroms[r->chrom].name, (long long)len);
    r->start = a;
    r->end = b;
    return 0;
}

static int collect(void *ctx, int64_t i, int64_t j, float v) {
    pixel_list *l = ctx;
    if (!isfinite(v) || v == 0.0f) return 0;
    int in = i >= l->lo1 && i < l->hi1 && j >= l->lo2 && j < l->hi2;
    if (l->intra && !in) in = j >= l->lo1 && j < l->hi1 && i >= l->lo2 && i < l->hi2;
    if (!in) return 0;
    hw_grow(&l->p, &l->cap, l->n + 1);
    l->p[l->n++] = (pixel){i, j, v};
    return 0;
}

static int cmp_pixel(const void *a, const void *b) {
    const pixel *x = a, *y = b;
    if (x->i != y->i) return x->i < y->i ? -1 : 1;
    if (x->j != y->j) return x->j < y->j ? -1 : 1;
    return 0;
}

static void usage(FILE *out) {
    fprintf(out,
            "usage: hitwin dump FILE REGION [REGION2] [options]\n"
            "Print nonzero upper-triangle pixels as chrom1 start1 end1 chrom2 start2 end2 value.\n"
            "REGION is CHROM or CHROM:START-END (bp).\n"
            "  -r, --resolution BP   bin size (default: the file's only resolution)\n"
            "  -n, --norm NAME       NONE (default), KR, VC, VC_SQRT, SCALE, weight, ...\n"
            "  -t, --type TYPE       observed (default) or oe\n");
}

int hw_dump_main(int argc, char **argv) {
    static const struct option opts[] = {{"resolution", required_argument, 0, 'r'},
                                         {"norm", required_argument, 0, 'n'},
                                         {"type", required_argument, 0, 't'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    long resolution = 0;
    const char *norm = "NONE", *type = "observed";
    int c;
    optind = 1;
    while ((c = hw_getopt(argc, argv, "r:n:t:h", opts)) != -1) {
        switch (c) {
        case 'r': {
            int64_t v;
            if (hw_parse_int("--resolution", optarg, 1, INT32_MAX, &v) != 0) return hw_usage_error(NULL);
            resolution = (long)v;
            break;
        }
        case 'n': norm = optarg; break;
        case 't': type = optarg; break;
        case 'h': usage(stdout); return 0;
        default: return hw_usage_error(usage);
        }
    }
    if (argc - optind < 2)
        return hw_usage_fail(usage, "dump: %s", optind == argc ? "FILE and REGION are missing" : "REGION is missing");
    if (argc - optind > 3)
        return hw_usage_fail(usage, "dump: at most FILE REGION REGION2, got '%s' too", argv[optind + 3]);
    hw_value_type vt;
    if (!strcasecmp(type, "observed")) vt = HW_OBSERVED;
    else if (!strcasecmp(type, "oe")) vt = HW_OE;
    else {
        log_error("--type: must be observed or oe, got '%s'", type);
        return 2;
    }
    if (hw_guard_read_only(argv[optind], 1) != 0) {
        log_error("%s", hw_error());
        return 1;
    }
    hw_contacts *f = hw_contacts_open(argv[optind]);
    if (!f) {
        log_error("%s", hw_error());
        return 1;
    }
    const hw_info *in = hw_contacts_info(f);
    int status = 1;
    pixel_list l = {0};
    if (resolution == 0) {
        if (in->nresolutions != 1) {
            char list[512] = "";
            for (int r = 0; r < in->nresolutions; r++) {
                size_t len = strlen(list);
                snprintf(list + len, sizeof list - len, "%s%d", r ? ", " : "", in->resolutions[r]);
            }
            log_error("%s: several resolutions (%s): choose one with --resolution", argv[optind], list);
            goto done;
        }
        resolution = in->resolutions[0];
    }
    region r1, r2;
    if (parse_region(f, argv[optind + 1], &r1) != 0 ||
        parse_region(f, argv[optind + (argc - optind == 3 ? 2 : 1)], &r2) != 0) {
        log_error("%s", hw_error());
        goto done;
    }
    /* inter-chromosomal: upper triangle means the file's chromosome order */
    if (r1.chrom > r2.chrom) {
        region t = r1;
        r1 = r2;
        r2 = t;
    }
    int64_t res = resolution;
    hw_query q = {.resolution = (int32_t)res, .norm = norm, .type = vt, .chrom1 = r1.chrom,
                  .chrom2 = r2.chrom, .lo1 = r1.start / res, .hi1 = (r1.end + res - 1) / res,
                  .lo2 = r2.start / res, .hi2 = (r2.end + res - 1) / res};
    l.intra = r1.chrom == r2.chrom;
    l.lo1 = q.lo1, l.hi1 = q.hi1, l.lo2 = q.lo2, l.hi2 = q.hi2;
    if (hw_contacts_fetch(f, &q, collect, &l) != 0) {
        log_error("%s", hw_error());
        goto done;
    }
    if (l.n > 1) qsort(l.p, l.n, sizeof *l.p, cmp_pixel); /* l.p is NULL for an empty region */
    const char *n1 = in->chroms[r1.chrom].name, *n2 = in->chroms[r2.chrom].name;
    int64_t len1 = in->chroms[r1.chrom].length, len2 = in->chroms[r2.chrom].length;
    for (size_t k = 0; k < l.n; k++) {
        int64_t s1 = l.p[k].i * res, s2 = l.p[k].j * res;
        int64_t e1 = s1 + res < len1 ? s1 + res : len1, e2 = s2 + res < len2 ? s2 + res : len2;
        printf("%s\t%" PRId64 "\t%" PRId64 "\t%s\t%" PRId64 "\t%" PRId64 "\t%.9g\n", n1, s1, e1, n2,
               s2, e2, (double)l.p[k].v);
    }
    status = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        log_error("standard output: write failed (%s): the dump is incomplete", strerror(errno));
        status = 1;
    }
done:
    free(l.p);
    hw_contacts_close(f);
    return status;
}
