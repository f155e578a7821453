/* Test helper: facts about a PNG for the plot tests, without pixel-exact screenshots.
 *   plot_png_probe FILE.png [X0 Y0 X1 Y1]
 * prints "WIDTH HEIGHT INK", INK the share of non-white pixels in the rectangle
 * [X0, X1) x [Y0, Y1) (default: the whole image); exit 1 when the file is no PNG. */
#include <cairo.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    if (argc != 2 && argc != 6) {
        fprintf(stderr, "usage: %s FILE.png [X0 Y0 X1 Y1]\n", argv[0]);
        return 2;
    }
    cairo_surface_t *s = cairo_image_surface_create_from_png(argv[1]);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        fprintf(stderr, "%s: not a PNG\n", argv[1]);
        return 1;
    }
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    int x0 = 0, y0 = 0, x1 = w, y1 = h;
    if (argc == 6) x0 = atoi(argv[2]), y0 = atoi(argv[3]), x1 = atoi(argv[4]), y1 = atoi(argv[5]);
    x0 = x0 < 0 ? 0 : x0, y0 = y0 < 0 ? 0 : y0, x1 = x1 > w ? w : x1, y1 = y1 > h ? h : y1;
    const unsigned char *d = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    long ink = 0, all = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++, all++) ink += (((const uint32_t *)(d + (size_t)y * stride))[x] & 0xffffff) != 0xffffff;
    printf("%d %d %.4f\n", w, h, all ? (double)ink / (double)all : 0.0);
    cairo_surface_destroy(s);
    return 0;
}
