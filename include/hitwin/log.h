/* Logging: info and progress from rank 0 only (a 64-rank job prints one line,
 * not 64), warnings and errors from any rank, all on stderr so that stdout
 * stays for results (dump output, summaries a script can parse). */
#ifndef HITWIN_LOG_H
#define HITWIN_LOG_H

#include "hitwin/error.h"

void hw_log_set_rank(int rank, int size);
int hw_log_rank(void);
void hw_log_set_quiet(int quiet);

void log_info0(const char *fmt, ...) HW_PRINTF(1, 2);  /* rank 0 only */
void log_info(const char *fmt, ...) HW_PRINTF(1, 2);   /* any rank, tagged with the rank */
void log_warn(const char *fmt, ...) HW_PRINTF(1, 2);   /* any rank, tagged with the rank */
void log_error(const char *fmt, ...) HW_PRINTF(1, 2);  /* "hitwin: error: ..." */

/* A one-line progress display on a terminal (rank 0), plain lines otherwise. */
void log_progress0(const char *fmt, ...) HW_PRINTF(1, 2);
void log_progress_done0(void);

#endif
