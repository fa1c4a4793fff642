/*
** pep/proxy.c — the MCP stdio relay: one agent, one server, the gate between.
**
** The server is spawned with pipes for its stdin and stdout (its stderr is
** ours, so its logs reach the operator). One poll() loop moves bytes: lines
** from the agent go through pc_pep_gate_client, lines from the server
** through pc_pep_gate_server, and what they let through waits in a queue
** until its descriptor is writable. Order is kept because each direction is
** one queue filled in arrival order, and a gated message is decided before
** the next line of its direction is even looked at: the PDP exchange runs
** inside the loop, bounded by its timeout. Meanwhile the kernel's pipe
** buffers hold whatever arrives, so nothing is lost, only delayed.
**
** Ending follows MCP's shutdown advice. When the agent closes its side we
** deliver what is queued, close the server's stdin, and keep relaying its
** output until it exits; one that has not closed its stdout within
** PC_PEP_CHILD_GRACE_MS gets SIGTERM, and SIGKILL after the same again. When
** the server closes its stdout we deliver what is queued and end. A write
** failure towards the agent or running out of memory ends the session at
** once, with the same stop sequence; the stop descriptor becoming readable
** (we were sent a signal) ends it too, and the server gets SIGTERM at once.
*/
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pep.h"

extern char **environ;

/* Poll slots. */
enum { P_CLIENT_IN, P_SERVER_OUT, P_SERVER_IN, P_CLIENT_OUT, P_STOP, P_COUNT };

typedef struct session {
    const pc_pep_proxy_config *cfg;
    pc_pep_gate gate;
    pid_t child;
    int to_child, from_child;       /* our ends of the server's stdin and stdout; -1 closed */
    pc_pep_lines client_lines, server_lines;
    pc_pep_queue to_server, to_client;
    bool client_done, server_done;  /* end of input seen on that side */
    bool broken;                    /* end now: agent gone, memory out, told to stop */
    bool told_to_stop;              /* the stop descriptor fired: the server gets SIGTERM at once */
    uint64_t deadline_ms;           /* when waiting for the server to finish; 0: not */
    char *chunk;
    pc_diag *d;
} session;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static bool set_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl >= 0 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0;
}

/* ---- the sinks: framed lines into the gate ------------------------------- */

static bool client_line(void *ctx, const char *p, size_t n)
{
    session *s = ctx;
    return pc_pep_gate_client(&s->gate, p, n, &s->to_server, &s->to_client);
}

static bool client_oversize(void *ctx, size_t max)
{
    session *s = ctx;
    return pc_pep_gate_oversize(&s->gate, "client", max, &s->to_client);
}

static bool server_line(void *ctx, const char *p, size_t n)
{
    session *s = ctx;
    return pc_pep_gate_server(&s->gate, p, n, &s->to_client);
}

static bool server_oversize(void *ctx, size_t max)
{
    session *s = ctx;
    return pc_pep_gate_oversize(&s->gate, "server", max, &s->to_client);
}

/* ---- starting and stopping the server ---------------------------------- */

/*
** posix_spawnp with the pipe ends as the server's stdin and stdout. SIGPIPE
** goes back to its default: we ignore it, and an ignored signal would stay
** ignored across exec. 0 or an errno value.
*/
static int spawn_with(session *s, int in, int out)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t dflt;
    sigemptyset(&dflt);
    sigaddset(&dflt, SIGPIPE);
    if (posix_spawn_file_actions_init(&fa) != 0)
        return ENOMEM;
    int rc = posix_spawnattr_init(&attr);
    if (rc == 0) {
        rc = posix_spawnattr_setsigdefault(&attr, &dflt);
        if (rc == 0)
            rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
        if (rc == 0)
            rc = posix_spawn_file_actions_adddup2(&fa, in, STDIN_FILENO);
        if (rc == 0)
            rc = posix_spawn_file_actions_adddup2(&fa, out, STDOUT_FILENO);
        if (rc == 0)
            rc = posix_spawnp(&s->child, s->cfg->server_argv[0], &fa, &attr,
                              s->cfg->server_argv, environ);
        posix_spawnattr_destroy(&attr);
    }
    posix_spawn_file_actions_destroy(&fa);
    return rc;
}

