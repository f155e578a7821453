/* hw_regions_read / hw_regions_overlap (src/io/bed_regions.c): header, comment and blank lines
 * skipped, tabs or spaces, the chr aliases, extra columns ignored; each malformed line is one
 * error naming the file and the line; the overlap is half-open. And the line reader under it
 * and evaluate's truth (hw_bed_lines_read, src/io/bed_lines.c): which lines reach the
 * callback, their fields and line numbers, at most HW_BED_MAX_FIELDS fields, a callback's
 * error stopping the read. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "hitwin/bed_lines.h"
#include "hitwin/bed_regions.h"
#include "hitwin/error.h"
#include "test_util.h"

static const char *write_bed(const char *text) {
    static char path[64];
    snprintf(path, sizeof path, "/tmp/hw_bed_%d.bed", (int)getpid());
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

static char *names[] = {"chr1", "chr2", "chrX", "MT"};

static const char *read_err(const char *text) {
    hw_regions r;
    const char *p = write_bed(text);
    if (hw_regions_read(p, names, 4, &r) == 0) {
        hw_regions_free(&r);
        return "(no error)";
    }
    static char msg[512];
    /* the message without the temporary file's name */
    const char *e = hw_error();
    size_t n = strlen(p);
    snprintf(msg, sizeof msg, "%s", strncmp(e, p, n) == 0 ? e + n : e);
    return msg;
}

/* every line the reader passes on, as "LINE:NF:first|last;"; stops (with an error) at "stop" */
static int collect(void *ctx, const char *path, int64_t lineno, char **f, int nf) {
    char *out = ctx;
    if (!strcmp(f[0], "stop")) return hw_fail("%s:%lld: stop here", path, (long long)lineno);
    snprintf(out + strlen(out), 512 - strlen(out), "%lld:%d:%s|%s;", (long long)lineno, nf, f[0], f[nf - 1]);
    return 0;
}

static void test_lines(void) {
    char got[512] = "";
    const char *p = write_bed("  track name=x\nbrowser hide all\n\t# indented comment\n \t \r\n"
                              "trackline 1 2\nchr1  10\t20 \r\n"
                              "a 2 3 4 5 6 7 8 9 10\nonly\n");
    CHECK_INT_EQ(hw_bed_lines_read(p, collect, got), 0);
    /* "trackline" is a chromosome name, not a header; tabs, runs of spaces and CR split; the
     * ninth field and later are not split off */
    CHECK_STR_EQ(got, "5:3:trackline|2;6:3:chr1|20;7:8:a|8;8:1:only|only;");
    got[0] = 0;
    CHECK_INT_EQ(hw_bed_lines_read(write_bed("x 1 2\nstop 1 2\ny 1 2\n"), collect, got), -1);
    CHECK_STR_EQ(got, "1:3:x|2;");
    CHECK(strstr(hw_error(), ":2: stop here") != NULL);
    got[0] = 0;
    CHECK_INT_EQ(hw_bed_lines_read(write_bed(""), collect, got), 0);
    CHECK_STR_EQ(got, "");
}

int main(void) {
    test_lines();
    hw_regions r;
    const char *p = write_bed("track name=calls useScore=1\nbrowser position chr1:1-100\n# note\n\n"
                              "chr2\t100\t200\tpairwise\t500\t.\t3.1\t0.01\n"
                              "1 5000 6000\n"
                              "X\t0\t10\r\n"
                              "chrM\t7\t8\n");
    CHECK_INT_EQ(hw_regions_read(p, names, 4, &r), 0);
    CHECK_INT_EQ(r.n, 4);
    if (r.n == 4) {
        CHECK_INT_EQ(r.chrom[0], 1); CHECK_INT_EQ(r.start[0], 100); CHECK_INT_EQ(r.end[0], 200);
        CHECK_INT_EQ(r.chrom[1], 0); CHECK_INT_EQ(r.start[1], 5000);
        CHECK_INT_EQ(r.chrom[2], 2); CHECK_INT_EQ(r.end[2], 10);
        CHECK_INT_EQ(r.chrom[3], 3);
    }
    CHECK_INT_EQ(hw_regions_overlap(&r, 1, 0, 100), 0);   /* ends where the region starts */
    CHECK_INT_EQ(hw_regions_overlap(&r, 1, 0, 101), 1);
    CHECK_INT_EQ(hw_regions_overlap(&r, 1, 199, 300), 1);
    CHECK_INT_EQ(hw_regions_overlap(&r, 1, 200, 300), 0);  /* starts where it ends */
    CHECK_INT_EQ(hw_regions_overlap(&r, 0, 100, 200), 0);  /* another chromosome */
    CHECK_INT_EQ(hw_regions_overlap(&r, 0, 5500, 5501), 1); /* inside */
    hw_regions_free(&r);
    CHECK_INT_EQ(hw_regions_read(write_bed(""), names, 4, &r), 0);
    CHECK_INT_EQ(r.n, 0);
    hw_regions_free(&r);

    CHECK_STR_EQ(read_err("chr1\t10\n"), ":1: expected chrom, start and end");
    CHECK_STR_EQ(read_err("# c\nchr1\t10\t2e3\n"), ":2: start and end must be whole numbers >= 0, got '10' and '2e3'");
    CHECK_STR_EQ(read_err("chr1\t-5\t20\n"), ":1: start and end must be whole numbers >= 0, got '-5' and '20'");
    CHECK_STR_EQ(read_err("chr1\t20\t20\n"), ":1: end 20 is not after start 20");
    CHECK_STR_EQ(read_err("chr1\t1\t2\nchr3\t1\t2\n"), ":2: chromosome 'chr3' is not in the tile store");
    /* fputs stops at the NUL: a file cut inside its second line */
    CHECK_STR_EQ(read_err("chr1\t1\t2\nchr\0\t1\t2\n"), ":2: expected chrom, start and end");
    FILE *f = fopen(p, "wb");
    fwrite("chr1\t1\t2\nch\0r1\t1\t2\n", 1, 19, f);
    fclose(f);
    CHECK_INT_EQ(hw_regions_read(p, names, 4, &r), -1);
    CHECK(strstr(hw_error(), ":2: a NUL byte: not a text file") != NULL);
    remove(p);
    CHECK_INT_EQ(hw_regions_read("/nonexistent/x.bed", names, 4, &r), -1);
    CHECK_STR_EQ(hw_error(), "/nonexistent/x.bed: cannot open (No such file or directory)");
    return TEST_RESULT();
}
