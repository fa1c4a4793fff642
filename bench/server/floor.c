/*
** bench/server/floor.c — the HTTP floor of `make bench-server`: a bare
** libmicrohttpd server that answers every request with one fixed JSON body.
**
**   portcullis-bench-floor PORT THREADS
**
** It is set up exactly as `portcullis serve` sets up its TCP listener
** (src/server/server.c): the same daemon flags (an epoll thread pool inside
** libmicrohttpd), the same pool size, connection timeout and backlog, and it
** also reads the whole request body before answering, as a decision route
** must. What it leaves out is everything that is ours: JSON, the mapping, the
** decision, the decision id, metrics. So its req/s is the most any decision
** server on this HTTP stack and threading can reach, and the bench reports
** Portcullis as a fraction of it. Port 0 picks a free port; the port is
** printed ("listening on 127.0.0.1:PORT") for the runner. SIGINT or SIGTERM
** stops it.
*/
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

/* As in src/server/server.c, so the two differ only in what they do per request. */
#define LISTEN_BACKLOG 1024
#define CONNECTION_TIMEOUT_S 60
#define MAX_THREADS 256

static const char answer[] = "{\"decision\":true}";

/* Take the body (libmicrohttpd hands it in chunks), then answer the fixed body. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **state)
{
    static int started;
    (void)cls, (void)url, (void)method, (void)version, (void)upload_data;
    if (!*state) {   /* the headers: come back for the body */
        *state = &started;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0;
        return MHD_YES;
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(sizeof answer - 1, (void *)answer,
                                                             MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

static int listen_loopback(unsigned port, unsigned *bound)
{
    struct sockaddr_in sa = {0};
    socklen_t len = sizeof sa;
    int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, LISTEN_BACKLOG) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        fprintf(stderr, "floor: listen on 127.0.0.1:%u: %s\n", port, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *bound = ntohs(sa.sin_port);
    return fd;
}

/* A whole number in [lo, hi], or -1. */
static long number(const char *s, long lo, long hi)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    return end != s && !*end && v >= lo && v <= hi ? v : -1;
}

int main(int argc, char **argv)
{
    long port = argc == 3 ? number(argv[1], 0, 65535) : -1;
    long threads = argc == 3 ? number(argv[2], 1, MAX_THREADS) : -1;
    if (port < 0 || threads < 0) {
        fprintf(stderr, "usage: portcullis-bench-floor PORT(0-65535) THREADS(1-%d)\n",
                MAX_THREADS);
        return 2;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);   /* before the pool starts: it inherits the mask */
    signal(SIGPIPE, SIG_IGN);
    unsigned bound = 0;
    int fd = listen_loopback((unsigned)port, &bound);
    if (fd < 0)
        return 1;
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, NULL,
        MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)threads,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CONNECTION_TIMEOUT_S, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "floor: libmicrohttpd could not start\n");
        close(fd);
        return 1;
    }
    fprintf(stderr, "floor: listening on 127.0.0.1:%u\n", bound);
    int sig = 0;
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    return 0;
}
