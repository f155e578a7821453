#include <stdio.h>
int main(void) { puts("hitwin"); return 0; }
