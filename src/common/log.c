#include "hitwin/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int log_rank = 0, log_size = 1, log_quiet = 0, progress_open = 0;

void hw_log_set_rank(int rank, int size) {
    log_rank = rank;
    log_size = size;
}
int hw_log_rank(void) { return log_rank; }
void hw_log_set_quiet(int quiet) { log_quiet = quiet; }

static void end_progress_line(void) {
    if (progress_open) {
        fputc('\n', stderr);
        progress_open = 0;
    }
}

void log_info0(const char *fmt, ...) {
    if (log_rank != 0 || log_quiet) return;
    end_progress_line();
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void log_info(const char *fmt, ...) {
    if (log_quiet) return;
    end_progress_line();
    /* one write per line, so lines of different ranks never interleave */
    char line[1024];
    int n = log_size > 1 ? snprintf(line, sizeof line, "[rank %d] ", log_rank) : 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = strlen(line);
    line[len] = '\n';
    fwrite(line, 1, len + 1, stderr);
    fflush(stderr);
}

void log_warn(const char *fmt, ...) {
    end_progress_line();
    va_list ap;
    va_start(ap, fmt);
    if (log_size > 1) fprintf(stderr, "hitwin: warning (rank %d): ", log_rank);
    else fprintf(stderr, "hitwin: warning: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void log_error(const char *fmt, ...) {
    end_progress_line();
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "hitwin: error: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
}

void log_progress0(const char *fmt, ...) {
    if (log_rank != 0 || log_quiet) return;
    int tty = isatty(fileno(stderr));
    va_list ap;
    va_start(ap, fmt);
    if (tty) fputs("\r\033[K", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (tty) progress_open = 1;
    else fputc('\n', stderr);
    fflush(stderr);
}

void log_progress_done0(void) {
    if (log_rank == 0) end_progress_line();
}
