/* Figures for `hitwin plot` (docs/plot.md), drawn with cairo: one canvas per output
 * file (PNG, SVG or PDF by its extension), panels with axes in data units, lines,
 * bands, heat maps, legends. Cairo rather than PLplot: docs/plot.md says why.
 *
 * A canvas is drawn under a temporary name and renamed into place only by a
 * successful hw_canvas_close, so a failed plot leaves no half-written figure. */
#ifndef HITWIN_PLOT_CANVAS_H
#define HITWIN_PLOT_CANVAS_H

#include <stdint.h>

typedef struct _cairo cairo_t;
typedef struct _cairo_surface cairo_surface_t;

typedef enum { HW_FIG_PNG, HW_FIG_SVG, HW_FIG_PDF } hw_figure_format;

typedef struct {
    cairo_surface_t *surface;
    cairo_t *cr;
    double width, height; /* points (PNG: pixels) */
    hw_figure_format format;
    char path[4096], tmp[4200];
} hw_canvas;

/* The format of PATH from its extension (.png, .svg, .pdf, any case); -1 with
 * "PATH: unknown figure format (expected .png, .svg or .pdf)" otherwise. */
int hw_figure_format_of(const char *path, hw_figure_format *out);

/* A white canvas of width x height for PATH; -1 with hw_error set. */
int hw_canvas_open(hw_canvas *c, const char *path, double width, double height);
/* Finish, write and rename into place; -1 with hw_error set and nothing left. */
int hw_canvas_close(hw_canvas *c);
/* Give up: nothing is left at PATH or its temporary name. */
void hw_canvas_discard(hw_canvas *c);

/* RGB in [0, 1]. */
typedef struct {
    double r, g, b;
} hw_rgb;

/* matplotlib's tab10, the colours seaborn uses by default: index modulo 10. */
hw_rgb hw_palette(int i);

/* A plotting area: its rectangle on the canvas and the data limits it shows. */
typedef struct {
    double x, y, w, h;           /* canvas units, y down */
    double xmin, xmax, ymin, ymax;
    int ylog;                    /* log10 y axis */
    int xinteger;                /* x ticks on whole numbers only (epochs) */
    int no_y_ticks;              /* maps: rows are bins, told by the x axis */
} hw_panel;

hw_panel hw_panel_at(double x, double y, double w, double h);
/* Data limits; an empty or NaN range is widened so that a constant series still shows. */
void hw_panel_limits(hw_panel *p, double xmin, double xmax, double ymin, double ymax);
/* Widen [lo, hi] by the finite values of v (n values). */
void hw_range_update(double *lo, double *hi, const double *v, int64_t n);
double hw_panel_px(const hw_panel *p, double x);
double hw_panel_py(const hw_panel *p, double y);

/* Tick positions for [lo, hi]: steps of 1, 2, 2.5 or 5 times a power of ten, at most
 * max_ticks + 1 of them, all inside [lo, hi]; returns their number (<= cap). */
int hw_nice_ticks(double lo, double hi, int max_ticks, double *ticks, int cap);
/* A tick label without trailing zeros: 0.5, 12, 2.25, 1e-05. */
void hw_tick_label(char *out, int cap, double v);

/* Frame, ticks with labels, axis labels (NULL: none) and a title above. x_scale
 * divides x tick values for their labels (1e6: positions shown in Mb). */
void hw_panel_axes(hw_canvas *c, const hw_panel *p, const char *xlabel, const char *ylabel,
                   const char *title, double x_scale);

/* A polyline through the finite points (broken at NaN), clipped to the panel. */
void hw_plot_line(hw_canvas *c, const hw_panel *p, const double *x, const double *y, int64_t n,
                  hw_rgb col, double width, int dashed);
/* A filled band between lo and hi (broken at NaN), alpha 0-1. */
void hw_plot_band(hw_canvas *c, const hw_panel *p, const double *x, const double *lo,
                  const double *hi, int64_t n, hw_rgb col, double alpha);
/* A filled circle at each finite point (a curve of one epoch is a point). */
void hw_plot_markers(hw_canvas *c, const hw_panel *p, const double *x, const double *y, int64_t n,
                     hw_rgb col, double radius);
void hw_plot_vline(hw_canvas *c, const hw_panel *p, double x, hw_rgb col, double width, int dashed);
void hw_plot_hline(hw_canvas *c, const hw_panel *p, double y, hw_rgb col, double width, int dashed);
/* Filled rectangles [x0, x1] over the panel's height (marked intervals). */
void hw_plot_xspan(hw_canvas *c, const hw_panel *p, double x0, double x1, hw_rgb col, double alpha);

/* A legend box in the panel's upper right (corner 0) or upper left (1) corner. */
void hw_legend(hw_canvas *c, const hw_panel *p, const char *const *names, const hw_rgb *cols,
               const int *dashed, int n, int corner);

/* Text at canvas (x, y): align 0 left, 1 centre, 2 right; size in points. */
void hw_text(hw_canvas *c, double x, double y, const char *s, double size, int align);

/* ny x nx values (row-major, row 0 at the top) drawn over the panel's rectangle with the
 * viridis colour map between vmin and vmax (log10 of the values when logscale; values
 * <= 0 then white, as NaN). */
void hw_heatmap(hw_canvas *c, const hw_panel *p, const float *v, int nx, int ny, double vmin,
                double vmax, int logscale, int diverging);
/* The colour of t in [0, 1]: viridis, or (diverging) blue-white-red. */
hw_rgb hw_colormap(double t, int diverging);
/* A vertical colour bar at (x, y, w, h) with ticks for [vmin, vmax]. */
void hw_colorbar(hw_canvas *c, double x, double y, double w, double h, double vmin, double vmax,
                 int logscale, int diverging, const char *label);

#endif
