/* Feature calls on the strips (reference.md 7.5 with bug 33 fixed): one threshold over all
 * chromosomes from the same rows the calls are made on, quantiles over the pixels some window
 * covers (the strips' empty margins are not zeros to rank), 4-connected components, size
 * limits on the inclusive spans, and the convex hull of each component's own pixels over its
 * whole bounding box (the reference's crop drops the last row and column). */
#include "hitwin/saliency.h"

#include "hitwin/xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* numpy.quantile's default (linear) on sorted v[n] */
static double quantile_sorted(const double *v, size_t n, double q) {
    if (n == 0) return NAN;
    double pos = q * (double)(n - 1);
    size_t lo = (size_t)floor(pos), hi = lo + 1 < n ? lo + 1 : lo;
    double t = pos - (double)lo;
    return v[lo] + t * (v[hi] - v[lo]);
}

double hw_feature_threshold(const float *const *strips, const int32_t *const *counts,
                            const int64_t *n_bins, int n_chroms, int S, int min_row, int max_row,
                            int min_count, double q) {
    if (min_count < 1) min_count = 1;
    size_t n = 0, cap = 0;
    double *v = NULL;
    for (int c = 0; c < n_chroms; c++) {
        if (!strips[c]) continue;
        for (int k = min_row; k <= max_row && k < S; k++)
            for (int64_t b = 0; b < n_bins[c]; b++) {
                size_t p = (size_t)k * n_bins[c] + b;
                if (counts[c][p] < min_count || !isfinite(strips[c][p])) continue;
                hw_grow(&v, &cap, n + 1);
                v[n++] = strips[c][p];
            }
    }
    if (n == 0) return NAN;
    qsort(v, n, sizeof *v, cmp_double);
    double hi = quantile_sorted(v, n, q), lo = quantile_sorted(v, n, 1.0 - q);
    free(v);
    return hi > -lo ? hi : -lo;
}

void hw_feature_free(hw_feature *f) {
    free(f->hull);
    f->hull = NULL;
}

typedef struct {
    long x, y; /* column, row */
} pt;

static long cross(pt o, pt a, pt b) { return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x); }

static int cmp_pt(const void *a, const void *b) {
    const pt *p = a, *q = b;
    if (p->x != q->x) return p->x < q->x ? -1 : 1;
    return p->y < q->y ? -1 : p->y > q->y;
}

/* Andrew's monotone chain: hull[] counter-clockwise, returns its size (pts sorted, n >= 1). */
static int convex_hull(pt *pts, int n, pt *hull) {
    qsort(pts, (size_t)n, sizeof *pts, cmp_pt);
    int k = 0;
    for (int i = 0; i < n; i++) {
        while (k >= 2 && cross(hull[k - 2], hull[k - 1], pts[i]) <= 0) k--;
        hull[k++] = pts[i];
    }
    for (int i = n - 2, t = k + 1; i >= 0; i--) {
        while (k >= t && cross(hull[k - 2], hull[k - 1], pts[i]) <= 0) k--;
        hull[k++] = pts[i];
    }
    return n > 1 ? k - 1 : k;
}

/* 1 when the pixel centre p is inside or on the hull (counter-clockwise, h points) */
static int in_hull(const pt *h, int n, pt p) {
    if (n == 1) return p.x == h[0].x && p.y == h[0].y;
    if (n == 2) { /* a segment */
        if (cross(h[0], h[1], p) != 0) return 0;
        return p.x >= (h[0].x < h[1].x ? h[0].x : h[1].x) && p.x <= (h[0].x > h[1].x ? h[0].x : h[1].x) &&
               p.y >= (h[0].y < h[1].y ? h[0].y : h[1].y) && p.y <= (h[0].y > h[1].y ? h[0].y : h[1].y);
    }
    for (int i = 0; i < n; i++)
        if (cross(h[i], h[(i + 1) % n], p) < 0) return 0;
    return 1;
}

