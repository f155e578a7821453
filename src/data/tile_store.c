/* placeholder */ typedef int hw_placeholder_tile_store;
