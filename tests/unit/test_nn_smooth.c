/* box_smooth_forward (nn_smooth.c): exact means on a 4 x 4 tile worked by hand, the clipped
 * edges, counts <= 0 read as 0, NaN reaching only its own square, h = 0 as a copy, and a
 * 224 tile's total kept where no square is clipped. */
#include <math.h>
#include <stdlib.h>

#include "hitwin/nn.h"
#include "test_util.h"

int main(void) {
    /* rows 0..3: 1 2 3 4 / 5 6 7 8 / 9 10 11 12 / 13 14 15 16 */
    float t[16], o[16];
    for (int k = 0; k < 16; k++) t[k] = (float)(k + 1);
    box_smooth_forward(o, t, 4, 1);
    CHECK(o[0] == (1 + 2 + 5 + 6) / 4.0f);                             /* corner: 2 x 2 */
    CHECK(o[1] == (1 + 2 + 3 + 5 + 6 + 7) / 6.0f);                     /* edge: 2 x 3 */
    CHECK(o[5] == (1 + 2 + 3 + 5 + 6 + 7 + 9 + 10 + 11) / 9.0f);       /* interior: 3 x 3 */
    CHECK(o[15] == (11 + 12 + 15 + 16) / 4.0f);
    box_smooth_forward(o, t, 4, 2); /* h 2 on 4 bins: every square clipped */
    CHECK(o[0] == (1 + 2 + 3 + 5 + 6 + 7 + 9 + 10 + 11) / 9.0f);
    CHECK(o[5] == 136.0f / 16.0f); /* (1, 1): rows and columns 0..3, the whole tile */

    /* negatives and zeros count as 0, in the mean's denominator all the same */
    t[5] = -100.0f;
    box_smooth_forward(o, t, 4, 1);
    CHECK(o[0] == (1 + 2 + 5 + 0) / 4.0f);
    /* NaN: every square holding it is NaN, the others are not */
    t[5] = NAN;
    box_smooth_forward(o, t, 4, 1);
    int nans = 0;
    for (int k = 0; k < 16; k++) nans += isnan(o[k]);
    CHECK_INT_EQ(nans, 9); /* rows 0..2 x columns 0..2 */
    CHECK(isnan(o[10]) && !isnan(o[3]) && !isnan(o[15]));

    /* h 0: a copy, negatives to 0 */
    t[5] = -1.0f;
    box_smooth_forward(o, t, 4, 0);
    for (int k = 0; k < 16; k++) CHECK(o[k] == (k == 5 ? 0.0f : t[k]));

    /* 224 x 224 Poisson-like counts: interior squares keep the local total (the sum of the
     * smoothed interior of a constant tile is the constant) and the variance falls ~9x */
    enum { S = 224 };
    float *a = malloc(sizeof(float) * S * S), *b = malloc(sizeof(float) * S * S);
    unsigned s = 1;
    double m1 = 0, v1 = 0, m2 = 0, v2 = 0;
    for (int k = 0; k < S * S; k++) {
        s = s * 1103515245u + 12345u;
        a[k] = (float)((s >> 16) % 7); /* 0..6, mean 3, variance 4 */
    }
    box_smooth_forward(b, a, S, 1);
    int n = 0;
    for (int r = 1; r < S - 1; r++)
        for (int c = 1; c < S - 1; c++, n++) {
            m1 += a[r * S + c], v1 += a[r * S + c] * (double)a[r * S + c];
            m2 += b[r * S + c], v2 += b[r * S + c] * (double)b[r * S + c];
        }
    m1 /= n, m2 /= n, v1 = v1 / n - m1 * m1, v2 = v2 / n - m2 * m2;
    CHECK(fabs(m2 - m1) < 0.01);
    CHECK(v2 < v1 / 7 && v2 > v1 / 11);
    for (int k = 0; k < S * S; k++) a[k] = 2.5f;
    box_smooth_forward(b, a, S, 3);
    for (int k = 0; k < S * S; k++) CHECK(b[k] == 2.5f);
    free(a), free(b);
    return test_failures ? 1 : 0;
}
