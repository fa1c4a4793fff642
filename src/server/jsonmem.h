/*
** server/jsonmem.h — jansson allocations from a per-thread arena while a
** decision route runs (see jsonmem.c for why and for the rules).
*/
#ifndef PC_SRV_JSONMEM_H
#define PC_SRV_JSONMEM_H

#include <stdbool.h>

/* Hand jansson our allocation functions; once, before the worker threads start. */
void pc_srv_jsonmem_install(void);
/* This thread's JSON comes from its arena from now on... */
void pc_srv_jsonmem_begin(void);
/* ...until here, where all of it is dropped: no value made since begin may be alive. */
void pc_srv_jsonmem_end(void);
/*
** Plain malloc for a while, inside a route: around calls into libraries
** that release json_dumps text with free() (the grant code). Returns
** whether the arena was in use, to hand back to resume.
*/
bool pc_srv_jsonmem_pause(void);
void pc_srv_jsonmem_resume(bool was_active);
/* Free this thread's arena (at thread exit). */
void pc_srv_jsonmem_thread_exit(void);

#endif
