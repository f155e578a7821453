/* --device for distance and saliency (stage_device.h): one decision for all ranks, made
 * before any input is read, and one GPU per rank by its rank on the node. */
#include "hitwin/stage_device.h"

#include "hitwin/error.h"
#include "hitwin/log.h"

#ifdef HITWIN_HAVE_CUDA
#include "hitwin/gpu_context.h"
#endif

int hw_stage_device_open(const hw_dist *d, const char *stage, hw_device_kind want,
                         hw_device_kind *got, hw_gpu **gpu) {
    *got = HW_DEVICE_CPU;
    *gpu = NULL;
    if (want == HW_DEVICE_CPU) return 0;
    hw_device_kind mine_kind;
    if (hw_dist_agree_report(d, hw_device_resolve(want, &mine_kind)) != 0) return -1;
    int mine = mine_kind == HW_DEVICE_CUDA, all = 0; /* auto: cuda only if every rank has one */
    MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, d->comm);
#ifdef HITWIN_HAVE_CUDA
    if (all) {
        int dev = hw_gpu_pick_device(d->comm, NULL, NULL);
        hw_gpu *g = dev < 0 ? NULL : hw_gpu_create(dev);
        if (hw_dist_agree_report(d, g ? 0 : -1) != 0) {
            hw_gpu_destroy(g);
            return -1;
        }
        *gpu = g;
        *got = HW_DEVICE_CUDA;
    }
#else
    (void)all; /* hw_device_resolve never gives cuda without the backend */
#endif
    log_info0("%s: device %s (asked for %s)", stage, hw_device_name(*got), hw_device_name(want));
    return 0;
}

void hw_stage_device_close(hw_gpu *gpu) {
#ifdef HITWIN_HAVE_CUDA
    hw_gpu_destroy(gpu);
#else
    (void)gpu;
#endif
}
