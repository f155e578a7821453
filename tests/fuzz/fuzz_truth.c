/* The truth BED / bedGraph reader of `hitwin evaluate` (hw_truth_load). The
 * mode comes from the extension, so the first input byte picks .bed,
 * .bedgraph or none, and the rest goes into a file of that name in /dev/shm;
 * the intervals are then labelled and checked against two chromosomes. */
#include "fuzz_common.h"
#include "hitwin/evaluate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    static const char *const ext[] = {".bed", ".bedgraph", ".txt"};
    char path[96];
    snprintf(path, sizeof path, "/dev/shm/hitwin_fuzz_truth_%d%s", (int)getpid(), ext[data[0] % 3]);
    FILE *fp = fopen(path, "wb");
    if (!fp) return 0;
    fwrite(data + 1, 1, size - 1, fp);
    fclose(fp);
    hw_truth t;
    if (hw_truth_load(path, &t) == 0) {
        const char names[2][8] = {"chr1", "chr2"};
        (void)hw_truth_check_chroms(&t, names[0], 2, 8);
        for (int64_t w = 0; w < 4; w++) (void)hw_truth_label(&t, "chr1", w * 1000, w * 1000 + 1000, 0.5);
        hw_truth_free(&t);
    }
    unlink(path);
    return 0;
}
