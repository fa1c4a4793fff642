/*
** server/server.h — the decision daemon as the CLI sees it: start it from a
** config, run it until told to stop, stop it.
*/
#ifndef PC_SRV_SERVER_H
#define PC_SRV_SERVER_H

#include "config.h"

typedef struct pc_srv pc_srv;

/*
** Load the policy set and start listening. Blocks SIGHUP, SIGINT and SIGTERM
** in the calling thread first (the workers inherit the mask), so call it
** from the main thread before any other thread exists. cfg must outlive the
** server. On failure nothing is left running and d says why.
*/
pc_status pc_srv_start(const pc_srv_config *cfg, pc_srv **out, pc_diag *d);
/* Serve until SIGINT or SIGTERM; reload on SIGHUP and when policy files change. */
void pc_srv_run(pc_srv *s);
/* Stop listening, finish the requests in flight, free everything. */
void pc_srv_stop(pc_srv *s);

#endif
