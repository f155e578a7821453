/* metrics.jsonl of a training run read back (train_metrics.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hitwin/error.h"
#include "hitwin/train_metrics.h"
#include "hitwin/xalloc.h"

const char *const hw_metric_keys[HW_N_METRICS] = {"train_loss", "val_loss", "train_accuracy",
                                                  "val_accuracy", "seconds", "pairs_per_s"};

/* The value after "key": in a flat JSON line: 1 number, 0 null or absent, -1 malformed. */
static int json_value(const char *line, const char *key, double *out) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *p = strstr(line, pat);
    *out = NAN;
    if (!p) return 0;
    p += strlen(pat);
    if (!strncmp(p, "null", 4)) return 0;
    char *end;
    errno = 0;
    double v = strtod(p, &end);
    if (end == p || errno == ERANGE) return -1;
    *out = v;
    return 1;
}

void hw_train_metrics_free(hw_train_metrics *m) {
    free(m->epoch), free(m->best);
    for (int k = 0; k < HW_N_METRICS; k++) free(m->v[k]);
    memset(m, 0, sizeof *m);
}

int hw_train_metrics_read(const char *path, hw_train_metrics *m) {
    memset(m, 0, sizeof *m);
    FILE *fp = fopen(path, "r");
    if (!fp) return hw_fail("%s: cannot open", path);
    int64_t cap = 16;
    m->epoch = xmalloc((size_t)cap * sizeof *m->epoch);
    m->best = xmalloc((size_t)cap);
    for (int k = 0; k < HW_N_METRICS; k++) m->v[k] = xmalloc((size_t)cap * sizeof(double));
    char *line = NULL;
    size_t lcap = 0;
    int lineno = 0, rc = 0;
    while (getline(&line, &lcap, fp) > 0) {
        lineno++;
        if (line[0] == '\n') continue;
        double ep;
        if (line[0] != '{' || json_value(line, "epoch", &ep) != 1 || ep < 0 || ep != floor(ep)) {
            rc = hw_fail("%s:%d: not a metrics line (expected {\"epoch\": N, ...})", path, lineno);
            break;
        }
        if (m->n == 0) {
            const char *l = strstr(line, "\"loss\": \"");
            if (l) sscanf(l + 9, "%31[^\"]", m->loss);
        }
        /* a resumed run restarts at the epoch after its state: later lines win */
        int64_t row = m->n;
        while (row > 0 && m->epoch[row - 1] >= (int64_t)ep) row--;
        if (row == m->n && m->n == cap) {
            cap *= 2;
            m->epoch = xrealloc(m->epoch, (size_t)cap * sizeof *m->epoch);
            m->best = xrealloc(m->best, (size_t)cap);
            for (int k = 0; k < HW_N_METRICS; k++) m->v[k] = xrealloc(m->v[k], (size_t)cap * sizeof(double));
        }
        m->epoch[row] = (int64_t)ep;
        for (int k = 0; k < HW_N_METRICS; k++) {
            if (json_value(line, hw_metric_keys[k], &m->v[k][row]) < 0) {
                rc = hw_fail("%s:%d: '%s' is not a number", path, lineno, hw_metric_keys[k]);
                break;
            }
        }
        if (rc) break;
        m->best[row] = strstr(line, "\"best\": true") != NULL;
        m->n = row + 1;
    }
    free(line);
    fclose(fp);
    if (!rc && m->n == 0) rc = hw_fail("%s: no epochs", path);
    if (rc) hw_train_metrics_free(m);
    return rc;
}

int64_t hw_train_metrics_best(const hw_train_metrics *m) {
    int64_t best = -1;
    for (int64_t i = 0; i < m->n; i++)
        if (m->best[i]) best = i;
    if (best >= 0) return best;
    for (int64_t i = 0; i < m->n; i++)
        if (isfinite(m->v[HW_MET_VAL_LOSS][i]) &&
            (best < 0 || m->v[HW_MET_VAL_LOSS][i] < m->v[HW_MET_VAL_LOSS][best]))
            best = i;
    return best;
}
