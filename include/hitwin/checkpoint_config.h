/* What a backbone checkpoint says about the model that made it: the config `hitwin train`
 * stores in its safetensors metadata ("config": the resolved training YAML), read back by
 * every stage that embeds tiles with a checkpoint (distance, saliency), so that they build
 * the same model the same way. */
#ifndef HITWIN_CHECKPOINT_CONFIG_H
#define HITWIN_CHECKPOINT_CONFIG_H

#include <stddef.h>

#include "hitwin/model.h"
#include "hitwin/safetensors.h"

/* The value of a top-level "key: value" line of a stored config YAML (unquoted, up to a
 * space or comment, at most cap - 1 characters); 1 when found, 0 when not. */
int hw_config_value(const char *yaml, const char *key, char *out, size_t cap);

/* The backbone config for evaluation at tile_size: the backbone from the stored config's
 * `model:` (SLeNet when none; MaxViT is maxvit_t), the mask from the file's "mask" tensor,
 * the recipe's input scaling (input_transform, norm_region) from its stored config; a
 * checkpoint without them (older, or converted from the reference) gets the reference's.
 * An unknown value is one line naming the file, the key and the value. */
int hw_checkpoint_model_config(const hw_st_file *f, const char *path, int tile_size,
                               hw_model_config *cfg);

#endif
