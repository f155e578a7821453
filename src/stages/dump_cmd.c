/* placeholder */ typedef int hw_placeholder_dump_cmd;
