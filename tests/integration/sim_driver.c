/* Stand-in for `hitwin simulate` in tests: the CLI dispatcher (src/cli) owns
 * `hitwin`; this runs the same entry point so the simulate tests do not
 * depend on it. */
#include "hitwin/dist.h"
#include "hitwin/simulate.h"

int main(int argc, char **argv) {
    hw_dist d;
    hw_dist_init(&d, &argc, &argv);
    int rc = hw_simulate_main(argc, argv);
    hw_dist_finalize();
    return rc;
}
