/* The rules every stage applies to its paths before it opens anything for writing
 * (docs/bad-input.md):
 *   - an input is a regular file that exists (a directory given as a config or a
 *     sample is named as such, not reported later as "empty file" or a YAML error);
 *   - no output, nor its temporary name, is the same file (device and inode, through
 *     symbolic and hard links) as one of the run's inputs;
 *   - an output file's directory exists and is writable, and the output is not a
 *     directory; an output directory is created when missing;
 * and the temporary files of a run, removed when the job is stopped (MPI_Abort,
 * SIGTERM, SIGINT, SIGHUP) so that a failed stage leaves no *.tmp-PID behind.
 * Messages name the path and the setting (flag or config key) to change. */
#ifndef HITWIN_OUTPUT_GUARD_H
#define HITWIN_OUTPUT_GUARD_H

/* An input of a run: its path and what named it ("sample control_R1", "--checkpoint"). */
typedef struct {
    const char *path;
    const char *setting;
} hw_input;

/* 0 when PATH is an existing regular file (or what it links to), else -1:
 *   "PATH: no such file (SETTING)", "PATH: is a directory, not a file (SETTING)". */
int hw_input_check(const hw_input *in);

/* The output file PATH named by SETTING, written as PATH.tmp-PID and renamed:
 *   "SETTING: empty path (name the file to write)"
 *   "PATH: is a directory; SETTING names the file to write"
 *   "PATH: directory DIR does not exist (SETTING)" / "... is not writable (SETTING)"
 *   "PATH: the output (SETTING) is an input of this run (INPUT SETTING): choose another output" */
int hw_output_file_check(const char *path, const char *setting, const hw_input *inputs, int n_inputs);

/* The output directory DIR named by SETTING, in which the files NAMES are written:
 * created (mkdir -p) when create and missing; "DIR: is not a directory (SETTING)";
 * "DIR/NAME: the output (SETTING) is an input of this run (...): choose another output". */
int hw_output_dir_check(const char *dir, const char *setting, int create, const char *const *names,
                        int n_names, const hw_input *inputs, int n_inputs);

/* mkdir -p DIR: "DIR: cannot create the directory (SETTING): <reason>". */
int hw_output_dir_make(const char *dir, const char *setting);

/* Temporary files of this process: removed by hw_temp_cleanup(), which runs at
 * hw_dist_abort and on SIGTERM/SIGINT/SIGHUP (the signal is then re-raised). A
 * directory may be registered too (one this run made): it is removed after the files,
 * if it is empty by then. */
void hw_temp_add(const char *path);
void hw_temp_forget(const char *path);
void hw_temp_cleanup(void);

#endif
