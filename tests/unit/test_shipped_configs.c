/* Every file in configs/ loads and validates with the loader of the stage that reads it, as
 * that stage does: simulate-*.yaml on the "small" defaults (hitwin simulate), train-*.yaml
 * (hitwin train), sweep-*.yaml (hitwin sweep, which loads each grid point's train config too),
 * and any other YAML as a dataset config (hitwin tile). A shipped config that a key rename or
 * a new cross-field rule broke fails here, not in a user's first run. A file named for no
 * other loader must load as a dataset config, so a new kind of config needs a branch here.
 * Run from the project root (CTest's working directory); argv[1] may name another folder. */
#include "hitwin/dataset_config.h"
#include "hitwin/error.h"
#include "hitwin/sim_config.h"
#include "hitwin/sweep.h"
#include "hitwin/train.h"
#include "test_util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int starts_with(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int cmp_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_sweep_copy(const char *dir, const char *name) {
    char tmp[] = "/tmp/hw_shipped_configs_XXXXXX", p[4096], q[4096];
    if (!mkdtemp(tmp)) return hw_fail("cannot make a temporary folder");
    snprintf(p, sizeof p, "%s/configs", tmp);
    snprintf(q, sizeof q, "%s/demo-out", tmp);
    int rc = mkdir(p, 0700) == 0 && mkdir(q, 0700) == 0 ? 0 : hw_fail("cannot make %s", p);
    DIR *d = rc == 0 ? opendir(dir) : NULL;
    struct dirent *e;
    while (d && rc == 0 && (e = readdir(d)))
        if (ends_with(e->d_name, ".yaml")) {
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            snprintf(q, sizeof q, "%s/configs/%s", tmp, e->d_name);
            if (test_copy_file(p, q) != 0) rc = hw_fail("cannot copy %s to %s", p, q);
        }
    if (d) closedir(d);
    snprintf(q, sizeof q, "%s/demo-out/tiles.h5", tmp);
    if (rc == 0 && test_copy_file("/dev/null", q) != 0) rc = hw_fail("cannot write %s", q);
    if (rc == 0) {
        snprintf(p, sizeof p, "%s/configs/%s", tmp, name);
        hw_sweep s;
        memset(&s, 0, sizeof s);
        rc = hw_sweep_load(p, "hitwin", &s);
        hw_sweep_free(&s);
    }
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0) fprintf(stderr, "warning: could not remove %s\n", tmp);
    return rc;
}

/* 0 when the file loads and validates; the loader's message otherwise */
static int load_one(const char *dir, const char *name, const char **kind) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int rc;
    if (starts_with(name, "simulate-")) {
        *kind = "simulate";
        hw_sim_config c;
        rc = hw_sim_config_defaults(&c, "small");
        if (rc == 0) rc = hw_sim_config_load(&c, path);
        if (rc == 0) rc = hw_sim_config_validate(&c);
        hw_sim_config_free(&c);
    } else if (starts_with(name, "train-")) {
        *kind = "train";
        hw_train_config c;
        rc = hw_train_config_load(path, &c);
        if (rc == 0) hw_train_config_free(&c);
    } else if (starts_with(name, "sweep-")) {
        /* hitwin sweep checks that the store it will score exists (the train config's tiles,
         * ../demo-out/tiles.h5: what scripts/demo.sh makes). Load a copy of the folder beside
         * an empty stand-in for it, so the test needs no demo run and writes nothing here. */
        *kind = "sweep";
        rc = load_sweep_copy(dir, name);
    } else {
        *kind = "dataset";
        hw_dataset_config c;
        memset(&c, 0, sizeof c);
        rc = hw_dataset_config_load(path, &c);
        if (rc == 0) hw_dataset_config_free(&c);
    }
    return rc;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "configs";
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "FAIL: cannot open %s (run from the project root)\n", dir);
        return 1;
    }
    char *names[256];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256)
        if (ends_with(e->d_name, ".yaml") || ends_with(e->d_name, ".yml")) names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp_name);
    int seen[4] = {0, 0, 0, 0};
    for (int i = 0; i < n; i++) {
        const char *kind = "?";
        if (load_one(dir, names[i], &kind) != 0) {
            fprintf(stderr, "FAIL: %s/%s (%s config): %s\n", dir, names[i], kind, hw_error());
            test_failures++;
        } else {
            printf("ok   %s/%s (%s config)\n", dir, names[i], kind);
        }
        seen[kind[0] == 's' ? (kind[1] == 'i' ? 0 : 2) : kind[0] == 't' ? 1 : 3]++;
        free(names[i]);
    }
    /* the folder holds at least one config of each kind the README and docs point to */
    const char *kinds[4] = {"simulate", "train", "sweep", "dataset"};
    for (int k = 0; k < 4; k++)
        if (!seen[k]) {
            fprintf(stderr, "FAIL: no %s config in %s\n", kinds[k], dir);
            test_failures++;
        }
    printf("%d configs\n", n);
    return test_failures ? 1 : 0;
}