static pc_status spawn_server(session *s)
{
    int in[2] = {-1, -1}, out[2] = {-1, -1};
    int rc = 0;
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0)
        pc_diag_set(s->d, PC_ERR_IO, "cannot make pipes for the MCP server: %s", strerror(errno));
    else if ((rc = spawn_with(s, in[0], out[1])) != 0) {
        s->child = -1;   /* nothing to stop: the spawn already reaped a failed exec */
        pc_diag_set(s->d, PC_ERR_IO, "cannot start the MCP server '%s': %s",
                    s->cfg->server_argv[0], strerror(rc));
    }
    close_fd(&in[0]);
    close_fd(&out[1]);
    s->to_child = in[1];
    s->from_child = out[0];
    if (s->d->status == PC_OK && (!set_nonblocking(s->to_child) || !set_nonblocking(s->from_child)))
        pc_diag_set(s->d, PC_ERR_IO, "cannot make the server's pipes non-blocking: %s",
                    strerror(errno));
    return s->d->status;
}

/* Wait up to ms for the child; true when it has been reaped into *status. */
static bool reap_within(pid_t child, uint64_t ms, int *status)
{
    uint64_t end = now_ms() + ms;
    for (;;) {
        pid_t r = waitpid(child, status, WNOHANG);
        if (r == child || (r < 0 && errno != EINTR))
            return true;
        if (now_ms() >= end)
            return false;
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
}

/*
** Close its pipes and give it wait_ms to exit, then SIGTERM and the grace
** again, then SIGKILL. The exit code, or 128+signal when it was killed.
*/
static int stop_server(session *s, uint64_t wait_ms)
{
    close_fd(&s->to_child);
    close_fd(&s->from_child);
    int status = 0;
    if (!reap_within(s->child, wait_ms, &status)) {
        kill(s->child, SIGTERM);
        if (!reap_within(s->child, PC_PEP_CHILD_GRACE_MS, &status)) {
            kill(s->child, SIGKILL);
            while (waitpid(s->child, &status, 0) < 0 && errno == EINTR)
                ;
        }
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ---- the loop ---------------------------------------------------------- */

/* Read what is there from fd into the framer; false at end of input. */
static bool pump(session *s, int fd, pc_pep_lines *lines, const pc_pep_line_sink *sink)
{
    ssize_t n = read(fd, s->chunk, PC_PEP_READ_CHUNK);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
        return true;
    if (n > 0) {
        if (!pc_pep_lines_feed(lines, s->chunk, (size_t)n, sink)) {
            pc_diag_set(s->d, PC_ERR_NOMEM, "out of memory relaying a message");
            s->broken = true;
        }
        return true;
    }
    if (!pc_pep_lines_finish(lines, sink)) {
        pc_diag_set(s->d, PC_ERR_NOMEM, "out of memory relaying a message");
        s->broken = true;
    }
    return false;
}

static void on_client_readable(session *s)
{
    pc_pep_line_sink sink = {client_line, client_oversize, s};
    if (!pump(s, s->cfg->client_in, &s->client_lines, &sink)) {
        s->client_done = true;
        s->deadline_ms = now_ms() + PC_PEP_CHILD_GRACE_MS;
    }
}

static void on_server_readable(session *s)
{
    pc_pep_line_sink sink = {server_line, server_oversize, s};
    if (!pump(s, s->from_child, &s->server_lines, &sink))
        s->server_done = true;
}

static void flush_to_server(session *s)
{
    pc_diag d;
    pc_diag_init(&d);
    if (pc_pep_queue_flush(&s->to_server, s->to_child, &d) != PC_OK) {
        /* The server stopped reading: what the agent sends now has nowhere to go. */
        if (s->gate.cfg->log)
            fprintf(s->gate.cfg->log,
                    "portcullis mcp-proxy: the MCP server closed its input (%s)\n",
                    d.msg ? d.msg : "write failed");
        close_fd(&s->to_child);
        pc_pep_queue_free(&s->to_server);
    }
    pc_diag_clear(&d);
}

static void flush_to_client(session *s)
{
    if (pc_pep_queue_flush(&s->to_client, s->cfg->client_out, s->d) != PC_OK) {
        pc_diag_prefix(s->d, "the agent's side");
        s->broken = true;
    }
}

static bool finished(session *s)
{
    if (s->broken)
        return true;
    if (s->server_done)   /* the server is gone: deliver what it said, then end */
        return pc_pep_queue_pending(&s->to_client) == 0;
    return s->client_done && now_ms() >= s->deadline_ms;
}

/* The descriptors one poll() watches, and which slot holds which. */
typedef struct watch {
    struct pollfd fds[P_COUNT];
    int slot[P_COUNT];   /* index into fds, -1 when not watched */
    nfds_t n;
} watch;

static void want(watch *w, int which, int fd, bool wanted, short events)
{
    w->slot[which] = -1;
    if (fd < 0 || !wanted)
        return;
    w->slot[which] = (int)w->n;
    w->fds[w->n++] = (struct pollfd){.fd = fd, .events = events};
}

static bool ready(const watch *w, int which)
{
    return w->slot[which] >= 0 && w->fds[w->slot[which]].revents != 0;
}

static int poll_timeout(const session *s)
{
    uint64_t now = now_ms();
    if (!s->deadline_ms)
        return -1;
    return s->deadline_ms > now ? (int)(s->deadline_ms - now) : 0;
}

/* One round of poll() and the work it found. */
static void step(session *s)
{
    size_t owed_client = pc_pep_queue_pending(&s->to_client);
    size_t owed_server = pc_pep_queue_pending(&s->to_server);
    if (s->client_done && owed_server == 0)
        close_fd(&s->to_child);   /* the server sees end of input, as the agent meant */
    bool room = owed_client < PC_PEP_QUEUE_HIGH;
    watch w = {.n = 0};
    want(&w, P_CLIENT_IN, s->cfg->client_in,
         !s->client_done && room && owed_server < PC_PEP_QUEUE_HIGH, POLLIN);
    want(&w, P_SERVER_OUT, s->from_child, !s->server_done && room, POLLIN);
    want(&w, P_SERVER_IN, s->to_child, owed_server > 0, POLLOUT);
    want(&w, P_CLIENT_OUT, s->cfg->client_out, owed_client > 0, POLLOUT);
    want(&w, P_STOP, s->cfg->stop_fd, true, POLLIN);
    if (poll(w.fds, w.n, poll_timeout(s)) < 0) {
        if (errno != EINTR) {
            pc_diag_set(s->d, PC_ERR_IO, "poll: %s", strerror(errno));
            s->broken = true;
        }
        return;
    }
    if (ready(&w, P_STOP)) {
        s->broken = s->told_to_stop = true;
        return;
    }
    if (ready(&w, P_CLIENT_IN))
        on_client_readable(s);
    if (ready(&w, P_SERVER_OUT))
        on_server_readable(s);
    /* Write at once what the gate just let through: no extra poll round per message. */
    if (s->to_child >= 0 && pc_pep_queue_pending(&s->to_server))
        flush_to_server(s);
    else if (s->to_child < 0)
        pc_pep_queue_free(&s->to_server);   /* the server's input is closed: nowhere to go */
    if (!s->broken && pc_pep_queue_pending(&s->to_client))
        flush_to_client(s);
}

static pc_status setup(session *s, pc_pep_pdp **pdp)
{
    size_t max = s->cfg->max_line ? s->cfg->max_line : PC_PEP_DEFAULT_MAX_LINE;
    pc_pep_lines_init(&s->client_lines, max);
    pc_pep_lines_init(&s->server_lines, max);
    pc_pep_queue_init(&s->to_server);
    pc_pep_queue_init(&s->to_client);
    s->chunk = malloc(PC_PEP_READ_CHUNK);
    if (!s->chunk)
        return pc_diag_set(s->d, PC_ERR_NOMEM, "out of memory");
    if (!set_nonblocking(s->cfg->client_out))
        return pc_diag_set(s->d, PC_ERR_IO, "cannot make the agent's output non-blocking: %s",
                           strerror(errno));
    if (pc_pep_pdp_new(&s->cfg->pdp, pdp, s->d) != PC_OK ||
        pc_pep_gate_init(&s->gate, &s->cfg->gate, *pdp, s->d) != PC_OK)
        return s->d->status;
    return spawn_server(s);
}

pc_status pc_pep_proxy_run(const pc_pep_proxy_config *cfg, int *exit_code, pc_diag *d)
{
    session s = {.cfg = cfg, .child = -1, .to_child = -1, .from_child = -1, .d = d};
    pc_pep_pdp *pdp = NULL;
    int out_flags = fcntl(cfg->client_out, F_GETFL);
    *exit_code = 0;
    bool started = setup(&s, &pdp) == PC_OK;
    while (started && !finished(&s))
        step(&s);
    /* After the agent's end of input the loop already waited the grace; a
       signal to us is passed on at once, as a supervisor would, and so is a
       failed start (the server may be running all the same). */
    bool waited = started && !s.broken && !s.server_done;
    if (s.child > 0)
        *exit_code = stop_server(&s, waited || s.told_to_stop || !started ? 0
                                                                          : PC_PEP_CHILD_GRACE_MS);
    close_fd(&s.to_child);
    close_fd(&s.from_child);
    if (out_flags >= 0)
        fcntl(cfg->client_out, F_SETFL, out_flags);   /* the agent's descriptor, as we found it */
    pc_pep_gate_free(&s.gate);
    pc_pep_pdp_free(pdp);
    pc_pep_lines_free(&s.client_lines);
    pc_pep_lines_free(&s.server_lines);
    pc_pep_queue_free(&s.to_server);
    pc_pep_queue_free(&s.to_client);
    free(s.chunk);
    return d->status;
}
