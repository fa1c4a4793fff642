/*
** server/http.h — the two libmicrohttpd callbacks the listeners install
** (their cls is the pc_srv). Only server.c needs these; handlers use srv.h.
*/
#ifndef PC_SRV_HTTP_H
#define PC_SRV_HTTP_H

#include <microhttpd.h>

#include "srv.h"

enum MHD_Result pc_srv_on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **state);
void pc_srv_on_completed(void *cls, struct MHD_Connection *conn, void **state,
                         enum MHD_RequestTerminationCode why);

#endif
