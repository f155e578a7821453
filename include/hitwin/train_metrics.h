/* Reading back the metrics.jsonl that `hitwin train` appends one line per epoch
 * (docs/train.md), for `hitwin plot training` and `hitwin sweep --collect`. Only the
 * lines train writes are understood: one flat JSON object per line, numbers or null. */
#ifndef HITWIN_TRAIN_METRICS_H
#define HITWIN_TRAIN_METRICS_H

#include <stdint.h>

enum {
    HW_MET_TRAIN_LOSS,
    HW_MET_VAL_LOSS,
    HW_MET_TRAIN_ACCURACY,
    HW_MET_VAL_ACCURACY,
    HW_MET_SECONDS,
    HW_MET_PAIRS_PER_S,
    HW_N_METRICS
};
extern const char *const hw_metric_keys[HW_N_METRICS]; /* "train_loss", ... */

typedef struct {
    int64_t n;           /* epochs, ascending */
    int64_t *epoch;
    double *v[HW_N_METRICS]; /* NaN where the line has null or lacks the key */
    int8_t *best;            /* the epoch wrote best.safetensors */
    char loss[32];           /* the objective, from the first line */
} hw_train_metrics;

/* 0, or -1 with "PATH:LINE: not a metrics line (expected {\"epoch\": N, ...})" or
 * "PATH: cannot open" / "PATH: no epochs". A resumed run appends epochs again from the
 * state it resumed: the later line of an epoch replaces the earlier. */
int hw_train_metrics_read(const char *path, hw_train_metrics *m);
void hw_train_metrics_free(hw_train_metrics *m);
/* The best epoch's row (the last line marked best; else the smallest finite val_loss), -1 if none. */
int64_t hw_train_metrics_best(const hw_train_metrics *m);

#endif
