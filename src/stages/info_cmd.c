/* placeholder */ typedef int hw_placeholder_info_cmd;
