/* Matrices as images: contact maps (viridis, optionally log10) and difference maps
 * (blue-white-red around zero), with a colour bar (plot_canvas.h). */
#include <cairo.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "hitwin/plot_canvas.h"

/* viridis at 9 evenly spaced stops (matplotlib's _viridis_data, every 32nd entry) */
static const double viridis[9][3] = {{0.267004, 0.004874, 0.329415}, {0.282623, 0.140926, 0.457517},
                                     {0.253935, 0.265254, 0.529983}, {0.206756, 0.371758, 0.553117},
                                     {0.163625, 0.471133, 0.558148}, {0.127568, 0.566949, 0.550556},
                                     {0.134692, 0.658636, 0.517649}, {0.266941, 0.748751, 0.440573},
                                     {0.993248, 0.906157, 0.143936}};

hw_rgb hw_colormap(double t, int diverging) {
    if (!isfinite(t)) return (hw_rgb){1, 1, 1};
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    if (diverging) {
        /* blue (0) - white (0.5) - red (1), as matplotlib's bwr */
        if (t < 0.5) return (hw_rgb){2 * t, 2 * t, 1};
        return (hw_rgb){1, 2 * (1 - t), 2 * (1 - t)};
    }
    double s = t * 8;
    int i = (int)s;
    if (i >= 8) i = 7;
    double f = s - i;
    hw_rgb c = {viridis[i][0] + f * (viridis[i + 1][0] - viridis[i][0]),
                viridis[i][1] + f * (viridis[i + 1][1] - viridis[i][1]),
                viridis[i][2] + f * (viridis[i + 1][2] - viridis[i][2])};
    return c;
}

static double scaled(double v, double vmin, double vmax, int logscale) {
    if (!isfinite(v)) return NAN;
    if (logscale) {
        if (v <= 0) return NAN;
        return (log10(v) - log10(vmin)) / (log10(vmax) - log10(vmin));
    }
    return (v - vmin) / (vmax - vmin);
}

void hw_heatmap(hw_canvas *c, const hw_panel *p, const float *v, int nx, int ny, double vmin,
                double vmax, int logscale, int diverging) {
    if (nx <= 0 || ny <= 0) return;
    /* one image pixel per bin, scaled up without smoothing: bins stay sharp */
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, nx, ny);
    unsigned char *data = cairo_image_surface_get_data(img);
    int stride = cairo_image_surface_get_stride(img);
    cairo_surface_flush(img);
    for (int i = 0; i < ny; i++) {
        uint32_t *row = (uint32_t *)(data + (size_t)i * stride);
        for (int j = 0; j < nx; j++) {
            hw_rgb col = hw_colormap(scaled(v[(size_t)i * nx + j], vmin, vmax, logscale), diverging);
            row[j] = ((uint32_t)(col.r * 255 + 0.5) << 16) | ((uint32_t)(col.g * 255 + 0.5) << 8) |
                     (uint32_t)(col.b * 255 + 0.5);
        }
    }
    cairo_surface_mark_dirty(img);
    cairo_t *cr = c->cr;
    cairo_save(cr);
    cairo_rectangle(cr, p->x, p->y, p->w, p->h);
    cairo_clip(cr);
    cairo_translate(cr, p->x, p->y);
    cairo_scale(cr, p->w / nx, p->h / ny);
    cairo_set_source_surface(cr, img, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
    cairo_paint(cr);
    cairo_restore(cr);
    cairo_surface_destroy(img);
}

void hw_colorbar(hw_canvas *c, double x, double y, double w, double h, double vmin, double vmax,
                 int logscale, int diverging, const char *label) {
    cairo_t *cr = c->cr;
    int steps = (int)h;
    for (int i = 0; i < steps; i++) {
        hw_rgb col = hw_colormap(1.0 - (i + 0.5) / steps, diverging);
        cairo_set_source_rgb(cr, col.r, col.g, col.b);
        cairo_rectangle(cr, x, y + i, w, 1.2);
        cairo_fill(cr);
    }
    cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
    cairo_set_line_width(cr, 0.8);
    cairo_rectangle(cr, x, y, w, h);
    cairo_stroke(cr);
    hw_panel axis = hw_panel_at(x, y, w, h);
    axis.ylog = logscale;
    hw_panel_limits(&axis, 0, 1, vmin, vmax);
    double t[32];
    char buf[64];
    int n = 0;
    if (logscale) {
        for (double e = ceil(log10(vmin)); e <= floor(log10(vmax)) && n < 32; e++) t[n++] = pow(10, e);
        if (n < 2) t[n++] = vmin, t[n++] = vmax;
    } else {
        n = hw_nice_ticks(vmin, vmax, 5, t, 32);
    }
    for (int i = 0; i < n; i++) {
        double py = hw_panel_py(&axis, t[i]);
        cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
        cairo_move_to(cr, x + w, py);
        cairo_line_to(cr, x + w + 3, py);
        cairo_stroke(cr);
        hw_tick_label(buf, sizeof buf, t[i]);
        hw_text(c, x + w + 5, py + 3.5, buf, 9, 0);
    }
    if (label) hw_text(c, x + w / 2, y - 6, label, 9, 1);
}
