/* The data lines of a BED-like text file (BED, bedGraph), as `hitwin evaluate --truth` and
 * `hitwin saliency --regions` read them: lines of any length; blank lines, `#` comments and
 * `track` / `browser` header lines skipped; columns split at tabs or spaces. Each data line's
 * fields go to a callback, which checks them and says what is wrong with them. */
#ifndef HITWIN_BED_LINES_H
#define HITWIN_BED_LINES_H

#include <stdint.h>

/* Fields passed per line at most: later ones are not split off (nf stops here). */
#define HW_BED_MAX_FIELDS 8

/* One data line: fields[0..nf) (nf >= 1), valid for the call only. 0 to go on, or -1 with
 * hw_fail (the message naming path:lineno is the callback's) to stop the read. */
typedef int (*hw_bed_line_fn)(void *ctx, const char *path, int64_t lineno, char **fields, int nf);

/* 0 when every data line was accepted; -1 with hw_error() =
 *   "<path>: cannot open (<reason>)", "<path>:<line>: a NUL byte: not a text file",
 *   "<path>: read error (<reason>)", or the callback's message. */
int hw_bed_lines_read(const char *path, hw_bed_line_fn fn, void *ctx);

#endif
