/* The BED regions reader of `hitwin saliency --regions` (hw_regions_read): the input goes into a
 * file in /dev/shm, is read against three chromosome names, and every region read is looked
 * up once. */
#include "fuzz_common.h"
#include "hitwin/bed_regions.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[96];
    snprintf(path, sizeof path, "/dev/shm/hitwin_fuzz_regions_%d.bed", (int)getpid());
    FILE *fp = fopen(path, "wb");
    if (!fp) return 0;
    fwrite(data, 1, size, fp);
    fclose(fp);
    static char *names[] = {"chr1", "2", "chrM"};
    hw_regions r;
    if (hw_regions_read(path, names, 3, &r) == 0) {
        for (int64_t i = 0; i < r.n; i++)
            if (!hw_regions_overlap(&r, r.chrom[i], r.start[i], r.end[i])) __builtin_trap();
        hw_regions_free(&r);
    }
    unlink(path);
    return 0;
}
