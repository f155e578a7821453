/* The plotting layer (plot_canvas.h, plot.h, train_metrics.h): tick positions and labels,
 * region and label parsing with their exact messages, a drawn PNG read back (its size, a
 * line's pixels where the data put them, white elsewhere, no temporary left), the
 * unknown-format refusal, and the metrics.jsonl reader (resumed epochs, bad lines). */
#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hitwin/error.h"
#include "hitwin/plot.h"
#include "hitwin/plot_canvas.h"
#include "hitwin/train_metrics.h"
#include "test_util.h"

static void test_ticks(void) {
    double t[32];
    int n = hw_nice_ticks(0, 1, 5, t, 32);
    CHECK_INT_EQ(n, 6);
    CHECK_NEAR(t[0], 0, 0, 0);
    CHECK_NEAR(t[1], 0.2, 1e-12, 0);
    CHECK_NEAR(t[5], 1, 1e-12, 0);
    n = hw_nice_ticks(1.3e6, 22.6e6, 9, t, 32); /* a chromosome in bp: 2.5 Mb steps */
    CHECK_INT_EQ(n, 9);
    CHECK_NEAR(t[0], 2.5e6, 1e-6, 0);
    CHECK_NEAR(t[8], 22.5e6, 1e-6, 0);
    n = hw_nice_ticks(-0.37, 0.41, 4, t, 32);
    CHECK_INT_EQ(n, 4);
    CHECK_NEAR(t[0], -0.2, 1e-12, 0);
    CHECK_NEAR(t[1], 0, 0, 0);
    CHECK_INT_EQ(hw_nice_ticks(1, 1, 5, t, 32), 0);
    char b[32];
    hw_tick_label(b, sizeof b, 2.5e6 / 1e6);
    CHECK_STR_EQ(b, "2.5");
    hw_tick_label(b, sizeof b, 12);
    CHECK_STR_EQ(b, "12");
    hw_tick_label(b, sizeof b, 1e-5);
    CHECK_STR_EQ(b, "1e-05");
}

static void test_region_and_labels(void) {
    hw_plot_region r;
    CHECK(hw_plot_region_parse("chr2:1,000,000-2,500,000", &r) == 0);
    CHECK_STR_EQ(r.chrom, "chr2");
    CHECK_INT_EQ(r.start, 1000000);
    CHECK_INT_EQ(r.end, 2500000);
    CHECK(hw_plot_region_parse("chrX", &r) == 0);
    CHECK_INT_EQ(r.end, -1);
    CHECK(hw_plot_region_parse("chr2:5-x", &r) != 0);
    CHECK_STR_EQ(hw_error(), "--region 'chr2:5-x': expected CHROM or CHROM:START-END (bp)");
    CHECK(hw_plot_region_parse("chr2:500-100", &r) != 0);
    CHECK_STR_EQ(hw_error(), "--region 'chr2:500-100': the end is not after the start");
    CHECK(hw_plot_chrom_match("chr2", "2"));
    CHECK(!hw_plot_chrom_match("chr2", "chr22"));
    char *paths[] = {"sw/runs/lr-0.001/distance/best_distances.h5", "sw/runs/lr-0.01/distance/best_distances.h5"};
    char **l = hw_plot_labels(paths, 2);
    CHECK_STR_EQ(l[0], "lr-0.001");
    CHECK_STR_EQ(l[1], "lr-0.01");
    free(l[0]), free(l[1]), free(l);
    char *one[] = {"dist/best_distances.h5"};
    l = hw_plot_labels(one, 1);
    CHECK_STR_EQ(l[0], "best_distances");
    free(l[0]), free(l);
}

/* red channel of pixel (x, y) of a PNG, and its size */
static int png_pixel(const char *path, int x, int y, int *w, int *h, unsigned *rgb) {
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) return -1;
    *w = cairo_image_surface_get_width(s), *h = cairo_image_surface_get_height(s);
    const unsigned char *d = cairo_image_surface_get_data(s);
    *rgb = ((const uint32_t *)(d + (size_t)y * cairo_image_surface_get_stride(s)))[x] & 0xffffff;
    cairo_surface_destroy(s);
    return 0;
}

