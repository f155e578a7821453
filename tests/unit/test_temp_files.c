/* Temporary files of a stage (output_guard.h): hw_temp_cleanup removes every registered
 * temporary, and beside each the lock probes MPI-IO (ROMIO) names PATH.locktest.RANK, which a
 * killed rank leaves behind (seen in the kill -9 fault cases); a forgotten (renamed)
 * temporary and any other file stay. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hitwin/output_guard.h"
#include "test_util.h"

static void touch(const char *path) {
    FILE *f = fopen(path, "w");
    if (f) fclose(f);
}

static int exists(const char *path) { return access(path, F_OK) == 0; }

int main(void) {
    char dir[] = "/tmp/hw_temp_XXXXXX";
    if (!mkdtemp(dir)) return 1;
    char tmp[256], probe1[300], probe63[300], kept[256], other[300], renamed[256];
    snprintf(tmp, sizeof tmp, "%s/k.h5.tmp-1", dir);
    snprintf(probe1, sizeof probe1, "%s.locktest.1", tmp);
    snprintf(probe63, sizeof probe63, "%s.locktest.63", tmp);
    snprintf(other, sizeof other, "%s.other", tmp);
    snprintf(kept, sizeof kept, "%s/k.h5", dir);
    snprintf(renamed, sizeof renamed, "%s/r.h5.tmp-2", dir);
    const char *files[] = {tmp, probe1, probe63, other, kept, renamed};
    for (int i = 0; i < 6; i++) touch(files[i]);
    hw_temp_add(tmp);
    hw_temp_add(renamed);
    hw_temp_forget(renamed);
    hw_temp_cleanup();
    CHECK(!exists(tmp));
    CHECK(!exists(probe1));
    CHECK(!exists(probe63));
    CHECK(exists(other));
    CHECK(exists(kept));
    CHECK(exists(renamed));
    for (int i = 0; i < 6; i++) unlink(files[i]);
    rmdir(dir);
    return TEST_RESULT();
}
