/* `hitwin tile` end to end: values against the reference's tiling (fixture from
 * cooler / hic-straw, tests/fixtures/make_tile_fixtures.py), .hic and .mcool of
 * the same data give the same tiles, 1 and 2 ranks give the same store, and
 * every kind of bad input gets its one-line error, exit 1 and no output. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hitwin/error.h"
#include "hitwin/tile_store.h"
#include "test_util.h"

static const char *hitwin, *mpiexec;
static char dir[256];

static void write_file(const char *name, const char *text) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

/* Run a shell command; return its exit status, stderr captured in err. */
static int run(char *err, size_t cap, const char *fmt, ...) {
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    char full[4400];
    snprintf(full, sizeof full, "timeout 120 %s > %s/stdout.txt 2> %s/stderr.txt", cmd, dir, dir);
    int rc = system(full);
    if (err) {
        char path[512];
        snprintf(path, sizeof path, "%s/stderr.txt", dir);
        FILE *f = fopen(path, "r");
        size_t n = f ? fread(err, 1, cap - 1, f) : 0;
        err[n] = '\0';
        if (f) fclose(f);
    }
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

static int exists(const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct stat st;
    return stat(path, &st) == 0;
}

/* no temporary store left behind either */
static int leftovers(void) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "ls %s | grep -q '\\.tmp-'", dir);
    return system(cmd) == 0;
}

static const char *samples4(const char *file) {
    static char buf[2048];
    snprintf(buf, sizeof buf,
             "samples:\n"
             "  - {path: %s, condition: ctrl, replicate: R1}\n"
             "  - {path: %s, condition: ctrl, replicate: R2}\n"
             "  - {path: %s, condition: ko, replicate: R1}\n"
             "  - {path: %s, condition: ko, replicate: R2}\n",
             file, file, file, file);
    return buf;
}

/* Compare windows of a store with the fixture lines for `label`. */
static void check_fixture(const char *store_path, const char *label, const char *chrom) {
    hw_tile_store *s = hw_tile_store_open(store_path);
    CHECK(s != NULL);
    if (!s) {
        fprintf(stderr, "%s\n", hw_error());
        return;
    }
    const hw_tile_meta *m = hw_tile_store_meta(s);
    int T = m->tile_size, S = m->n_samples;
    float *tiles = malloc((size_t)S * T * T * sizeof *tiles);
    FILE *f = fopen("tests/data/tile_expected.tsv", "r");
    char line[1024];
    int checked = 0;
    while (f && fgets(line, sizeof line, f)) {
        char file[128], ch[64];
        long k, start;
        int rows, kept, r[4], c[4];
        double sum, v[4];
        if (line[0] == '#') continue;
        if (sscanf(line, "%127s %63s %ld %ld %d %d %lf %d %d %lf %d %d %lf %d %d %lf %d %d %lf", file,
                   ch, &k, &start, &rows, &kept, &sum, &r[0], &c[0], &v[0], &r[1], &c[1], &v[1],
                   &r[2], &c[2], &v[2], &r[3], &c[3], &v[3]) != 19)
            continue;
        if (strcmp(file, label) != 0) continue;
        /* find the window of that chromosome and start */
        int64_t w = -1;
        for (int64_t i = 0; i < m->n_windows; i++)
            if (!strcmp(m->chrom_name[m->win_chrom[i]], chrom) && m->win_start[i] == start) w = i;
        CHECK(w >= 0);
        if (w < 0) continue;
        CHECK_INT_EQ(hw_tile_store_read_window(s, w, tiles), 0);
        for (int smp = 0; smp < S; smp++) {
            CHECK_INT_EQ(m->rows_covered[w * S + smp], rows);
            CHECK_INT_EQ(m->kept[w * S + smp], kept);
            const float *t = tiles + (size_t)smp * T * T;
            double total = 0;
            for (int i = 0; i < T * T; i++) total += t[i];
            /* rejected tiles are not stored: they read back as zeros */
            CHECK_NEAR(total, kept ? sum : 0.0, 1e-3, 1e-6);
            for (int q = 0; kept && q < 4; q++) {
                CHECK_NEAR(t[r[q] * T + c[q]], v[q], 1e-6, 1e-6);
                CHECK_NEAR(t[c[q] * T + r[q]], v[q], 1e-6, 1e-6); /* symmetric */
            }
        }
        checked++;
    }
    if (f) fclose(f);
    CHECK(checked >= 5);
    free(tiles);
    hw_tile_store_close(s);
}

