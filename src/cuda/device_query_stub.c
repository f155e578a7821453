/* Built when CUDA is switched off: no devices. */
#include "hitwin/gpu.h"

int hw_gpu_built(void) { return 0; }
int hw_gpu_count(void) { return 0; }
void hw_gpu_describe(char *buf, int cap) {
    if (cap > 0) buf[0] = '\0';
}
