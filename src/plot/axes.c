/* Panels in data units: limits, ticks, frames, lines, bands and legends on a canvas
 * (plot_canvas.h). Our own axes, since cairo draws paths and text, not plots. */
#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hitwin/plot_canvas.h"

static const double tab10[10][3] = {
    {0x1f, 0x77, 0xb4}, {0xff, 0x7f, 0x0e}, {0x2c, 0xa0, 0x2c}, {0xd6, 0x27, 0x28}, {0x94, 0x67, 0xbd},
    {0x8c, 0x56, 0x4b}, {0xe3, 0x77, 0xc2}, {0x7f, 0x7f, 0x7f}, {0xbc, 0xbd, 0x22}, {0x17, 0xbe, 0xcf}};

hw_rgb hw_palette(int i) {
    i = ((i % 10) + 10) % 10;
    return (hw_rgb){tab10[i][0] / 255.0, tab10[i][1] / 255.0, tab10[i][2] / 255.0};
}

hw_panel hw_panel_at(double x, double y, double w, double h) {
    hw_panel p = {.x = x, .y = y, .w = w, .h = h, .xmin = 0, .xmax = 1, .ymin = 0, .ymax = 1};
    return p;
}

void hw_range_update(double *lo, double *hi, const double *v, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(v[i])) continue;
        if (!(v[i] >= *lo)) *lo = v[i]; /* also replaces a NaN start */
        if (!(v[i] <= *hi)) *hi = v[i];
    }
}

static void widen(double *lo, double *hi, int logscale) {
    if (!isfinite(*lo) || !isfinite(*hi)) *lo = logscale ? 1 : 0, *hi = logscale ? 10 : 1;
    if (*hi <= *lo) {
        double d = *lo != 0 ? fabs(*lo) * 0.1 : 0.5;
        *lo -= d, *hi += d;
    }
}

void hw_panel_limits(hw_panel *p, double xmin, double xmax, double ymin, double ymax) {
    widen(&xmin, &xmax, 0);
    widen(&ymin, &ymax, p->ylog);
    p->xmin = xmin, p->xmax = xmax, p->ymin = ymin, p->ymax = ymax;
}

double hw_panel_px(const hw_panel *p, double x) {
    return p->x + (x - p->xmin) / (p->xmax - p->xmin) * p->w;
}

double hw_panel_py(const hw_panel *p, double y) {
    if (p->ylog) {
        double lo = log10(p->ymin), hi = log10(p->ymax);
        return p->y + p->h - (log10(y) - lo) / (hi - lo) * p->h;
    }
    return p->y + p->h - (y - p->ymin) / (p->ymax - p->ymin) * p->h;
}

int hw_nice_ticks(double lo, double hi, int max_ticks, double *ticks, int cap) {
    if (!(hi > lo) || max_ticks < 1) return 0;
    double rough = (hi - lo) / max_ticks, mag = pow(10, floor(log10(rough)));
    static const double steps[] = {1, 2, 2.5, 5, 10};
    double step = 10 * mag;
    for (int i = 0; i < 5; i++)
        if (steps[i] * mag >= rough) {
            step = steps[i] * mag;
            break;
        }
    int n = 0;
    /* the tolerance keeps a tick that lands on a limit after rounding */
    double eps = step * 1e-9;
    for (double t = ceil((lo - eps) / step) * step; t <= hi + eps && n < cap; t += step)
        ticks[n++] = fabs(t) < eps ? 0 : t;
    return n;
}

void hw_tick_label(char *out, int cap, double v) {
    if (v != 0 && (fabs(v) < 1e-3 || fabs(v) >= 1e6)) snprintf(out, (size_t)cap, "%.3g", v);
    else snprintf(out, (size_t)cap, "%.6g", v);
}

void hw_text(hw_canvas *c, double x, double y, const char *s, double size, int align) {
    cairo_t *cr = c->cr;
    cairo_set_font_size(cr, size);
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    double dx = align == 1 ? -e.x_advance / 2 : align == 2 ? -e.x_advance : 0;
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    cairo_move_to(cr, x + dx, y);
    cairo_show_text(cr, s);
}

static void vertical_text(hw_canvas *c, double x, double y, const char *s, double size) {
    cairo_t *cr = c->cr;
    cairo_save(cr);
    cairo_translate(cr, x, y);
    cairo_rotate(cr, -M_PI / 2);
    hw_text(c, 0, 0, s, size, 1);
    cairo_restore(cr);
}

