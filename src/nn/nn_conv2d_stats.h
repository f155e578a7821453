/* Internal to src/nn: the conv path setting and counters that nn_conv2d.c keeps for
 * nn_conv2d_set_path / nn_conv2d_stats, shared with nn_conv2d_pool.c. */
#ifndef HITWIN_NN_CONV2D_STATS_H
#define HITWIN_NN_CONV2D_STATS_H

#include "hitwin/nn.h"

NnConvPath nn_conv2d_current_path(void);
NnConvStats *nn_conv2d_stats_add(void); /* the live counters */

#endif
