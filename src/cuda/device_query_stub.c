/* Built when CUDA is switched off: no devices. */
#include <string.h>

#include "hitwin/error.h"
#include "hitwin/gpu.h"

int hw_gpu_built(void) { return 0; }
int hw_gpu_count(void) { return 0; }
void hw_gpu_describe(char *buf, int cap) {
    if (cap > 0) buf[0] = '\0';
}

int hw_device_parse(const char *s, hw_device_kind *k) {
    if (!strcmp(s, "cpu")) *k = HW_DEVICE_CPU;
    else if (!strcmp(s, "cuda")) *k = HW_DEVICE_CUDA;
    else if (!strcmp(s, "auto")) *k = HW_DEVICE_AUTO;
    else return -1;
    return 0;
}

const char *hw_device_name(hw_device_kind k) {
    return k == HW_DEVICE_CUDA ? "cuda" : k == HW_DEVICE_AUTO ? "auto" : "cpu";
}

int hw_device_resolve(hw_device_kind want, hw_device_kind *got) {
    *got = HW_DEVICE_CPU;
    if (want != HW_DEVICE_CUDA) return 0;
    return hw_fail("device cuda: this hitwin was built without the CUDA backend (rebuild where "
                   "nvcc is found, with -DHITWIN_ENABLE_CUDA=ON, or use --device cpu)");
}