void hw_panel_axes(hw_canvas *c, const hw_panel *p, const char *xlabel, const char *ylabel,
                   const char *title, double x_scale) {
    cairo_t *cr = c->cr;
    cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, p->x, p->y, p->w, p->h);
    cairo_stroke(cr);
    double t[64];
    char buf[64];
    int max_x = (int)fmax(3, p->w / 80), n = 0;
    if (p->xinteger) {
        /* whole epochs: steps of 1, 2, 5, 10, 20, 50, ... */
        double lo = ceil(p->xmin), hi = floor(p->xmax), step = 1;
        for (int k = 0; (hi - lo) / step > max_x; k++) step *= k % 3 == 1 ? 2.5 : 2;
        for (double v = ceil(lo / step) * step; v <= hi && n < 64; v += step) t[n++] = v;
    } else {
        n = hw_nice_ticks(p->xmin, p->xmax, max_x, t, 64);
    }
    for (int i = 0; i < n; i++) {
        double x = hw_panel_px(p, t[i]);
        cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
        cairo_move_to(cr, x, p->y + p->h);
        cairo_line_to(cr, x, p->y + p->h + 4);
        cairo_stroke(cr);
        hw_tick_label(buf, sizeof buf, t[i] / x_scale);
        hw_text(c, x, p->y + p->h + 15, buf, 10, 1);
    }
    if (p->no_y_ticks) {
        /* no y ticks */
    } else if (p->ylog) {
        for (double e = floor(log10(p->ymin)); e <= ceil(log10(p->ymax)); e++) {
            double v = pow(10, e);
            if (v < p->ymin * (1 - 1e-9) || v > p->ymax * (1 + 1e-9)) continue;
            t[0] = v, n = 1;
            double y = hw_panel_py(p, v);
            cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
            cairo_move_to(cr, p->x - 4, y);
            cairo_line_to(cr, p->x, y);
            cairo_stroke(cr);
            hw_tick_label(buf, sizeof buf, v);
            hw_text(c, p->x - 7, y + 3.5, buf, 10, 2);
        }
    } else {
        n = hw_nice_ticks(p->ymin, p->ymax, (int)fmax(2, p->h / 45), t, 64);
        for (int i = 0; i < n; i++) {
            double y = hw_panel_py(p, t[i]);
            cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
            cairo_move_to(cr, p->x - 4, y);
            cairo_line_to(cr, p->x, y);
            cairo_stroke(cr);
            /* light grid lines: values are read off the axis at a glance */
            cairo_set_source_rgba(cr, 0, 0, 0, 0.08);
            cairo_move_to(cr, p->x, y);
            cairo_line_to(cr, p->x + p->w, y);
            cairo_stroke(cr);
            hw_tick_label(buf, sizeof buf, t[i]);
            hw_text(c, p->x - 7, y + 3.5, buf, 10, 2);
        }
    }
    if (xlabel) hw_text(c, p->x + p->w / 2, p->y + p->h + 32, xlabel, 11, 1);
    if (ylabel) vertical_text(c, p->x - 45, p->y + p->h / 2, ylabel, 11);
    if (title) hw_text(c, p->x + p->w / 2, p->y - 8, title, 12, 1);
}

static void clip_to(hw_canvas *c, const hw_panel *p) {
    cairo_save(c->cr);
    cairo_rectangle(c->cr, p->x, p->y, p->w, p->h);
    cairo_clip(c->cr);
}

static void set_dash(cairo_t *cr, int dashed) {
    static const double dash[] = {6, 4};
    cairo_set_dash(cr, dash, dashed ? 2 : 0, 0);
}

static int usable(const hw_panel *p, double y) {
    return isfinite(y) && (!p->ylog || y > 0);
}

void hw_plot_line(hw_canvas *c, const hw_panel *p, const double *x, const double *y, int64_t n,
                  hw_rgb col, double width, int dashed) {
    cairo_t *cr = c->cr;
    clip_to(c, p);
    cairo_set_source_rgb(cr, col.r, col.g, col.b);
    cairo_set_line_width(cr, width);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    set_dash(cr, dashed);
    int open = 0;
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !usable(p, y[i])) {
            open = 0;
            continue;
        }
        double px = hw_panel_px(p, x[i]), py = hw_panel_py(p, y[i]);
        if (open) cairo_line_to(cr, px, py);
        else cairo_move_to(cr, px, py);
        /* a lone point between gaps still shows */
        if (!open && (i + 1 == n || !usable(p, y[i + 1]))) cairo_line_to(cr, px + 0.5, py);
        open = 1;
    }
    cairo_stroke(cr);
    set_dash(cr, 0);
    cairo_restore(cr);
}

