/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for kdsim's debugger-script parser: any bytes as a
 * script file.  A bad line must give an error naming it, never a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0; /* fmemopen refuses an empty buffer */
    FILE *f = fmemopen((void *)data, size, "r");
    if (!f)
        return 0;
    char err[512] = "";
    kdsim_script *s = kdsim_script_read(f, err, sizeof err);
    fclose(f);
    if (!s && err[0] == 0)
        abort(); /* a refusal always says why */
    kdsim_script_free(s);
    return 0;
}
