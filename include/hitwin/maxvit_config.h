/* The `maxvit:` mapping of a train config (docs/train.md): a MaxViT architecture smaller than
 * maxvit_t, for CPU checks and small data. Read from the user's config and, by the stages
 * that rebuild a model from a checkpoint (distance, saliency), from the resolved YAML stored
 * in it, so both go through one parser and one writer:
 *
 *   maxvit:
 *     stem: 8              # stem channels
 *     channels: [8, 16]    # one entry per block (at most 4), each a multiple of head_dim and of 4
 *     depths: [1, 2]       # layers per block
 *     head_dim: 4
 *     stochastic_depth: 0.2   # optional: the last layer's drop rate (linspace from 0), 0.2
 *
 * Absent: maxvit_t (hw_maxvit_arch all zero). */
#ifndef HITWIN_MAXVIT_CONFIG_H
#define HITWIN_MAXVIT_CONFIG_H

#include <stddef.h>

#include "hitwin/model.h"
#include "hitwin/yaml_tree.h"

/* node: the value of `maxvit:`. One line "<file>:<line>: maxvit: <cause>" per impossible
 * value (the image size is checked when the model is built, it comes from the tile store). */
int hw_maxvit_arch_parse(const yt_doc *d, const yt_node *node, hw_maxvit_arch *arch);

/* The mapping as YAML lines ("maxvit:\n  stem: 8\n..."), appended at buf + *len (cap bytes in
 * all); nothing for maxvit_t (n_blocks 0), so that such a config's YAML and hash stay as they
 * were. */
void hw_maxvit_arch_emit(const hw_maxvit_arch *arch, char *buf, size_t cap, int *len);

#endif
