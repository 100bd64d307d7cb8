/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * script.h - kdsim's debugger scripts: one command per line, '#' comments.
 *
 *   reset                      RESET handshake (the target re-sends its state change)
 *   wait_state [exception|load_symbols|command_string]
 *                              wait for the next state change (DbgPrint lines on the way
 *                              are printed; a DbgPrompt is answered with the prompt_answer)
 *   wait_io [print|prompt]     wait for the next DbgPrint / DbgPrompt (either when not
 *                              named; a prompt is answered) and keep it for expect
 *   get_version                GetVersion (learns the architecture)
 *   read_virtual ADDR LEN      ReadVirtualMemory
 *   write_virtual ADDR HEX     WriteVirtualMemory of the bytes HEX
 *   read_physical ADDR LEN     ReadPhysicalMemory
 *   get_context                GetContext
 *   set_context                SetContext with the last CONTEXT read
 *   bp ADDR                    WriteBreakPoint
 *   bc HANDLE                  RestoreBreakPoint
 *   continue                   Continue2 with DBG_CONTINUE
 *   step                       Continue2 with TraceFlag set
 *   break                      send a break-in byte
 *   prompt_answer TEXT         what to answer DbgPrompts with
 *   modules                    walk PsLoadedModuleList (from get_version) as WinDbg does:
 *                              the head, each KLDR_DATA_TABLE_ENTRY, each BaseDllName
 *                              buffer; prints base, size and name of each module
 *   expect FIELD OP VALUE      check the last message received: OP is == != < <= > >=
 *                              for numbers, or "contains" for text
 *   expect modules contains NAME / expect modules OP COUNT
 *                              check the last modules walk
 *
 * Numbers are C literals (0x..., decimal); ADDR may be "kernbase+0x30" after
 * get_version, or "kdtest+0x30" with a module name the modules walk found
 * (nt, hal, kdcom, ...: WinDbg's names, kdparse/modmap.h).  A failed expect
 * stops the script with the line named.
 */
#ifndef KDSIM_SCRIPT_H
#define KDSIM_SCRIPT_H

#include <stdio.h>

#include "link.h"

typedef struct kdsim_script kdsim_script;

/* Parses the whole script; NULL and "LINE: reason" in err on a bad line. */
kdsim_script *kdsim_script_load(const char *path, char *err, size_t errlen);
/* The same from an open stream (left open). */
kdsim_script *kdsim_script_read(FILE *f, char *err, size_t errlen);
void kdsim_script_free(kdsim_script *s);

/* Runs it over the link, printing what happens to log.  0 all done, 1 an
 * expect failed, -1 the link failed (err says where). */
int kdsim_script_run(kdsim_script *s, kdsim_link *l, FILE *log, char *err, size_t errlen);

#endif
