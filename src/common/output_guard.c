#define _GNU_SOURCE
#include "hitwin/output_guard.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hitwin/error.h"

int hw_input_check(const hw_input *in) {
    struct stat st;
    if (!in->path || !in->path[0]) return hw_fail("%s: empty path", in->setting);
    if (stat(in->path, &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) return hw_fail("%s: no such file (%s)", in->path, in->setting);
        return hw_fail("%s: cannot open (%s): %s", in->path, in->setting, strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) return hw_fail("%s: is a directory, not a file (%s)", in->path, in->setting);
    if (!S_ISREG(st.st_mode)) return hw_fail("%s: not a regular file (%s)", in->path, in->setting);
    if (access(in->path, R_OK) != 0) return hw_fail("%s: not readable (%s)", in->path, in->setting);
    return 0;
}

/* The input that PATH is (same device and inode), or -1. */
static int same_as_input(const char *path, const hw_input *inputs, int n) {
    struct stat out;
    if (stat(path, &out) != 0) return -1;
    for (int i = 0; i < n; i++) {
        struct stat in;
        if (inputs[i].path && stat(inputs[i].path, &in) == 0 && in.st_dev == out.st_dev &&
            in.st_ino == out.st_ino)
            return i;
    }
    return -1;
}

static int collision(const char *path, const char *setting, const hw_input *inputs, int n) {
    char tmp[PATH_MAX + 64];
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
    int k = same_as_input(path, inputs, n);
    if (k < 0) k = same_as_input(tmp, inputs, n);
    if (k < 0) return 0;
    return hw_fail("%s: the output (%s) is an input of this run (%s): choose another output", path,
                   setting, inputs[k].setting);
}

int hw_output_file_check(const char *path, const char *setting, const hw_input *inputs, int n_inputs) {
    if (!path || !path[0]) return hw_fail("%s: empty path (name the file to write)", setting);
    size_t len = strlen(path);
    struct stat st;
    if (path[len - 1] == '/' || (stat(path, &st) == 0 && S_ISDIR(st.st_mode)))
        return hw_fail("%s: is a directory; %s names the file to write", path, setting);
    /* the temporary name is made in the output's directory: it must be there and writable */
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == path) snprintf(dir, sizeof dir, "/");
    else snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return hw_fail("%s: directory %s does not exist (%s)", path, dir, setting);
    if (access(dir, W_OK | X_OK) != 0) return hw_fail("%s: directory %s is not writable (%s)", path, dir, setting);
    return collision(path, setting, inputs, n_inputs);
}

static int mkdir_p(const char *dir, const char *setting) {
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", dir);
    size_t n = strlen(buf);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0') continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return hw_fail("%s: cannot create the directory (%s): %s", buf, setting, strerror(errno));
        buf[i] = c;
    }
    return 0;
}

int hw_output_dir_make(const char *dir, const char *setting) {
    if (mkdir_p(dir, setting) != 0) return -1;
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) return hw_fail("%s: is not a directory (%s)", dir, setting);
    return 0;
}

int hw_output_dir_check(const char *dir, const char *setting, int create, const char *const *names,
                        int n_names, const hw_input *inputs, int n_inputs) {
    if (!dir || !dir[0]) return hw_fail("%s: empty path (name the directory to write)", setting);
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) return hw_fail("%s: is not a directory (%s)", dir, setting);
    } else if (errno == ENOENT) {
        if (!create) return 0; /* the stage creates it; nothing in it can be an input */
        if (mkdir_p(dir, setting) != 0) return -1;
    } else {
        return hw_fail("%s: cannot use as the output directory (%s): %s", dir, setting, strerror(errno));
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) return hw_fail("%s: is not a directory (%s)", dir, setting);
    if (access(dir, W_OK | X_OK) != 0) return hw_fail("%s: directory is not writable (%s)", dir, setting);
    for (int i = 0; i < n_names; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            return hw_fail("%s: is a directory, where %s writes a file", path, setting);
        if (collision(path, setting, inputs, n_inputs) != 0) return -1;
    }
    return 0;
}

/* ---- temporary files ------------------------------------------------------------------ */
#define HW_TEMP_CAP 160 /* distance: 50 temporaries and their 50 final names at once */
static char temp_paths[HW_TEMP_CAP][PATH_MAX];
static volatile sig_atomic_t temp_used[HW_TEMP_CAP];
static int handlers_installed;

/* Files first, then the (empty) directories registered: rmdir of a directory that still
 * holds anything fails, and leaves it. Both calls are async-signal-safe. */
/* MPI-IO (ROMIO) probes file locking on some file systems with a file beside the one it
 * opens, named PATH.locktest.RANK, and removes it; a rank killed in between leaves it, and a
 * surviving rank removes it here with the temporary (ranks 0-63). Built by hand: snprintf is
 * not async-signal-safe. */
static void remove_lock_probes(const char *path) {
    static const char suffix[] = ".locktest.";
    char name[PATH_MAX + 16];
    size_t n = strlen(path);
    if (n + sizeof suffix + 3 > sizeof name) return;
    memcpy(name, path, n);
    memcpy(name + n, suffix, sizeof suffix - 1);
    n += sizeof suffix - 1;
    for (int r = 0; r < 64; r++) {
        size_t k = n;
        if (r >= 10) name[k++] = (char)('0' + r / 10);
        name[k++] = (char)('0' + r % 10);
        name[k] = '\0';
        unlink(name);
    }
}

static void remove_all(void) {
    for (int i = 0; i < HW_TEMP_CAP; i++)
        if (temp_used[i]) {
            unlink(temp_paths[i]);
            remove_lock_probes(temp_paths[i]);
        }
    for (int i = 0; i < HW_TEMP_CAP; i++)
        if (temp_used[i]) rmdir(temp_paths[i]);
}

static void on_signal(int sig) {
    remove_all();
    signal(sig, SIG_DFL);
    raise(sig);
}

void hw_temp_add(const char *path) {
    if (!handlers_installed) {
        handlers_installed = 1;
        int sigs[] = {SIGTERM, SIGINT, SIGHUP};
        for (size_t k = 0; k < sizeof sigs / sizeof *sigs; k++) {
            struct sigaction sa, old;
            memset(&sa, 0, sizeof sa);
            sa.sa_handler = on_signal;
            sigemptyset(&sa.sa_mask);
            /* leave a signal the user set to be ignored (nohup) ignored */
            if (sigaction(sigs[k], NULL, &old) == 0 && old.sa_handler == SIG_IGN) continue;
            sigaction(sigs[k], &sa, NULL);
        }
    }
    for (int i = 0; i < HW_TEMP_CAP; i++)
        if (!temp_used[i]) {
            snprintf(temp_paths[i], sizeof temp_paths[i], "%s", path);
            temp_used[i] = 1;
            return;
        }
}

void hw_temp_forget(const char *path) {
    for (int i = 0; i < HW_TEMP_CAP; i++)
        if (temp_used[i] && strcmp(temp_paths[i], path) == 0) temp_used[i] = 0;
}

void hw_temp_cleanup(void) {
    remove_all();
    for (int i = 0; i < HW_TEMP_CAP; i++) temp_used[i] = 0;
}
