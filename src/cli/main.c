#include "dltc/dltc.h"
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("dlt %s\n", dltc_version());
        return 0;
    }
    return 2;
}