void hw_plot_band(hw_canvas *c, const hw_panel *p, const double *x, const double *lo,
                  const double *hi, int64_t n, hw_rgb col, double alpha) {
    cairo_t *cr = c->cr;
    clip_to(c, p);
    cairo_set_source_rgba(cr, col.r, col.g, col.b, alpha);
    int64_t i = 0;
    while (i < n) {
        while (i < n && !(isfinite(x[i]) && usable(p, lo[i]) && usable(p, hi[i]))) i++;
        int64_t s = i;
        while (i < n && isfinite(x[i]) && usable(p, lo[i]) && usable(p, hi[i])) i++;
        if (i - s < 1) continue;
        for (int64_t k = s; k < i; k++) {
            double px = hw_panel_px(p, x[k]), py = hw_panel_py(p, hi[k]);
            if (k == s) cairo_move_to(cr, px, py);
            else cairo_line_to(cr, px, py);
        }
        for (int64_t k = i - 1; k >= s; k--) cairo_line_to(cr, hw_panel_px(p, x[k]), hw_panel_py(p, lo[k]));
        cairo_close_path(cr);
        cairo_fill(cr);
    }
    cairo_restore(cr);
}

void hw_plot_markers(hw_canvas *c, const hw_panel *p, const double *x, const double *y, int64_t n,
                     hw_rgb col, double radius) {
    cairo_t *cr = c->cr;
    clip_to(c, p);
    cairo_set_source_rgb(cr, col.r, col.g, col.b);
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !usable(p, y[i])) continue;
        cairo_new_sub_path(cr);
        cairo_arc(cr, hw_panel_px(p, x[i]), hw_panel_py(p, y[i]), radius, 0, 2 * M_PI);
    }
    cairo_fill(cr);
    cairo_restore(cr);
}

void hw_plot_vline(hw_canvas *c, const hw_panel *p, double x, hw_rgb col, double width, int dashed) {
    if (!isfinite(x)) return;
    cairo_t *cr = c->cr;
    clip_to(c, p);
    cairo_set_source_rgb(cr, col.r, col.g, col.b);
    cairo_set_line_width(cr, width);
    set_dash(cr, dashed);
    cairo_move_to(cr, hw_panel_px(p, x), p->y);
    cairo_line_to(cr, hw_panel_px(p, x), p->y + p->h);
    cairo_stroke(cr);
    set_dash(cr, 0);
    cairo_restore(cr);
}

void hw_plot_hline(hw_canvas *c, const hw_panel *p, double y, hw_rgb col, double width, int dashed) {
    if (!usable(p, y)) return;
    cairo_t *cr = c->cr;
    clip_to(c, p);
    cairo_set_source_rgb(cr, col.r, col.g, col.b);
    cairo_set_line_width(cr, width);
    set_dash(cr, dashed);
    cairo_move_to(cr, p->x, hw_panel_py(p, y));
    cairo_line_to(cr, p->x + p->w, hw_panel_py(p, y));
    cairo_stroke(cr);
    set_dash(cr, 0);
    cairo_restore(cr);
}

void hw_plot_xspan(hw_canvas *c, const hw_panel *p, double x0, double x1, hw_rgb col, double alpha) {
    cairo_t *cr = c->cr;
    clip_to(c, p);
    cairo_set_source_rgba(cr, col.r, col.g, col.b, alpha);
    double a = hw_panel_px(p, x0), b = hw_panel_px(p, x1);
    cairo_rectangle(cr, a, p->y, fmax(b - a, 1), p->h);
    cairo_fill(cr);
    cairo_restore(cr);
}

void hw_legend(hw_canvas *c, const hw_panel *p, const char *const *names, const hw_rgb *cols,
               const int *dashed, int n, int corner) {
    if (n <= 0) return;
    cairo_t *cr = c->cr;
    cairo_set_font_size(cr, 10);
    double wmax = 0;
    for (int i = 0; i < n; i++) {
        cairo_text_extents_t e;
        cairo_text_extents(cr, names[i], &e);
        if (e.x_advance > wmax) wmax = e.x_advance;
    }
    double bw = wmax + 40, bh = 15 * n + 8;
    double bx = corner == 1 ? p->x + 8 : p->x + p->w - bw - 8, by = p->y + 8;
    cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
    cairo_rectangle(cr, bx, by, bw, bh);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 0.7, 0.7, 0.7);
    cairo_set_line_width(cr, 0.8);
    cairo_stroke(cr);
    for (int i = 0; i < n; i++) {
        double y = by + 12 + 15 * i;
        cairo_set_source_rgb(cr, cols[i].r, cols[i].g, cols[i].b);
        cairo_set_line_width(cr, 2);
        set_dash(cr, dashed && dashed[i]);
        cairo_move_to(cr, bx + 6, y - 3.5);
        cairo_line_to(cr, bx + 28, y - 3.5);
        cairo_stroke(cr);
        set_dash(cr, 0);
        hw_text(c, bx + 34, y, names[i], 10, 0);
    }
}