int hw_feature_extract(const float *strip, const int32_t *count, int S, int64_t n_bins, int chrom,
                       double T, int min_row, int max_row, int min_count, int min_size, int max_size,
                       hw_feature **out, size_t *n_out, size_t *cap) {
    if (min_count < 1) min_count = 1;
    if (max_row > S - 1) max_row = S - 1;
    if (min_row < 0) min_row = 0;
    if (min_row > max_row || n_bins <= 0 || !(T > 0.0)) return 0;
    const int R = max_row - min_row + 1;
    const size_t N = (size_t)R * (size_t)n_bins;
    int32_t *label = xcalloc(N, sizeof(int32_t));
    int64_t *stack = xmalloc(N * sizeof(int64_t));
    pt *pts = NULL, *hull = NULL;
    size_t pcap = 0, hcap = 0;
    int added = 0, next = 0;
    for (int sign = 1; sign >= -1; sign -= 2) { /* positives first, as the reference */
        for (size_t p0 = 0; p0 < N; p0++) {
            const int r0 = (int)(p0 / (size_t)n_bins) + min_row;
            const int64_t c0 = (int64_t)(p0 % (size_t)n_bins);
            const size_t sp0 = (size_t)r0 * n_bins + c0;
            if (label[p0] || count[sp0] < min_count || !(sign * strip[sp0] > T)) continue;
            /* flood fill (4-connectivity) */
            next++;
            int64_t top = 0, npix = 0;
            int rmin = r0, rmax = r0;
            int64_t cmin = c0, cmax = c0;
            double peak = 0.0;
            stack[top++] = (int64_t)p0;
            label[p0] = next;
            while (top > 0) {
                int64_t p = stack[--top];
                int r = (int)(p / n_bins) + min_row;
                int64_t c = p % n_bins;
                double v = strip[(size_t)r * n_bins + c];
                if (fabs(v) > peak) peak = fabs(v);
                hw_grow(&pts, &pcap, (size_t)npix + 1);
                pts[npix++] = (pt){(long)c, r};
                if (r < rmin) rmin = r;
                if (r > rmax) rmax = r;
                if (c < cmin) cmin = c;
                if (c > cmax) cmax = c;
                const int64_t nb[4][2] = {{r - 1, c}, {r + 1, c}, {r, c - 1}, {r, c + 1}};
                for (int e = 0; e < 4; e++) {
                    int64_t rr = nb[e][0], cc = nb[e][1];
                    if (rr < min_row || rr > max_row || cc < 0 || cc >= n_bins) continue;
                    int64_t q = (rr - min_row) * n_bins + cc;
                    size_t sq = (size_t)rr * n_bins + cc;
                    if (label[q] || count[sq] < min_count || !(sign * strip[sq] > T)) continue;
                    label[q] = next;
                    stack[top++] = q;
                }
            }
            const int64_t dr = rmax - rmin + 1, dc = cmax - cmin + 1;
            if (dr < min_size || dc < min_size || dr > max_size || dc > max_size) continue;
            hw_grow(&hull, &hcap, (size_t)npix + 2);
            int nh = convex_hull(pts, (int)npix, hull);
            hw_feature f = {.chrom = chrom, .sign = sign, .rmin = rmin, .rmax = rmax,
                            .cmin = (int)cmin, .cmax = (int)cmax, .peak = peak};
            f.hull = xcalloc((size_t)(dr * dc), 1);
            double sum = 0.0;
            int64_t nin = 0;
            for (int r = rmin; r <= rmax; r++)
                for (int64_t c = cmin; c <= cmax; c++) {
                    if (!in_hull(hull, nh, (pt){(long)c, r})) continue;
                    f.hull[(size_t)(r - rmin) * dc + (c - cmin)] = 1;
                    size_t sp = (size_t)r * n_bins + c;
                    f.n_pixels++;
                    if (count[sp] > 0) {
                        sum += strip[sp];
                        nin++;
                    }
                }
            f.avg = nin > 0 ? sum / nin : NAN;
            hw_grow(out, cap, *n_out + 1);
            (*out)[(*n_out)++] = f;
            added++;
        }
    }
    free(label);
    free(stack);
    free(pts);
    free(hull);
    return added;
}
