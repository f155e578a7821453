/* --device of the stages that run a checkpoint's model on one GPU per rank (`hitwin
 * distance`, `hitwin saliency`; `hitwin train` adds NCCL and its optimiser in train_stage.c):
 * the choice, agreed over MPI, and this rank's GPU context. Builds without the CUDA backend
 * compile the same calls; there cuda never resolves (gpu.h) and no context is made. */
#ifndef HITWIN_STAGE_DEVICE_H
#define HITWIN_STAGE_DEVICE_H

#include "hitwin/dist.h"
#include "hitwin/gpu.h"

typedef struct hw_gpu hw_gpu;

/* Collective. `want` (cpu, cuda, auto) resolved on every rank (hw_device_resolve): cuda on
 * every rank or on none (auto is cuda only where every rank sees a device); with cuda each
 * rank takes the GPU of its local rank (hw_gpu_pick_device) and creates its context. Rank 0
 * logs "STAGE: device GOT (asked for WANT)" unless want is cpu. 0 with *got and *gpu (NULL
 * unless cuda), or -1 on every rank after the lowest failing rank printed its one line (no
 * device: "device cuda: no CUDA device is visible to this process (...)"; a build without
 * the backend: "device cuda: this hitwin was built without the CUDA backend (...)"). Reads
 * and writes no file: call it before the stage's outputs exist. */
int hw_stage_device_open(const hw_dist *d, const char *stage, hw_device_kind want,
                         hw_device_kind *got, hw_gpu **gpu);
/* The context's end (NULL is fine). */
void hw_stage_device_close(hw_gpu *gpu);

#endif
