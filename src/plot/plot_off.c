/* hitwin plot in a build configured with -DHITWIN_PLOT=OFF (no cairo): the sanitizer and
 * fuzz builds of scripts/test.sh, because with cairo's X11 libraries linked in LeakSanitizer
 * (GCC 12) crashes at exit walking a dynamic TLS block ("Tracer caught signal 11";
 * docs/plot.md). The command and the sweep's figure say so in
 * one line instead. */
#include "hitwin/error.h"
#include "hitwin/log.h"
#include "hitwin/plot.h"

static const char off[] = "this hitwin was built without plotting (-DHITWIN_PLOT=OFF): rebuild "
                          "with cairo (scripts/install-deps.sh) for figures";

int hw_plot_training(const hw_plot_request *r) {
    return hw_fail("%s: %s", r->out ? r->out : "plot", off);
}

int hw_plot_main(int argc, char **argv) {
    (void)argc, (void)argv;
    log_error("plot: %s", off);
    return 2;
}
