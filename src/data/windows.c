/* placeholder */ typedef int hw_placeholder_windows;