int main(void) {
    hitwin = getenv("HITWIN");
    mpiexec = getenv("MPIEXEC");
    if (!hitwin) {
        fprintf(stderr, "HITWIN is not set (run through ctest)\n");
        return 77;
    }
    if (!mpiexec) mpiexec = "mpiexec";
    char cwd[1024];
    if (!getcwd(cwd, sizeof cwd)) return 1;
    snprintf(dir, sizeof dir, "/tmp/hw_tile_XXXXXX");
    if (!mkdtemp(dir)) return 1;
    char err[8192], cfg[4096], path[1024], want[2048];

    /* ---- real data: 10 kb cooler covering chr1:160-180 Mb, as 4 samples ---- */
    /* paths in a config are relative to its directory: use absolute ones here */
    snprintf(path, sizeof path, "%s/../shared/data/unittest_matrix_2.cool", cwd);
    snprintf(cfg, sizeof cfg, "name: real\nresolution: 10000\nsplit: {test: [], validation: []}\n%soutput: one.h5\n",
             samples4(path));
    write_file("real.yaml", cfg);
    CHECK_INT_EQ(run(err, sizeof err, "%s tile %s/real.yaml", hitwin, dir), 0);
    snprintf(path, sizeof path, "%s/one.h5", dir);
    check_fixture(path, "unittest_matrix_2.cool", "chr1");
    hw_tile_store *s = hw_tile_store_open(path);
    CHECK(s != NULL);
    if (s) {
        const hw_tile_meta *m = hw_tile_store_meta(s);
        CHECK_INT_EQ(m->n_windows, 635); /* (180,000,000 - 2,230,000) / 280,000 + 1 */
        CHECK_INT_EQ(m->n_samples, 4);
        CHECK_INT_EQ(m->tile_size, 224);
        CHECK_INT_EQ(m->stride, 28);
        CHECK_INT_EQ(m->class_id[2], 1);
        CHECK_STR_EQ(m->condition[3], "ko");
        int kept = 0;
        for (int64_t w = 0; w < m->n_windows; w++) kept += m->kept[w * 4];
        CHECK_INT_EQ(kept, 64); /* windows 571..634: the data covers 160-180 Mb only */
        CHECK(strstr(m->config_yaml, "resolution: 10000") != NULL);
        CHECK(strncmp(m->version, "hitwin ", 7) == 0);
        CHECK_INT_EQ(m->win_split[0], 0);
        hw_tile_store_close(s);
    }
    CHECK(strstr(err, "tile: ctrl_R1 chr1: 64 kept, 571 rejected") != NULL);

    /* 2 ranks: the same store (same output name, so the stored config matches) */
    snprintf(want, sizeof want, "mv %s/one.h5 %s/one_rank1.h5", dir, dir);
    CHECK_INT_EQ(system(want), 0);
    CHECK_INT_EQ(run(err, sizeof err, "%s --quiet -n 2 --oversubscribe %s tile %s/real.yaml", mpiexec, hitwin, dir), 0);
    CHECK_INT_EQ(run(err, sizeof err, "h5diff %s/one_rank1.h5 %s/one.h5", dir, dir), 0);

    /* ---- .hic and .mcool of the same contacts give the same tiles ---- */
    for (int k = 0; k < 2; k++) {
        const char *ext = k ? "hic" : "mcool";
        char file[1024], name[64];
        snprintf(file, sizeof file, "%s/tests/data/tile_pair.%s", cwd, ext);
        snprintf(cfg, sizeof cfg, "resolution: 10000\nsplit: {test: [chr21], validation: []}\n%soutput: pair_%s.h5\n",
                 samples4(file), ext);
        snprintf(name, sizeof name, "pair_%s.yaml", ext);
        write_file(name, cfg);
        CHECK_INT_EQ(run(err, sizeof err, "%s --quiet -n 2 --oversubscribe %s tile %s/%s", mpiexec, hitwin, dir, name), 0);
        snprintf(path, sizeof path, "%s/pair_%s.h5", dir, ext);
        check_fixture(path, k ? "tile_pair.hic" : "tile_pair.mcool", "chr7");
    }
    CHECK_INT_EQ(run(err, sizeof err, "h5diff %s/pair_hic.h5 %s/pair_mcool.h5 /tiles", dir, dir), 0);
    CHECK_INT_EQ(run(err, sizeof err, "h5diff %s/pair_hic.h5 %s/pair_mcool.h5 /qc/kept", dir, dir), 0);
    CHECK_INT_EQ(run(err, sizeof err, "h5diff %s/pair_hic.h5 %s/pair_mcool.h5 /windows/split", dir, dir), 0);

    /* ---- bad input: one line, exit 1, nothing left behind ---- */
    struct {
        const char *what, *config, *args, *message;
    } bad[] = {
        {"missing file", "resolution: 10000\nsplit: {test: [], validation: []}\n%soutput: bad.h5\n", "",
         "hitwin: error: %s/nothere.mcool: no such file (sample ctrl_R1 in %s/bad.yaml)\n"},
        {"not a Hi-C file", NULL, "", "hitwin: error: %s/real.yaml: not a Hi-C file (neither .hic nor HDF5 .cool/.mcool)\n"},
        {"resolution absent", NULL, "--set resolution=5000",
         "hitwin: error: %s/tests/data/tile_pair.hic: resolution 5000 bp not in file (has 10000); all samples must offer the dataset's resolution\n"},
        {"normalisation absent", NULL, "--set normalisation=KR",
         "hitwin: error: %s/tests/data/tile_pair.hic: normalisation KR not available at 10000 bp (has NONE)\n"},
        {"unknown split chromosome", NULL, "--set split.test=chr99",
         "hitwin: error: split.test: %s/tests/data/tile_pair.hic: no chromosome 'chr99' (file has: chr7, chr21)\n"},
        {"output not writable", NULL, "-o /nonexistent/dir/x.h5",
         "hitwin: error: /nonexistent/dir/x.h5: directory /nonexistent/dir does not exist (-o)\n"},
    };
    for (size_t b = 0; b < sizeof bad / sizeof *bad; b++) {
        char file[1024];
        if (b == 0) snprintf(file, sizeof file, "%s/nothere.mcool", dir);
        else if (b == 1) snprintf(file, sizeof file, "%s/real.yaml", dir);
        else snprintf(file, sizeof file, "%s/tests/data/tile_pair.hic", cwd);
        snprintf(cfg, sizeof cfg, "resolution: 10000\nsplit: {test: [], validation: []}\n%soutput: bad.h5\n",
                 samples4(file));
        write_file("bad.yaml", cfg);
        for (int ranks = 1; ranks <= 2; ranks++) {
            int rc = ranks == 1 ? run(err, sizeof err, "%s tile %s/bad.yaml %s", hitwin, dir, bad[b].args)
                                : run(err, sizeof err, "%s --quiet -n 2 --oversubscribe %s tile %s/bad.yaml %s",
                                      mpiexec, hitwin, dir, bad[b].args);
            snprintf(want, sizeof want, bad[b].message, b < 2 ? dir : cwd, dir);
            if (rc != 1 || strcmp(err, want) != 0)
                fprintf(stderr, "case '%s' (%d ranks): rc %d\n", bad[b].what, ranks, rc);
            CHECK_INT_EQ(rc, 1);
            CHECK_STR_EQ(err, want);
            CHECK(!exists("bad.h5"));
            CHECK(!leftovers());
        }
    }
    /* A corrupt block found mid-run by whichever rank holds that unit: every rank
     * stops, the message names file and cause, no store is left. A truncated
     * file is caught before any work starts. */
    char src[1024], corrupt[600], trunc[600];
    snprintf(src, sizeof src, "%s/tests/data/tile_pair.hic", cwd);
    snprintf(corrupt, sizeof corrupt, "%s/corrupt.hic", dir);
    snprintf(trunc, sizeof trunc, "%s/trunc.hic", dir);
    FILE *in = fopen(src, "rb");
    static unsigned char bytes[1 << 20];
    size_t nbytes = in ? fread(bytes, 1, sizeof bytes, in) : 0;
    if (in) fclose(in);
    CHECK(nbytes > 60000);
    FILE *out = fopen(trunc, "wb");
    fwrite(bytes, 1, 50000, out);
    fclose(out);
    memset(bytes + 20000, 0xff, 64); /* inside chr7's first block */
    out = fopen(corrupt, "wb");
    fwrite(bytes, 1, nbytes, out);
    fclose(out);
    for (int k = 0; k < 2; k++) {
        snprintf(cfg, sizeof cfg,
                 "resolution: 10000\nsplit: {test: [], validation: []}\nsamples:\n"
                 "  - {path: %s, condition: ctrl, replicate: R1}\n"
                 "  - {path: %s, condition: ctrl, replicate: R2}\n"
                 "  - {path: %s, condition: ko, replicate: R1}\n"
                 "  - {path: %s, condition: ko, replicate: R2}\noutput: bad.h5\n",
                 src, src, src, k ? trunc : corrupt);
        write_file("bad.yaml", cfg);
        int rc = run(err, sizeof err, "%s --quiet -n 2 --oversubscribe %s tile -q %s/bad.yaml", mpiexec,
                     hitwin, dir);
        CHECK_INT_EQ(rc, 1);
        if (k) snprintf(want, sizeof want, "hitwin: error: %s: truncated file (needed 8 bytes at offset 94817, file has 50000)\n", trunc);
        else snprintf(want, sizeof want, "hitwin: error: ko_R2 (chromosome chr7): %s: corrupt zlib block at offset 109 (chromosome chr7, resolution 10000)\n", corrupt);
        CHECK_STR_EQ(err, want);
        CHECK(!exists("bad.h5"));
        CHECK(!leftovers());
    }

    /* samples at different resolutions: the one without the dataset's is named */
    snprintf(cfg, sizeof cfg,
             "resolution: 10000\nsplit: {test: [], validation: []}\nsamples:\n"
             "  - {path: %s/tests/data/tile_pair.hic, condition: ctrl, replicate: R1}\n"
             "  - {path: %s/tests/data/tile_pair.mcool, condition: ctrl, replicate: R2}\n"
             "  - {path: %s/tests/data/tile_pair.hic, condition: ko, replicate: R1}\n"
             "  - {path: %s/../shared/data/gm12878_raw_values.cool, condition: ko, replicate: R2}\n"
             "output: bad.h5\n", cwd, cwd, cwd, cwd);
    write_file("bad.yaml", cfg);
    CHECK_INT_EQ(run(err, sizeof err, "%s tile %s/bad.yaml", hitwin, dir), 1);
    snprintf(want, sizeof want,
             "hitwin: error: %s/../shared/data/gm12878_raw_values.cool: resolution 10000 bp not in file "
             "(has 2500000); all samples must offer the dataset's resolution\n", cwd);
    CHECK_STR_EQ(err, want);
    CHECK(!exists("bad.h5"));

    /* too few replicates and an unknown key: the config's own errors */
    write_file("few.yaml", "resolution: 10000\nsamples:\n  - {path: a.hic, condition: c, replicate: R1}\n");
    CHECK_INT_EQ(run(err, sizeof err, "%s --quiet -n 2 --oversubscribe %s tile %s/few.yaml", mpiexec, hitwin, dir), 1);
    snprintf(want, sizeof want, "hitwin: error: %s/few.yaml: condition 'c' has 1 replicate, at least 2 needed\n", dir);
    CHECK_STR_EQ(err, want);
    write_file("key.yaml", "resolution: 10000\ntile: 5\nsamples: []\n");
    CHECK_INT_EQ(run(err, sizeof err, "%s tile %s/key.yaml", hitwin, dir), 1);
    CHECK(strstr(err, "key.yaml:2: unknown key 'tile' in dataset config") != NULL);

    if (test_failures == 0) {
        snprintf(want, sizeof want, "rm -rf %s", dir);
        if (system(want) != 0) return 1;
    } else {
        fprintf(stderr, "outputs kept in %s\n", dir);
    }
    return TEST_RESULT();
}
