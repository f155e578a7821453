/* The figure file: a cairo surface of the format the extension names, drawn under
 * PATH.tmp-PID and renamed into place when complete (plot_canvas.h). */
#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <cairo.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "hitwin/error.h"
#include "hitwin/output_guard.h"
#include "hitwin/plot_canvas.h"

int hw_figure_format_of(const char *path, hw_figure_format *out) {
    const char *dot = path ? strrchr(path, '.') : NULL;
    if (dot && !strcasecmp(dot, ".png")) *out = HW_FIG_PNG;
    else if (dot && !strcasecmp(dot, ".svg")) *out = HW_FIG_SVG;
    else if (dot && !strcasecmp(dot, ".pdf")) *out = HW_FIG_PDF;
    else return hw_fail("%s: unknown figure format (expected .png, .svg or .pdf)", path ? path : "");
    return 0;
}

int hw_canvas_open(hw_canvas *c, const char *path, double width, double height) {
    memset(c, 0, sizeof *c);
    if (hw_figure_format_of(path, &c->format) != 0) return -1;
    if (strlen(path) >= sizeof c->path) return hw_fail("%s: path too long", path);
    snprintf(c->path, sizeof c->path, "%s", path);
    /* the extension stays last, for viewers that go by it */
    snprintf(c->tmp, sizeof c->tmp, "%s.tmp-%ld%s", path, (long)getpid(), strrchr(path, '.'));
    c->width = width, c->height = height;
    if (c->format == HW_FIG_PNG)
        c->surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)width, (int)height);
    else if (c->format == HW_FIG_SVG)
        c->surface = cairo_svg_surface_create(c->tmp, width, height);
    else
        c->surface = cairo_pdf_surface_create(c->tmp, width, height);
    if (c->format != HW_FIG_PNG) hw_temp_add(c->tmp);
    if (cairo_surface_status(c->surface) != CAIRO_STATUS_SUCCESS) {
        const char *why = cairo_status_to_string(cairo_surface_status(c->surface));
        hw_canvas_discard(c);
        return hw_fail("%s: cannot create the figure: %s", path, why);
    }
    c->cr = cairo_create(c->surface);
    cairo_set_source_rgb(c->cr, 1, 1, 1);
    cairo_paint(c->cr);
    cairo_select_font_face(c->cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    return 0;
}

void hw_canvas_discard(hw_canvas *c) {
    if (c->cr) cairo_destroy(c->cr);
    if (c->surface) {
        cairo_surface_finish(c->surface);
        cairo_surface_destroy(c->surface);
    }
    c->cr = NULL, c->surface = NULL;
    if (c->tmp[0]) {
        unlink(c->tmp);
        hw_temp_forget(c->tmp);
    }
}

int hw_canvas_close(hw_canvas *c) {
    cairo_status_t st = cairo_status(c->cr);
    if (st == CAIRO_STATUS_SUCCESS && c->format == HW_FIG_PNG) {
        hw_temp_add(c->tmp);
        st = cairo_surface_write_to_png(c->surface, c->tmp);
    }
    cairo_destroy(c->cr);
    c->cr = NULL;
    cairo_surface_finish(c->surface); /* SVG and PDF are written here */
    if (st == CAIRO_STATUS_SUCCESS) st = cairo_surface_status(c->surface);
    cairo_surface_destroy(c->surface);
    c->surface = NULL;
    if (st != CAIRO_STATUS_SUCCESS) {
        hw_canvas_discard(c);
        return hw_fail("%s: cannot write the figure: %s", c->path, cairo_status_to_string(st));
    }
    if (rename(c->tmp, c->path) != 0) {
        hw_canvas_discard(c);
        return hw_fail("%s: cannot rename the figure into place", c->path);
    }
    hw_temp_forget(c->tmp);
    c->tmp[0] = '\0';
    return 0;
}
