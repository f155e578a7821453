/* The training state file (<output>/state.bin): everything a killed run needs
 * to continue bit-identically. One binary file, llm.c style, written by rank 0
 * to a temporary name, fsync'ed and renamed (the rename is the commit: a
 * present state.bin is always complete):
 *
 *   magic "HWTRAIN1" | u32 version | u32 header bytes | header (hw_train_state
 *   counters, little-endian int64/double) | config YAML, program version (u32
 *   length + bytes) | tensor table (u32 count; per tensor: u32 name length, name,
 *   u32 ndim, int64 shape[ndim]) | u64 n | params [n] f32 | m [n] f32 | v [n] f32 |
 *   model state table (as the tensor table: BatchNorm running statistics, hw_model_state) |
 *   u64 n_state | state [n_state] f32 | u64 FNV-1a of everything before.
 *
 * Version 2 added the model state; a version 1 file (no such section) is still read for a
 * model without state (SLeNet) and refused with a message for one with state.
 *
 * Random streams are counter-based and keyed by (seed, epoch, item) or by the
 * step, so the counters below are the whole RNG state. */
#ifndef HITWIN_TRAIN_STATE_H
#define HITWIN_TRAIN_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "hitwin/model.h"

#define HW_TRAIN_STATE_VERSION 2

typedef struct {
    uint64_t config_hash;
    int64_t epoch;            /* epochs completed */
    int64_t cursor;           /* global batches done in epoch `epoch + 1` */
    int64_t step;             /* optimiser steps taken (also the dropout stream's counter) */
    int64_t optim_kind;
    int64_t best_epoch;       /* 0: none yet */
    int64_t patience_counter;
    double best_val;          /* +inf before the first validation */
    /* running sums of the epoch in progress (so a mid-epoch resume logs the same) */
    double sum_loss, sum_con, sum_ce, n_items, n_correct, seconds;
    char *config_yaml;        /* resolved config */
    char *version;            /* program that wrote it */
} hw_train_state;

void hw_train_state_free(hw_train_state *st);

/* The model's non-trainable state (hw_model_state, hw_model_state_tensors): written from,
 * read into `values`. NULL where the callers pass one means none (n_tensors 0). */
typedef struct {
    const hw_tensor *tensors;
    int n_tensors;
    float *values;
    size_t n;
} hw_train_model_state;

/* Write atomically (tmp + fsync + rename). */
int hw_train_state_write(const char *path, const hw_train_state *st, const hw_tensor *tensors,
                         int n_tensors, const float *params, const float *m, const float *v,
                         size_t n, const hw_train_model_state *ms);

/* Read into params, m, v (n floats each) and the model state after checking the file's
 * tensor tables against `tensors` and ms's: another model or shape is refused with a
 * message naming the first tensor that differs. */
int hw_train_state_read(const char *path, hw_train_state *st, const hw_tensor *tensors,
                        int n_tensors, float *params, float *m, float *v, size_t n,
                        const hw_train_model_state *ms);

#endif
