/* placeholder */ typedef int hw_placeholder_dataset_config;