static void test_png(const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/line.png", dir);
    hw_canvas c;
    CHECK(hw_canvas_open(&c, path, 300, 200) == 0);
    hw_panel p = hw_panel_at(50, 20, 200, 150);
    hw_panel_limits(&p, 0, 10, 0, 1);
    CHECK_NEAR(hw_panel_px(&p, 5), 150, 1e-12, 0);
    CHECK_NEAR(hw_panel_py(&p, 0.5), 95, 1e-12, 0);
    hw_panel_axes(&c, &p, "x", "y", "t", 1);
    double x[2] = {0, 10}, y[2] = {0.5, 0.5};
    hw_plot_line(&c, &p, x, y, 2, (hw_rgb){1, 0, 0}, 4, 0);
    CHECK(access(path, F_OK) != 0); /* nothing at the name before close */
    CHECK(hw_canvas_close(&c) == 0);
    int w, h;
    unsigned rgb;
    CHECK(png_pixel(path, 150, 95, &w, &h, &rgb) == 0);
    CHECK_INT_EQ(w, 300);
    CHECK_INT_EQ(h, 200);
    CHECK_INT_EQ(rgb, 0xff0000);            /* the line at y = 0.5 */
    CHECK(png_pixel(path, 150, 60, &w, &h, &rgb) == 0);
    CHECK_INT_EQ(rgb, 0xffffff);            /* the panel above it stays white */
    CHECK(png_pixel(path, 50, 100, &w, &h, &rgb) == 0);
    CHECK((rgb & 0xff) < 0xc0);             /* the frame's left edge (antialiased: half a pixel) */
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s/line.png.tmp-%ld.png", dir, (long)getpid());
    CHECK(access(tmp, F_OK) != 0);
    snprintf(path, sizeof path, "%s/fig.jpg", dir);
    CHECK(hw_canvas_open(&c, path, 10, 10) != 0);
    char want[600];
    snprintf(want, sizeof want, "%s: unknown figure format (expected .png, .svg or .pdf)", path);
    CHECK_STR_EQ(hw_error(), want);
    /* SVG and PDF: written, non-empty, with their magic */
    const char *ext[2] = {"svg", "pdf"}, *magic[2] = {"<?xml", "%PDF"};
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "%s/fig.%s", dir, ext[k]);
        CHECK(hw_canvas_open(&c, path, 100, 100) == 0);
        hw_text(&c, 10, 50, "x", 10, 0);
        CHECK(hw_canvas_close(&c) == 0);
        FILE *fp = fopen(path, "r");
        char head[8] = "";
        CHECK(fp && fread(head, 1, 5, fp) >= 4);
        if (fp) fclose(fp);
        CHECK(!strncmp(head, magic[k], strlen(magic[k])));
    }
}

static void test_metrics(const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/metrics.jsonl", dir);
    FILE *fp = fopen(path, "w");
    fputs("{\"epoch\": 1, \"step\": 5, \"loss\": \"triplet\", \"train_loss\": 0.9, \"val_loss\": 0.8, "
          "\"seconds\": 2.5, \"best\": true}\n"
          "{\"epoch\": 2, \"step\": 10, \"loss\": \"triplet\", \"train_loss\": 0.7, \"val_loss\": null, "
          "\"seconds\": 2.0, \"best\": false}\n"
          /* resumed from epoch 1's state: epoch 2 again, the later line wins */
          "{\"epoch\": 2, \"step\": 10, \"loss\": \"triplet\", \"train_loss\": 0.6, \"val_loss\": 0.5, "
          "\"seconds\": 3.0, \"best\": true}\n",
          fp);
    fclose(fp);
    hw_train_metrics m;
    CHECK(hw_train_metrics_read(path, &m) == 0);
    CHECK_INT_EQ(m.n, 2);
    CHECK_STR_EQ(m.loss, "triplet");
    CHECK_NEAR(m.v[HW_MET_TRAIN_LOSS][1], 0.6, 0, 0);
    CHECK_NEAR(m.v[HW_MET_VAL_LOSS][1], 0.5, 0, 0);
    CHECK(isnan(m.v[HW_MET_VAL_ACCURACY][0]));
    CHECK_INT_EQ(hw_train_metrics_best(&m), 1);
    hw_train_metrics_free(&m);
    fp = fopen(path, "w");
    fputs("{\"epoch\": 1, \"train_loss\": 0.9}\nnot json\n", fp);
    fclose(fp);
    CHECK(hw_train_metrics_read(path, &m) != 0);
    char want[600];
    snprintf(want, sizeof want, "%s:2: not a metrics line (expected {\"epoch\": N, ...})", path);
    CHECK_STR_EQ(hw_error(), want);
    fp = fopen(path, "w");
    fclose(fp);
    CHECK(hw_train_metrics_read(path, &m) != 0);
    snprintf(want, sizeof want, "%s: no epochs", path);
    CHECK_STR_EQ(hw_error(), want);
}

int main(void) {
    char dir[] = "/tmp/hw_plot_canvas.XXXXXX";
    if (!mkdtemp(dir)) return 1;
    test_ticks();
    test_region_and_labels();
    test_png(dir);
    test_metrics(dir);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) test_failures++;
    return TEST_RESULT();
}
