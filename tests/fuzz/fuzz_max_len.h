/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A target's default -max_len: LLVMFuzzerInitialize runs before libFuzzer
 * reads its flags, so a target can append "-max_len=N" to them unless the
 * command line names one.  Inputs then stay small enough for the target's
 * executions per second (libFuzzer's default is the largest seed, at least
 * 4096 bytes); a longer seed is read truncated.
 */
#ifndef KDSCOPE_FUZZ_MAX_LEN_H
#define KDSCOPE_FUZZ_MAX_LEN_H

#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);

static inline void fuzz_default_max_len(int *argc, char ***argv, const char *flag)
{
    enum { MAX_ARGS = 256 };
    static char *args[MAX_ARGS + 2];
    if (*argc < 1 || *argc > MAX_ARGS)
        return;
    for (int i = 1; i < *argc; i++)
        if (strncmp((*argv)[i], "-max_len=", 9) == 0)
            return;
    /* After the program name: a flag after the first corpus directory is
     * still a flag to libFuzzer, but keep them first. */
    args[0] = (*argv)[0];
    args[1] = (char *)flag;
    for (int i = 1; i < *argc; i++)
        args[i + 1] = (*argv)[i];
    args[*argc + 1] = NULL;
    *argc += 1;
    *argv = args;
}

#endif
